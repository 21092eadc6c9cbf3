/**
 * Recipe: Bun's built-in `RedisClient`, which notices a dead Redis within 10 seconds, idle or with
 * a command in flight, before and after it reconnects. Bun never shows the socket, so a policy
 * follows it, and `onconnect` (called on every connect and reconnect) runs the policy at once.
 *
 * After a dead peer, RedisClient sets `connected` to false and retries, but does not call
 * `onclose`: watch `connected` if the application must know.
 *
 *     REDIS_URL=redis://host:6379 bun examples/recipes/bun_redis.ts
 */
import { RedisClient } from "bun";
import { getKeepAlive, getUserTimeout, keepConfigured, tcpSockets } from "sockopts";

const url = new URL(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const port = Number(url.port || 6379);
using cache = keepConfigured({ remotePort: port }, { detectWithin: 10_000 });
const redis = new RedisClient(url.href);
redis.onconnect = () => void cache.refresh();

const show = (when: string) => {
  for (const socket of tcpSockets().filter((s) => s.remote?.port === port)) {
    console.log(
      `${when}: connection :${socket.local.port} ${JSON.stringify(getKeepAlive(socket.fd))} userTimeout ${
        getUserTimeout(socket.fd)
      }`,
    );
  }
};

await redis.send("PING", []);
show("first");
// Have the server drop the connection. RedisClient reconnects on its own, and rejects commands
// (ERR_REDIS_CONNECTION_CLOSED) sent before it has: retry, as a service would.
const id = String(await redis.send("CLIENT", ["ID"]));
await redis.send("CLIENT", ["KILL", "ID", id, "SKIPME", "no"]).catch(() => {});
for (let tries = 0;; tries++) {
  try {
    await redis.send("PING", []);
    break;
  } catch (error) {
    if (tries === 50) throw error;
    await Bun.sleep(50);
  }
}
show("reconnected");
redis.close();
