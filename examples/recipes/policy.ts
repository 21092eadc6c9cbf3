/**
 * Recipe: one policy per service, for any driver and no hooks. `keepConfigured` configures every
 * TCP socket to the service's port as it appears, on a timer that never keeps the process alive:
 * the connections a pool opens as it grows and the ones a client opens when it reconnects all
 * notice a dead peer within 10 seconds, idle or with a command in flight.
 *
 *     DATABASE_URL=postgres://user@host:5432/db REDIS_URL=redis://host:6379 \
 *       deno run --allow-ffi --allow-net --allow-env examples/recipes/policy.ts
 *     DATABASE_URL=… REDIS_URL=… bun examples/recipes/policy.ts
 *
 * (In a Deno project of your own, import "npm:pg", "npm:ioredis" and "jsr:@sockopts/sockopts".)
 */
import { once } from "node:events";
import pg from "pg";
import { Redis } from "ioredis";
import { getKeepAlive, getUserTimeout, keepConfigured, type PolicyReport, tcpSockets } from "sockopts";

const database = new URL(process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");
const cache = new URL(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");

// What each tick did: the sockets it configured, with the values read back.
function log(report: PolicyReport): void {
  for (const { local, remote, keepAlive, userTimeout } of [...report.configured, ...report.reasserted]) {
    console.log(
      `configured :${local.port} -> :${remote?.port} ${JSON.stringify(keepAlive)} userTimeout ${userTimeout}`,
    );
  }
  for (const { fd, detail } of report.failed) console.error(`could not configure fd ${fd}: ${detail}`);
}

// One tick a second (left out, the period adapts to what a tick costs: 500 ms to 30 s). ioredis
// sets its own keep-alive when it connects, which can land after the tick that configured the
// socket: the next tick sees that and sets the values again (report.reasserted).
const every = { period: 1_000, onReport: log };
using databasePolicy = keepConfigured({ remotePort: Number(database.port || 5432) }, { detectWithin: 10_000 }, every);
using cachePolicy = keepConfigured({ remotePort: Number(cache.port || 6379) }, { detectWithin: 10_000 }, every);

/** Waits until both policies have ticked twice more: one finds the new sockets, the next checks them. */
async function nextTicks(): Promise<void> {
  const ticks = () => Math.min(databasePolicy.stats.ticks, cachePolicy.stats.ticks);
  const target = ticks() + 2;
  while (ticks() < target) await new Promise((resolve) => setTimeout(resolve, 100));
}

const pool = new pg.Pool({ connectionString: database.href, max: 3 });
const redis = new Redis(cache.href);

// The pool grows to three connections; the Redis client connects, then reconnects.
await Promise.all([1, 2, 3].map(() => pool.query("select pg_sleep(0.2)")));
await redis.ping();
await nextTicks();
redis.disconnect(true);
await once(redis, "ready");
await nextTicks();

// What the kernel holds now, on every connection to either service.
const ports = [Number(database.port || 5432), Number(cache.port || 6379)];
for (const socket of tcpSockets().filter((s) => ports.includes(s.remote?.port ?? -1))) {
  const { local, remote, fd } = socket;
  console.log(
    `holds :${local.port} -> :${remote?.port} ${JSON.stringify(getKeepAlive(fd))} userTimeout ${getUserTimeout(fd)}`,
  );
}

await pool.end();
redis.disconnect();
