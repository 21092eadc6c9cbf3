/**
 * Recipe: Bun's built-in `SQL` pool, whose connections notice a dead database within 10 seconds,
 * idle or with a query in flight. Bun never shows these sockets, so a policy follows them: it
 * configures every connection to the database's port as it appears, and `onconnect`, which Bun
 * calls for each connection it opens, runs the policy at once instead of at its next tick.
 *
 *     DATABASE_URL=postgres://user@host:5432/db bun examples/recipes/bun_sql.ts
 */
import { SQL } from "bun";
import { getKeepAlive, getUserTimeout, keepConfigured, tcpSockets } from "sockopts";

const url = new URL(process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres");
const port = Number(url.port || 5432);
using db = keepConfigured({ remotePort: port }, { detectWithin: 10_000 });
const sql = new SQL({
  url: url.href,
  max: 3,
  onconnect: () => void db.refresh(),
  // Bun reports each closed connection here; after a dead peer, ERR_POSTGRES_CONNECTION_CLOSED.
  onclose: (error) => console.error(`sql: a connection closed: ${error?.message}`),
});

// Three queries at once: the pool grows to three connections.
await Promise.all([1, 2, 3].map(() => sql`select pg_sleep(0.2)`));

for (const socket of tcpSockets().filter((s) => s.remote?.port === port)) {
  console.log(
    `connection :${socket.local.port} ${JSON.stringify(getKeepAlive(socket.fd))} userTimeout ${
      getUserTimeout(socket.fd)
    }`,
  );
}
await sql.close();
