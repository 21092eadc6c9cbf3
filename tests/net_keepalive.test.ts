/**
 * sockopts as a drop-in for net-keepalive: its six functions, with its argument order, on a
 * node:net socket, and each difference the README's migration table lists. (macOS's user
 * timeout in seconds is shown by tests/platform.test.ts.)
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as NetKeepAlive from "../mod.ts";
import { tcpPair } from "./support/net.ts";
import { runtimeName } from "./support/runtime.ts";

describe(`net-keepalive's functions under ${runtimeName}`, () => {
  it("take (socket, ms) and (socket, count) as net-keepalive does, and the getters answer in ms", async () => {
    const pair = await tcpPair();
    const s = pair.client;
    try {
      s.setKeepAlive(true, 1000);
      assert.equal(NetKeepAlive.setKeepAliveInterval(s, 1000), undefined);
      assert.equal(NetKeepAlive.getKeepAliveInterval(s), 1000);
      NetKeepAlive.setKeepAliveProbes(s, 1);
      assert.equal(NetKeepAlive.getKeepAliveProbes(s), 1);
      NetKeepAlive.setUserTimeout(s, 2500);
      assert.equal(NetKeepAlive.getUserTimeout(s), 2500);
      assert.deepEqual(NetKeepAlive.getKeepAlive(s), { enable: true, idle: 1000, interval: 1000, count: 1 });
    } finally {
      await pair.close();
    }
  });

  it("round milliseconds up to whole seconds where net-keepalive truncates them", async () => {
    const pair = await tcpPair();
    try {
      NetKeepAlive.setKeepAliveInterval(pair.client, 1500); // net-keepalive: ~~(1500 / 1000) = 1 s
      assert.equal(NetKeepAlive.getKeepAliveInterval(pair.client), 2000);
      // net-keepalive: 0 s, which the kernel refuses; here, seconds written as ms are refused up front.
      assert.throws(() => NetKeepAlive.setKeepAliveInterval(pair.client, 999), {
        name: "RangeError",
        message: /^Cannot set TCP_KEEPINTVL: 999 ms: values are milliseconds; did you mean 999_000\?/,
      });
      assert.equal(NetKeepAlive.getKeepAliveInterval(pair.client), 2000, "left as it was");
    } finally {
      await pair.close();
    }
  });

  it("throw typed errors before any call where net-keepalive asserts or passes the kernel's errno on", async () => {
    const pair = await tcpPair();
    try {
      assert.throws(() => NetKeepAlive.setKeepAliveProbes(pair.client, 0), RangeError);
      assert.throws(() => NetKeepAlive.setKeepAliveInterval(pair.client, -1), RangeError);
      assert.throws(() => NetKeepAlive.setKeepAliveInterval(pair.client, "1000" as unknown as number), TypeError);
      assert.throws(() => NetKeepAlive.setUserTimeout(pair.client, Number.NaN), /TCP_USER_TIMEOUT/);
    } finally {
      await pair.close();
    }
    assert.throws(() => NetKeepAlive.setKeepAliveInterval(pair.client, 1000), NetKeepAlive.SocketClosedError);
    assert.throws(() => NetKeepAlive.getKeepAliveProbes(pair.client), NetKeepAlive.SocketClosedError);
  });
});
