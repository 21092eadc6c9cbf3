import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  getKeepAlive,
  getKeepAliveInterval,
  getKeepAliveProbes,
  getUserTimeout,
  isSupported,
  setKeepAlive,
  setKeepAliveInterval,
  setKeepAliveProbes,
  setUserTimeout,
} from "../mod.ts";
import { runtimeOs } from "../src/ffi/runtime.ts";
import { supportedHost } from "../src/sys/host.ts";
import { keepAliveDefaults } from "./support/proc.ts";
import { type TcpPair, tcpPair } from "./support/net.ts";

// Every test here opens sockets: a hang fails that test after this long instead of the run.
const LIMIT = { timeout: 60_000 };

describe("keep-alive on a real loopback connection", () => {
  let pair: TcpPair;
  before(async () => {
    pair = await tcpPair();
  });
  after(() => pair.close());

  it("is supported here", LIMIT, () => {
    assert.equal(isSupported(), true);
    // isSupported asks runtimeOs() (no binding code); the host every call uses must agree.
    assert.equal(supportedHost()?.runtime.os, runtimeOs());
  });

  it("reads the kernel defaults on a fresh socket", LIMIT, () => {
    const defaults = keepAliveDefaults();
    assert.deepEqual(getKeepAlive(pair.clientFd), { enable: false, ...defaults });
    assert.equal(getKeepAliveInterval(pair.clientFd), defaults.interval);
    assert.equal(getKeepAliveProbes(pair.clientFd), defaults.count);
    assert.equal(getUserTimeout(pair.clientFd), 0);
  });

  it("round-trips every keep-alive field", LIMIT, () => {
    setKeepAlive(pair.clientFd, { idle: 30_000, interval: 5_000, count: 3 });
    assert.deepEqual(getKeepAlive(pair.clientFd), { enable: true, idle: 30_000, interval: 5_000, count: 3 });
    setKeepAlive(pair.clientFd, { idle: 32_767_000, interval: 1_000, count: 127 });
    assert.deepEqual(getKeepAlive(pair.clientFd), { enable: true, idle: 32_767_000, interval: 1_000, count: 127 });
    setKeepAlive(pair.clientFd, { idle: 1_000, interval: 32_767_000, count: 1 });
    assert.deepEqual(getKeepAlive(pair.clientFd), { enable: true, idle: 1_000, interval: 32_767_000, count: 1 });
  });

  it("sets only the fields given and defaults enable to true", LIMIT, () => {
    setKeepAlive(pair.acceptedFd, { enable: false });
    setKeepAlive(pair.acceptedFd, { interval: 7_000 });
    const defaults = keepAliveDefaults();
    assert.deepEqual(getKeepAlive(pair.acceptedFd), {
      enable: true,
      idle: defaults.idle,
      interval: 7_000,
      count: defaults.count,
    });
    setKeepAlive(pair.acceptedFd, { count: 4 });
    assert.deepEqual(getKeepAlive(pair.acceptedFd), { enable: true, idle: defaults.idle, interval: 7_000, count: 4 });
    setKeepAlive(pair.acceptedFd);
    assert.equal(getKeepAlive(pair.acceptedFd).enable, true);
  });

  it("turns keep-alive off with enable: false and keeps the timers", LIMIT, () => {
    setKeepAlive(pair.clientFd, { idle: 10_000, interval: 2_000, count: 5 });
    setKeepAlive(pair.clientFd, { enable: false });
    assert.deepEqual(getKeepAlive(pair.clientFd), { enable: false, idle: 10_000, interval: 2_000, count: 5 });
    setKeepAlive(pair.clientFd, { enable: true });
    assert.equal(getKeepAlive(pair.clientFd).enable, true);
  });

  it("round-trips the net-keepalive style setters", LIMIT, () => {
    setKeepAliveInterval(pair.clientFd, 9_000);
    assert.equal(getKeepAliveInterval(pair.clientFd), 9_000);
    setKeepAliveProbes(pair.clientFd, 6);
    assert.equal(getKeepAliveProbes(pair.clientFd), 6);
  });

  it("rounds durations up to whole seconds and reports ms", LIMIT, () => {
    setKeepAlive(pair.clientFd, { idle: 1_001, interval: 1_500, count: 2 });
    assert.deepEqual(getKeepAlive(pair.clientFd), { enable: true, idle: 2_000, interval: 2_000, count: 2 });
    setKeepAliveInterval(pair.clientFd, 1_000);
    assert.equal(getKeepAliveInterval(pair.clientFd), 1_000);
    setKeepAliveInterval(pair.clientFd, 2_000.5);
    assert.equal(getKeepAliveInterval(pair.clientFd), 3_000);
    setKeepAliveInterval(pair.clientFd, 3_000);
    assert.equal(getKeepAliveInterval(pair.clientFd), 3_000);
  });

  it("round-trips the user timeout in ms, rounding fractions up", LIMIT, () => {
    setUserTimeout(pair.clientFd, 2_500);
    assert.equal(getUserTimeout(pair.clientFd), 2_500);
    setUserTimeout(pair.clientFd, 1_000.2);
    assert.equal(getUserTimeout(pair.clientFd), 1_001);
    setUserTimeout(pair.clientFd, 2_147_483_647);
    assert.equal(getUserTimeout(pair.clientFd), 2_147_483_647);
    setUserTimeout(pair.clientFd, 0);
    assert.equal(getUserTimeout(pair.clientFd), 0);
  });

  it("configures IPv6 loopback sockets too", LIMIT, async () => {
    const v6 = await tcpPair("::1");
    try {
      setKeepAlive(v6.clientFd, { idle: 4_000, interval: 3_000, count: 2 });
      assert.deepEqual(getKeepAlive(v6.clientFd), { enable: true, idle: 4_000, interval: 3_000, count: 2 });
      setUserTimeout(v6.clientFd, 1_234);
      assert.equal(getUserTimeout(v6.clientFd), 1_234);
    } finally {
      await v6.close();
    }
  });

  it("configures a listening socket", LIMIT, () => {
    setKeepAlive(pair.listenerFd, { idle: 20_000, interval: 4_000, count: 4 });
    assert.deepEqual(getKeepAlive(pair.listenerFd), { enable: true, idle: 20_000, interval: 4_000, count: 4 });
  });
});
