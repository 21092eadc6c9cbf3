/**
 * Recipe: a `pg` Pool whose every connection notices a dead database within 10 seconds, idle or
 * with a query in flight, including the connections the pool opens later as it grows or replaces
 * a broken one: the pool's "connect" event hands over each new client, and its socket is
 * `client.connection.stream`.
 *
 *     DATABASE_URL=postgres://user@host:5432/db deno run --allow-ffi --allow-net --allow-env examples/recipes/pg_pool.ts
 *     DATABASE_URL=postgres://user@host:5432/db bun examples/recipes/pg_pool.ts
 *
 * (In a Deno project of your own, import "npm:pg" and "jsr:@sockopts/sockopts".)
 */
import type { Socket } from "node:net";
import pg from "pg";
import { setKeepAlive } from "sockopts";
// What the kernel holds on each connection, printed at the end:
import { getKeepAlive, getUserTimeout, tcpSockets } from "sockopts";

const url = new URL(process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");
const pool = new pg.Pool({ connectionString: url.href, max: 3 });

// 10 s for an idle connection and for a query in flight alike (keep-alive plus user timeout).
// pg types the stream as a Duplex; it is the connection's net.Socket.
pool.on("connect", (client) => setKeepAlive(client.connection.stream as Socket, { detectWithin: 10_000 }));
// A dead peer on an idle connection arrives here (ETIMEDOUT); without a listener it would crash.
pool.on("error", (error) => console.error(`pool: idle connection lost: ${error.message}`));

// Three queries at once: the pool grows to three connections.
const slow = () => pool.query("select pg_sleep(0.2)");
await Promise.all([slow(), slow(), slow()]);

for (const socket of tcpSockets().filter((s) => s.remote?.port === Number(url.port || 5432))) {
  console.log(
    `connection :${socket.local.port} ${JSON.stringify(getKeepAlive(socket.fd))} userTimeout ${
      getUserTimeout(socket.fd)
    }`,
  );
}
await pool.end();
