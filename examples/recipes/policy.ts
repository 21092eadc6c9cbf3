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
import { keepConfigured, type PolicyReport } from "sockopts";

const database = new URL(process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");
const cache = new URL(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");

// What each tick did: the sockets it configured, with the values read back.
function log(report: PolicyReport): void {
  for (const { local, remote, keepAlive, userTimeout } of report.configured) {
    console.log(
      `configured :${local.port} -> :${remote?.port} ${JSON.stringify(keepAlive)} userTimeout ${userTimeout}`,
    );
  }
  for (const { fd, detail } of report.failed) console.error(`could not configure fd ${fd}: ${detail}`);
}

using database_ = keepConfigured({ remotePort: Number(database.port || 5432) }, { detectWithin: 10_000 }, {
  onReport: log,
});
using cache_ = keepConfigured({ remotePort: Number(cache.port || 6379) }, { detectWithin: 10_000 }, { onReport: log });

/** Waits until both policies have ticked again (each picks its own period, 500 ms at least). */
const nextTicks = () =>
  new Promise((resolve) => setTimeout(resolve, Math.max(database_.stats.period, cache_.stats.period) + 100));

const pool = new pg.Pool({ connectionString: database.href, max: 3 });
const redis = new Redis(cache.href);

// The pool grows to three connections; the Redis client connects, then reconnects.
await Promise.all([1, 2, 3].map(() => pool.query("select pg_sleep(0.2)")));
await redis.ping();
await nextTicks();
redis.disconnect(true);
await once(redis, "ready");
await nextTicks();

await pool.end();
redis.disconnect();
