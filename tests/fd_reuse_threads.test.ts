// Another thread reuses an fd between the identity check and the set (issue 20, item 1).
// configureSockets and keepConfigured configure sockets this process holds but sockopts does not
// own, so another thread (a worker, a native library) may close one and open another socket at
// its number at any moment. Here a socket nobody else knows of (made through the test's own libc
// binding) is the victim, and a decoy socket is put at its number: once at the very moment of the
// first setsockopt (from the debug listener, which runs inside that call, as another thread can),
// and as fast as a worker thread can while configureSockets runs in a loop, pausing a moment
// between its system calls so that the worker runs even on a machine with one free core. The decoy must never
// get a setting: read back through tests/support/kernel.ts, a libc binding of its own.
import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { configureSockets, keepConfigured, setDebug, setKeepAlive } from "../mod.ts";
import { keepAliveState } from "./support/kernel.ts";
import { fds } from "./support/fds.ts";
import { type Peer, peerServer } from "./support/net.ts";

const LIMIT = { timeout: 60_000 };
const SETTINGS = { keepAlive: { idle: 5_000, interval: 2_000, count: 3 } };
const SET = { on: 1, idleSeconds: 5, count: 3 };
const FRESH = { on: 0, idleSeconds: 7200, count: 9 };

/** Two loopback servers, and a connection to each that only this test knows of. */
async function victimAndDecoy(): Promise<{ victim: number; decoy: number; port: number; close(): Promise<void> }> {
  const peers: Peer[] = [await peerServer(), await peerServer()];
  const victim = fds().connectLoopback(peers[0].port);
  const decoy = fds().connectLoopback(peers[1].port);
  assert.ok(victim >= 0 && decoy >= 0, "connected through the test's own libc binding");
  return {
    victim,
    decoy,
    port: peers[0].port,
    async close() {
      fds().close(victim);
      fds().close(decoy);
      for (const peer of peers) await peer.close();
    },
  };
}

/**
 * At the first setsockopt sockopts makes for the socket at `victim` (on that number, or through a
 * duplicate of it), puts `decoy` there: closes the victim's number and opens the decoy at it, in
 * one step, as another thread of the process can at that moment.
 */
function swapAtFirstSet(victim: number, decoy: number): () => boolean {
  let swapped = false;
  setDebug((event) => {
    if (swapped || event.kind !== "syscall" || event.call !== "setsockopt") return;
    if ((event.duplicateOf ?? event.fd) !== victim) return;
    swapped = true;
    assert.equal(fds().dup2(decoy, victim), victim);
  });
  return () => swapped;
}

describe("a socket taken from under a process-wide configuration by another thread", () => {
  afterEach(() => setDebug(null));

  it("configureSockets never sets anything on the decoy put at the number mid-configuration", LIMIT, async () => {
    const s = await victimAndDecoy();
    try {
      const swapped = swapAtFirstSet(s.victim, s.decoy);
      const result = configureSockets({ remotePort: s.port }, SETTINGS);
      setDebug(null);
      assert.ok(swapped(), "the decoy was put at the victim's number during its configuration");
      assert.deepEqual(keepAliveState(s.decoy), FRESH, "the decoy got none of the settings");
      assert.deepEqual(result.map((socket) => socket.fd), [], "nothing is reported configured at that number");
      const closed = result.skipped.find((skip) => skip.fd === s.victim);
      assert.equal(closed?.reason, "closed", "the victim is reported closed: its number holds another socket");
    } finally {
      await s.close();
    }
  });

  it("keepConfigured never sets anything on the decoy, when it first configures or sets again", LIMIT, async () => {
    const first = await victimAndDecoy();
    try {
      const swapped = swapAtFirstSet(first.victim, first.decoy);
      using policy = keepConfigured({ remotePort: first.port }, SETTINGS, { period: 0 });
      setDebug(null);
      assert.ok(swapped(), "the decoy was put at the victim's number during the first tick");
      assert.deepEqual(keepAliveState(first.decoy), FRESH, "the decoy got none of the settings");
      assert.equal(policy.report.failed.length, 0);
    } finally {
      await first.close();
    }
    const again = await victimAndDecoy();
    try {
      using policy = keepConfigured({ remotePort: again.port }, SETTINGS, { period: 0, reassert: true });
      assert.deepEqual(keepAliveState(again.victim), SET, "configured by the first tick");
      setKeepAlive(again.victim, { idle: 60_000 }); // a driver's own value, to be set again
      const swapped = swapAtFirstSet(again.victim, again.decoy);
      policy.refresh();
      setDebug(null);
      assert.ok(swapped(), "the decoy was put at the victim's number while its values were set again");
      assert.deepEqual(keepAliveState(again.decoy), FRESH, "the decoy got none of the settings");
    } finally {
      await again.close();
    }
  });

  it("configureSockets in a loop never configures the decoy a worker thread keeps swapping in", LIMIT, async () => {
    const s = await victimAndDecoy();
    const spare = fds().dup(s.victim); // keeps the victim alive while the decoy holds its number
    const flag = new SharedArrayBuffer(4);
    const worker = new Worker(join(dirname(fileURLToPath(import.meta.url)), "fixtures", "fd_churn_worker.ts"), {
      workerData: { victim: s.victim, spare, decoy: s.decoy, flag },
    });
    const next = () => new Promise<unknown>((resolve) => worker.once("message", resolve));
    try {
      assert.equal(await next(), "ready");
      const done = next();
      // Between two system calls of a configuration this thread pauses a moment, as a busy
      // machine pauses it anyway: the worker runs then, on whatever core is free.
      const pause = new Int32Array(new SharedArrayBuffer(4));
      setDebug((event) => {
        if (event.kind === "syscall" && event.call === "setsockopt") Atomics.wait(pause, 0, 0, 1);
      });
      let configured = 0;
      const CALLS = 30;
      for (let call = 0; call < CALLS; call++) {
        configured += configureSockets({ remotePort: s.port }, SETTINGS).length;
      }
      setDebug(null);
      Atomics.store(new Int32Array(flag), 0, 1);
      const swaps = await done as number;
      console.log(
        `${CALLS} configureSockets calls (${configured} sockets configured) while a worker swapped ${swaps} times`,
      );
      assert.ok(swaps > 1_000, `the worker swapped the decoy in and out (${swaps} times)`);
      assert.deepEqual(keepAliveState(s.decoy), FRESH, "the decoy got none of the settings");
      assert.deepEqual(keepAliveState(spare), SET, "the victim got them");
    } finally {
      setDebug(null);
      Atomics.store(new Int32Array(flag), 0, 1);
      await worker.terminate();
      fds().close(spare);
      await s.close();
    }
  });
});
