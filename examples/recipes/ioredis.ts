/**
 * Recipe: an `ioredis` client that notices a dead Redis within 10 seconds, idle or with a command
 * in flight, on its first connection and on every reconnection: "ready" fires after each connect,
 * and `redis.stream` is then the new socket. (ioredis sets its own keep-alive on connect, before
 * "ready", so this one wins.)
 *
 *     REDIS_URL=redis://host:6379 deno run --allow-ffi --allow-net --allow-env examples/recipes/ioredis.ts
 *     REDIS_URL=redis://host:6379 bun examples/recipes/ioredis.ts
 *
 * (In a Deno project of your own, import "npm:ioredis" and "jsr:@sockopts/sockopts".)
 */
import { once } from "node:events";
import { Redis } from "ioredis";
import { setKeepAlive } from "sockopts";
// What the kernel holds on each connection, printed after it connects and reconnects:
import { getKeepAlive, getUserTimeout } from "sockopts";

const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
redis.on("ready", () => setKeepAlive(redis.stream, { detectWithin: 10_000 }));
// ioredis reports a dead peer as "error" (ETIMEDOUT) then "close", and reconnects on its own.
redis.on("error", (error) => console.error(`redis: ${error.message}`));

const show = (when: string) => {
  const { localPort } = redis.stream as { localPort?: number };
  console.log(
    `${when}: connection :${localPort} ${JSON.stringify(getKeepAlive(redis.stream))} userTimeout ${
      getUserTimeout(redis.stream)
    }`,
  );
};

await redis.ping();
show("first");
// Drop the connection and let ioredis reconnect, as it does after a dead peer.
redis.disconnect(true);
await once(redis, "ready");
await redis.ping();
show("reconnected");
redis.disconnect();
