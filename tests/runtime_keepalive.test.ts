import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { getKeepAlive, setKeepAlive } from "../mod.ts";
import { tcpPair } from "./support/net.ts";
import { isDeno } from "./support/runtime.ts";

// Every test here opens sockets: a hang fails that test after this long instead of the run.
const LIMIT = { timeout: 60_000 };

describe("the runtime's own node:net setKeepAlive", () => {
  it("overwrites keep-alive settings, so sockopts must be applied after it", LIMIT, async () => {
    const pair = await tcpPair();
    try {
      setKeepAlive(pair.clientFd, { idle: 40_000, interval: 4_000, count: 4 });
      pair.client.setKeepAlive(true, 20_000);
      // Bun and Node (libuv) also force interval 1 s and count 10; Deno sets only the idle time.
      const expected = isDeno ? { interval: 4_000, count: 4 } : { interval: 1_000, count: 10 };
      assert.deepEqual(getKeepAlive(pair.clientFd), { enable: true, idle: 20_000, ...expected });
      setKeepAlive(pair.clientFd, { idle: 40_000, interval: 4_000, count: 4 });
      assert.deepEqual(getKeepAlive(pair.clientFd), { enable: true, idle: 40_000, interval: 4_000, count: 4 });
    } finally {
      await pair.close();
    }
  });
});
