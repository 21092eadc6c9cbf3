/**
 * Recipe: a `postgres` (Postgres.js) client whose every connection notices a dead database within
 * 10 seconds, idle or with a query in flight. Postgres.js opens its connections itself, but it
 * takes a `socket` function that hands it each new connection: configure the socket there.
 * Turn off its own `keep_alive`, which would otherwise set a 60 s idle time over this one.
 *
 *     DATABASE_URL=postgres://user@host:5432/db deno run --allow-ffi --allow-net --allow-env examples/recipes/postgres.ts
 *     DATABASE_URL=postgres://user@host:5432/db bun examples/recipes/postgres.ts
 *
 * (In a Deno project of your own, import "npm:postgres" and "jsr:@sockopts/sockopts".)
 */
import net from "node:net";
import postgres from "postgres";
import { getKeepAlive, getUserTimeout, setKeepAlive, tcpSockets } from "sockopts";

const url = new URL(process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");
// Postgres.js documents `socket` (a function returning the connection to use) but its types omit it.
const options = {
  max: 3,
  keep_alive: null,
  socket: ({ host: [host], port: [port] }: { host: string[]; port: number[] }) =>
    new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect(port, host);
      socket.once("error", reject);
      socket.once("connect", () => {
        setKeepAlive(socket, { detectWithin: 10_000 });
        resolve(socket);
      });
    }),
};
const sql = postgres(url.href, options as postgres.Options<Record<string, never>>);

// Three queries at once: the client opens three connections.
await Promise.all([1, 2, 3].map(() => sql`select pg_sleep(0.2)`));

for (const socket of tcpSockets().filter((s) => s.remote?.port === Number(url.port || 5432))) {
  console.log(
    `connection :${socket.local.port} ${JSON.stringify(getKeepAlive(socket.fd))} userTimeout ${
      getUserTimeout(socket.fd)
    }`,
  );
}
await sql.end();
