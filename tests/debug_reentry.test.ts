// A debug listener that calls sockopts itself (issue 20, item 6): the call it observes still
// returns the truth (read back through tests/support/kernel.ts), because the listener's own
// calls are refused with a clear error before they touch a native buffer the observed call is
// still using; a call that needs no system call runs, and is not reported back into the listener.
import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  configureSockets,
  type DebugEvent,
  fdOf,
  getKeepAlive,
  getOption,
  getTcpInfo,
  setDebug,
  setKeepAlive,
  setOption,
  tcpSockets,
} from "../mod.ts";
import { keepAliveState, readIntOption } from "./support/kernel.ts";
import { tcpPair } from "./support/net.ts";

const LIMIT = { timeout: 30_000 };
const IPPROTO_TCP = 6; // <netinet/in.h>
const TCP_NODELAY = 1; // <netinet/tcp.h>
const REFUSED = /^Cannot use sockopts inside its debug listener \(this call needed \w+\): the call the event reports/;

/** Installs a listener that makes `nested` on every event, keeping what each nested call threw. */
function meddling(nested: () => unknown): { events: DebugEvent[]; errors: unknown[] } {
  const events: DebugEvent[] = [];
  const errors: unknown[] = [];
  setDebug((event) => {
    events.push(event);
    try {
      nested();
    } catch (error) {
      errors.push(error);
    }
  });
  return { events, errors };
}

describe("a debug listener that calls sockopts", () => {
  afterEach(() => setDebug(null));

  it("leaves getKeepAlive and getOption reading their own socket, and is refused clearly", LIMIT, async () => {
    const a = await tcpPair();
    const b = await tcpPair();
    try {
      setKeepAlive(a.clientFd, { idle: 30_000, interval: 5_000, count: 3 });
      setKeepAlive(b.clientFd, { idle: 60_000, interval: 7_000, count: 8 });
      setOption(a.clientFd, "TCP_NODELAY", false);
      setOption(b.clientFd, "TCP_NODELAY", true);
      assert.equal(readIntOption(a.clientFd, IPPROTO_TCP, TCP_NODELAY), 0);

      const { events, errors } = meddling(() => getKeepAlive(b.clientFd));
      assert.deepEqual(getKeepAlive(a.clientFd), { enable: true, idle: 30_000, interval: 5_000, count: 3 });
      assert.equal(events.filter((e) => e.kind === "syscall").length, 4, "the outer call's four reads were reported");
      assert.ok(errors.length >= 4, `each nested call was refused (${errors.length})`);
      for (const error of errors) {
        assert.ok(error instanceof Error && REFUSED.test(error.message), String(error));
      }

      meddling(() => getOption(b.clientFd, "TCP_NODELAY"));
      assert.equal(getOption(a.clientFd, "TCP_NODELAY"), false, "a's TCP_NODELAY, not b's");
      meddling(() => getTcpInfo(b.clientFd));
      assert.equal(getOption(a.clientFd, "TCP_NODELAY"), false);
      meddling(() => setKeepAlive(b.clientFd, { idle: 90_000 }));
      setKeepAlive(a.clientFd, { idle: 40_000 });
      setDebug(null);
      assert.deepEqual(keepAliveState(a.clientFd), { on: 1, idleSeconds: 40, count: 3 });
      assert.deepEqual(keepAliveState(b.clientFd), { on: 1, idleSeconds: 60, count: 8 }, "b was never touched");
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("leaves configureSockets' walk of the listing whole while the listener lists sockets", LIMIT, async () => {
    const a = await tcpPair();
    try {
      const { errors } = meddling(() => tcpSockets());
      const changed = configureSockets({ remotePort: a.port }, { keepAlive: { idle: 20_000, count: 4 } });
      setDebug(null);
      assert.deepEqual(changed.map((s) => s.fd), [a.clientFd]);
      assert.deepEqual(changed[0].keepAlive, {
        enable: true,
        idle: 20_000,
        interval: changed[0].keepAlive!.interval,
        count: 4,
      });
      assert.deepEqual(keepAliveState(a.clientFd), { on: 1, idleSeconds: 20, count: 4 });
      assert.ok(errors.length > 0 && errors.every((e) => e instanceof Error && REFUSED.test(e.message)));
    } finally {
      await a.close();
    }
  });

  it("switches off a listener that lets the refusal through, and the observed call still answers", LIMIT, async () => {
    const a = await tcpPair();
    const complaints: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => complaints.push(args);
    try {
      setKeepAlive(a.clientFd, { idle: 30_000, interval: 5_000, count: 3 });
      let calls = 0;
      setDebug(() => {
        calls++;
        getKeepAlive(a.clientFd);
      });
      assert.deepEqual(getKeepAlive(a.clientFd), { enable: true, idle: 30_000, interval: 5_000, count: 3 });
      assert.equal(calls, 1, "switched off after its first refusal");
      assert.equal(complaints.length, 1);
      assert.match((complaints[0][1] as Error).message, REFUSED);
    } finally {
      console.error = original;
      await a.close();
    }
  });

  it("runs a nested call that needs no system call, without reporting it back into the listener", LIMIT, () => {
    const seen: number[] = [];
    setDebug((event) => {
      seen.push(fdOf(7));
      if (event.kind !== "handle") throw new Error(`unexpected ${event.kind} event`);
    });
    assert.equal(fdOf(3), 3);
    setDebug(null);
    assert.deepEqual(seen, [7], "one event, for the outer call; the nested fdOf(7) ran and was not reported");
  });
});
