/**
 * detectWithin: one number for idle and in-flight dead-peer detection, derived the same way for
 * setKeepAlive, configureSockets and keepConfigured, read back from the kernel. The kernel-level
 * proof (idle and in-flight both fail within the bound) is tests/dead_peer_e2e.test.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { configureSockets, deadPeerPlan, getKeepAlive, getUserTimeout, setKeepAlive } from "../mod.ts";
import { tcpPair } from "./support/net.ts";

describe("detectWithin: one dead-peer bound", () => {
  it("derives keep-alive and user timeout that add up to 90% of the bound, in whole seconds", () => {
    assert.deepEqual(deadPeerPlan(45_000), { idle: 28_000, interval: 4_000, count: 3, userTimeout: 40_000 });
    assert.deepEqual(deadPeerPlan(5_000), { idle: 1_000, interval: 1_000, count: 3, userTimeout: 4_000 });
    assert.deepEqual(deadPeerPlan(3_000), { idle: 1_000, interval: 1_000, count: 1, userTimeout: 2_000 });
    for (const ms of [3_000, 3_999, 4_500, 10_000, 45_000, 61_234, 600_000, 7_200_000, 36_000_000]) {
      const p = deadPeerPlan(ms);
      assert.equal(p.idle + p.interval * p.count, p.userTimeout, `${ms}: idle path and in-flight path agree`);
      assert.ok(p.userTimeout <= 0.9 * ms, `${ms}: 10% kept back`);
      assert.ok(p.userTimeout > 0.9 * ms - 1000, `${ms}: no more than a second of the budget unused`);
      assert.ok(
        p.idle >= 1000 && p.interval >= 1000 && p.count >= 1 && p.idle <= 32_767_000,
        `${ms}: ${JSON.stringify(p)}`,
      );
    }
    for (const bad of [2_999, 36_000_001, NaN, Infinity, -1]) {
      assert.throws(() => deadPeerPlan(bad), {
        name: "RangeError",
        message: `Cannot use detectWithin: ${bad} is outside 3000..36000000 ms`,
      });
    }
  });

  it("setKeepAlive({ detectWithin }) sets keep-alive and the user timeout, read back", async () => {
    const pair = await tcpPair();
    try {
      setKeepAlive(pair.client, { detectWithin: 45_000 });
      assert.deepEqual(getKeepAlive(pair.clientFd), { enable: true, idle: 28_000, interval: 4_000, count: 3 });
      assert.equal(getUserTimeout(pair.clientFd), 40_000);
      assert.throws(() => setKeepAlive(pair.client, { detectWithin: 45_000, idle: 1_000 }), {
        name: "TypeError",
        message: "Cannot set keep-alive: detectWithin sets idle, interval, count and enable itself; give it alone",
      });
      assert.throws(() => setKeepAlive(pair.client, { detectWithin: 1_000 }), RangeError);
      assert.equal(getUserTimeout(pair.clientFd), 40_000, "a refused call changed nothing");
    } finally {
      await pair.close();
    }
  });

  it("configureSockets({ detectWithin }) applies the same values; it excludes keepAlive and userTimeout", async () => {
    const pair = await tcpPair();
    try {
      const [socket] = configureSockets({ remotePort: pair.port }, { detectWithin: 10_000 });
      const plan = deadPeerPlan(10_000);
      assert.deepEqual(socket.keepAlive, { enable: true, idle: plan.idle, interval: plan.interval, count: plan.count });
      assert.equal(socket.userTimeout, plan.userTimeout);
      assert.equal(getUserTimeout(pair.clientFd), plan.userTimeout);
      assert.throws(
        () => configureSockets({ remotePort: pair.port }, { detectWithin: 10_000, userTimeout: 5_000 }),
        /detectWithin sets keep-alive and the user timeout itself; give it alone/,
      );
      assert.throws(
        () => configureSockets({ remotePort: pair.port }, { keepAlive: { detectWithin: 10_000 } }),
        /give detectWithin in the settings, beside keepAlive, not inside it/,
      );
    } finally {
      await pair.close();
    }
  });
});
