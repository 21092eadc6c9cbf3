/**
 * Seconds written where milliseconds belong: `idle: 30` or `setUserTimeout(s, 2.5)` would set
 * 1 s or a 3 ms user timeout. A duration from 1 to 999 ms is refused with a RangeError naming
 * the likely intent, on every path that takes one (the named setters, setOption,
 * configureSockets); a deliberate sub-second user timeout is taken with `{ subSecond: true }`.
 * And `{ idle }` alone, which keeps the kernel's interval and count, is noted in the debug view.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  configureSockets,
  type DebugEvent,
  getKeepAlive,
  getUserTimeout,
  setDebug,
  setKeepAlive,
  setKeepAliveInterval,
  setOption,
  setUserTimeout,
} from "../mod.ts";
import { keepAliveDefaults } from "./support/proc.ts";
import { type TcpPair, tcpPair } from "./support/net.ts";

const LIMIT = { timeout: 60_000 };
const KEEPALIVE_HINT = "(the kernel counts whole seconds here, so 1000 is the shortest)";

function refused(call: () => unknown, message: string): void {
  assert.throws(call, (error: unknown) => {
    assert.ok(error instanceof RangeError, `a RangeError, got ${error}`);
    assert.equal(error.message, message);
    return true;
  });
}

describe("durations under one second are refused as seconds written by mistake", () => {
  let pair: TcpPair;
  before(async () => {
    pair = await tcpPair();
  });
  after(() => pair.close());

  it("keep-alive times: setKeepAlive, setKeepAliveInterval and setOption, socket untouched", LIMIT, () => {
    setKeepAlive(pair.clientFd, { idle: 20_000, interval: 4_000, count: 4 });
    const before = getKeepAlive(pair.clientFd);
    refused(
      () => setKeepAlive(pair.clientFd, { idle: 30, interval: 5, count: 3 }),
      `Cannot set TCP_KEEPIDLE: 30 ms: values are milliseconds; did you mean 30_000? ${KEEPALIVE_HINT}`,
    );
    refused(
      () => setKeepAlive(pair.clientFd, { idle: 30_000, interval: 5, count: 3 }),
      `Cannot set TCP_KEEPINTVL: 5 ms: values are milliseconds; did you mean 5_000? ${KEEPALIVE_HINT}`,
    );
    refused(
      () => setKeepAliveInterval(pair.clientFd, 999),
      `Cannot set TCP_KEEPINTVL: 999 ms: values are milliseconds; did you mean 999_000? ${KEEPALIVE_HINT}`,
    );
    refused(
      () => setOption(pair.clientFd, "TCP_KEEPIDLE", 1.5),
      `Cannot set TCP_KEEPIDLE: 1.5 ms: values are milliseconds; did you mean 1_500? ${KEEPALIVE_HINT}`,
    );
    assert.deepEqual(getKeepAlive(pair.clientFd), before, "nothing was set");
  });

  it("the user timeout: setUserTimeout, setOption and configureSockets", LIMIT, () => {
    setUserTimeout(pair.clientFd, 7_000);
    const hint = (ms: number) =>
      `(for a sub-second timeout on purpose, setUserTimeout(socket, ${ms}, { subSecond: true }))`;
    refused(
      () => setUserTimeout(pair.clientFd, 2.5),
      `Cannot set TCP_USER_TIMEOUT: 2.5 ms: values are milliseconds; did you mean 2_500? ${hint(2.5)}`,
    );
    refused(
      () => setOption(pair.clientFd, "TCP_USER_TIMEOUT", 45),
      `Cannot set TCP_USER_TIMEOUT: 45 ms: values are milliseconds; did you mean 45_000? ${hint(45)}`,
    );
    refused(
      () => configureSockets({ remotePort: pair.port }, { userTimeout: 30 }),
      `Cannot set TCP_USER_TIMEOUT: 30 ms: values are milliseconds; did you mean 30_000? ${hint(30)}`,
    );
    assert.equal(getUserTimeout(pair.clientFd), 7_000, "nothing was set");
  });

  it("takes 0 and 1000 and above, and a sub-second user timeout given on purpose", LIMIT, () => {
    setKeepAlive(pair.clientFd, { idle: 1_000, interval: 1_000.5, count: 1 });
    assert.deepEqual(getKeepAlive(pair.clientFd), { enable: true, idle: 1_000, interval: 2_000, count: 1 });
    refused(
      () => setUserTimeout(pair.clientFd, 999.9),
      "Cannot set TCP_USER_TIMEOUT: 999.9 ms: values are milliseconds; did you mean 999_900? " +
        "(for a sub-second timeout on purpose, setUserTimeout(socket, 999.9, { subSecond: true }))",
    );
    setUserTimeout(pair.clientFd, 0); // the system default, not a duration
    assert.equal(getUserTimeout(pair.clientFd), 0);
    setUserTimeout(pair.clientFd, 500, { subSecond: true });
    assert.equal(getUserTimeout(pair.clientFd), 500, "Linux keeps milliseconds");
    setUserTimeout(pair.clientFd, 1_000, { subSecond: false });
    assert.equal(getUserTimeout(pair.clientFd), 1_000);
    assert.throws(() => setUserTimeout(pair.clientFd, 500, { subSecond: false }), /did you mean 500_000\?/);
  });

  it("checks the option object: a boolean subSecond, nothing else", LIMIT, () => {
    assert.throws(() => setUserTimeout(pair.clientFd, 500, { subSecond: 1 as never }), {
      name: "TypeError",
      message: "Cannot set TCP_USER_TIMEOUT: expected a boolean for subSecond, got number 1",
    });
    assert.throws(() => setUserTimeout(pair.clientFd, 500, { seconds: true } as never), {
      name: "TypeError",
      message: 'Cannot set TCP_USER_TIMEOUT: unknown option "seconds" (expected subSecond)',
    });
  });
});

describe("{ idle } alone, in the debug view", () => {
  let pair: TcpPair;
  before(async () => {
    pair = await tcpPair();
  });
  after(() => pair.close());

  function notes(call: () => void): string[] {
    const events: DebugEvent[] = [];
    setDebug((event) => events.push(event));
    try {
      call();
    } finally {
      setDebug(null);
    }
    return events.filter((event) => event.kind === "note").map((event) => event.message);
  }

  it("notes the interval and count it leaves, and the time a dead peer then goes unnoticed", LIMIT, () => {
    const { interval, count } = keepAliveDefaults();
    const [note, ...rest] = notes(() => setKeepAlive(pair.clientFd, { idle: 30_000 }));
    assert.deepEqual(rest, []);
    const total = 30 + count * (interval / 1000);
    assert.equal(
      note,
      `note fd ${pair.clientFd}: idle alone: interval ${interval / 1000} s and count ${count} stay the kernel's, ` +
        `so a dead peer goes unnoticed for 30 s + ${count} × ${interval / 1000} s = ${total} s; ` +
        "give interval and count too, or detectWithin",
    );
  });

  it("says nothing for the full triple, detectWithin, or keep-alive turned off", LIMIT, () => {
    assert.deepEqual(notes(() => setKeepAlive(pair.acceptedFd, { idle: 30_000, interval: 5_000, count: 3 })), []);
    assert.deepEqual(notes(() => setKeepAlive(pair.acceptedFd, { detectWithin: 10_000 })), []);
    assert.deepEqual(notes(() => setKeepAlive(pair.acceptedFd, { enable: false, idle: 30_000 })), []);
  });
});
