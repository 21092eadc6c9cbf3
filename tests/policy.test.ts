/**
 * keepConfigured with real loopback sockets: a pool that grows, a reconnect that lands on the same
 * fd number, a driver that overwrites values after connecting, a Unix-domain connection, the
 * timer not keeping the process alive, and `using`.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deadPeerPlan, getKeepAlive, getUserTimeout, keepConfigured, type PolicyReport } from "../mod.ts";
import { runtimeCommand } from "./e2e/namespace.ts";
import { root } from "./support/exec.ts";
import { connectTcp } from "./support/net.ts";
import { keepAliveDefaults, tcpFd } from "./support/proc.ts";
import { execFile } from "node:child_process";

const BOUND = 20_000;
const PLAN = deadPeerPlan(BOUND);
const EXPECTED = { enable: true, idle: PLAN.idle, interval: PLAN.interval, count: PLAN.count };

/** A server that accepts and holds connections (a stand-in for a database). */
async function server(): Promise<{ port: number; accepted: net.Socket[]; close(): Promise<void> }> {
  const accepted: net.Socket[] = [];
  const srv = net.createServer((s) => {
    accepted.push(s);
    s.on("error", () => {});
  });
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  return {
    port: (srv.address() as net.AddressInfo).port,
    accepted,
    async close() {
      for (const s of accepted) s.destroy();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    },
  };
}

/** Waits (on the event loop, 5 s at most) until `done` holds. */
async function until(done: () => boolean): Promise<void> {
  for (const start = Date.now(); !done();) {
    if (Date.now() - start > 5_000) throw new Error("Timed out waiting for the server to accept");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const closed = (socket: net.Socket) =>
  new Promise<void>((resolve) => {
    socket.once("close", () => resolve());
    socket.destroy();
  });

describe("keepConfigured: a policy that follows the process's sockets", () => {
  it("configures a growing pool: each new connection on the next refresh, each once", async () => {
    const db = await server();
    const pool: net.Socket[] = [];
    try {
      pool.push(await connectTcp(db.port));
      using policy = keepConfigured({ remotePort: db.port }, { detectWithin: BOUND }, { period: 0 });
      assert.equal(policy.report.configured.length, 1, "the first tick ran before keepConfigured returned");
      assert.deepEqual(policy.report.configured[0].keepAlive, EXPECTED);
      assert.equal(policy.report.configured[0].userTimeout, PLAN.userTimeout);
      for (let i = 0; i < 4; i++) pool.push(await connectTcp(db.port));
      const grown = policy.refresh();
      assert.equal(grown.configured.length, 4, "the four new connections, not the old one again");
      assert.equal(grown.matched, 5);
      for (const socket of pool) {
        const fd = tcpFd(socket.localPort!, db.port);
        assert.deepEqual(getKeepAlive(fd), EXPECTED, `fd ${fd}`);
        assert.equal(getUserTimeout(fd), PLAN.userTimeout);
      }
      // The server's ends match no filter field and keep the kernel's defaults.
      const serverFd = tcpFd(db.port, pool[0].localPort!);
      assert.deepEqual(getKeepAlive(serverFd), { enable: false, ...keepAliveDefaults() });
      const again = policy.refresh();
      assert.equal(again.configured.length, 0, "nothing new: nothing configured");
      // A burst: 300 connections (600 fds) at once, found by one tick, well past the highest fd known.
      const burst = await Promise.all(Array.from({ length: 300 }, () => connectTcp(db.port)));
      try {
        assert.equal(policy.refresh().configured.length, 300);
      } finally {
        await Promise.all(burst.map(closed));
      }
      assert.equal(policy.refresh().gone, 300);
      assert.equal(policy.stats.configured, 305);
      assert.equal(policy.stats.tracked, 5);
      await closed(pool.pop()!);
      assert.equal(policy.refresh().gone, 1);
      assert.equal(policy.sockets.length, 4);
    } finally {
      for (const s of pool) s.destroy();
      await db.close();
    }
  });

  it("finds a new connection at an fd number that was free when a tick passed over it", async () => {
    const db = await server();
    const files: number[] = [];
    const conns: net.Socket[] = [];
    try {
      using policy = keepConfigured({ remotePort: db.port }, { detectWithin: BOUND }, { period: 0 });
      // Fill every free number below the highest fd, so that the next fds go past it.
      const highest = Math.max(...readdirSync("/proc/self/fd").map(Number));
      for (let fd = openSync("/dev/null", "r");; fd = openSync("/dev/null", "r")) {
        if (fd > highest) {
          closeSync(fd);
          break;
        }
        files.push(fd);
      }
      // Eight numbers past the highest, held by files while the first connection is made.
      const passedOver = Array.from({ length: 8 }, () => openSync("/dev/null", "r"));
      conns.push(await connectTcp(db.port));
      for (const fd of passedOver) closeSync(fd);
      assert.equal(policy.refresh().configured.length, 1, "the first connection, past eight free numbers");
      // The kernel hands out the lowest free number: the next connection lands on one of those.
      conns.push(await connectTcp(db.port));
      const fd = tcpFd(conns[1].localPort!, db.port);
      assert.ok(passedOver.includes(fd), `fd ${fd} is one the files left (${passedOver.join(", ")})`);
      assert.deepEqual(policy.refresh().configured.map((s) => s.fd), [fd], "found at once, not at a full scan");
      assert.deepEqual(getKeepAlive(fd), EXPECTED);
    } finally {
      for (const c of conns) c.destroy();
      for (const fd of files) closeSync(fd);
      await db.close();
    }
  });

  it("finds a new connection at the fd number of a file closed since the last tick", async () => {
    const db = await server();
    let client: net.Socket | undefined;
    try {
      using policy = keepConfigured({ remotePort: db.port }, { detectWithin: BOUND }, { period: 0 });
      const file = openSync("/dev/null", "r");
      policy.refresh(); // sees the file at that number
      closeSync(file); // nothing tells the policy
      client = await connectTcp(db.port);
      const fd = tcpFd(client.localPort!, db.port);
      assert.equal(fd, file, "the connection took the file's number");
      assert.deepEqual(policy.refresh().configured.map((s) => s.fd), [fd], "found at once, not at a full scan");
    } finally {
      client?.destroy();
      await db.close();
    }
  });

  it("finds a new socket at the number of the highest fd, left by a socket that closed", async () => {
    const db = await server();
    const files: number[] = [];
    let client: net.Socket | undefined;
    try {
      // The server's side of each connection, which takes the highest fd of the two.
      using policy = keepConfigured({ localPort: db.port, listening: false }, { detectWithin: BOUND }, {
        period: 0,
      });
      // Fill every free number below the highest fd, so that each new socket goes past it.
      const highest = Math.max(...readdirSync("/proc/self/fd").map(Number));
      for (let fd = openSync("/dev/null", "r");; fd = openSync("/dev/null", "r")) {
        if (fd > highest) {
          closeSync(fd);
          break;
        }
        files.push(fd);
      }
      client = await connectTcp(db.port);
      await until(() => db.accepted.length === 1);
      const first = policy.refresh().configured.map((s) => s.fd);
      assert.equal(first.length, 1, "the accepted side, the highest fd now");
      // Both ends close; the next connection's accepted side takes the same, highest, number.
      await closed(client);
      await closed(db.accepted[0]);
      client = await connectTcp(db.port);
      await until(() => db.accepted.length === 2);
      const fd = tcpFd(db.port, client.localPort!);
      assert.equal(fd, first[0], "the new accepted side took the number of the old one");
      const report = policy.refresh();
      assert.deepEqual(report.configured.map((s) => s.fd), [fd], "found at once, not at a full scan");
      assert.equal(report.gone, 1, "and the old one is gone");
      assert.deepEqual(getKeepAlive(fd), EXPECTED);
    } finally {
      client?.destroy();
      for (const fd of files) closeSync(fd);
      await db.close();
    }
  });

  it("treats a reconnect on the same fd number as a new socket", async () => {
    const db = await server();
    let client = await connectTcp(db.port);
    try {
      using policy = keepConfigured({ remotePort: db.port }, { detectWithin: BOUND }, { period: 0 });
      const first = policy.report.configured[0];
      assert.ok(first, "the first connection was configured");
      // What a driver does after a dead peer: close, reconnect. The kernel reuses the lowest free fd.
      await closed(client);
      client = await connectTcp(db.port);
      const fd = tcpFd(client.localPort!, db.port);
      assert.equal(fd, first.fd, "the reconnect landed on the same fd number");
      assert.deepEqual(
        getKeepAlive(fd),
        { enable: false, ...keepAliveDefaults() },
        "a fresh socket starts unconfigured",
      );
      const report = policy.refresh();
      assert.deepEqual(report.configured.map((s) => s.fd), [fd], "configured again: it is a new socket");
      assert.equal(report.gone, 1, "and the old one is gone");
      assert.deepEqual(getKeepAlive(fd), EXPECTED);
      // Again, with a tick between the close and the reconnect.
      await closed(client);
      assert.equal(policy.refresh().gone, 1);
      client = await connectTcp(db.port);
      assert.equal(tcpFd(client.localPort!, db.port), fd, "the same fd number once more");
      assert.deepEqual(policy.refresh().configured.map((s) => s.fd), [fd]);
      assert.deepEqual(getKeepAlive(fd), EXPECTED);
    } finally {
      client.destroy();
      await db.close();
    }
  });

  it("checks each new socket on every tick for its first second established: a late connect handler cannot undo it", async () => {
    const db = await server();
    try {
      // The first steps must run within the policy's second; a machine so busy that they did not
      // gets another try on a new connection.
      for (let attempt = 1;; attempt++) {
        const a = await connectTcp(db.port);
        try {
          const begun = performance.now();
          using policy = keepConfigured({ remotePort: db.port, localPort: a.localPort! }, { detectWithin: BOUND }, {
            period: 0,
          });
          assert.equal(policy.report.configured.length, 1);
          const fa = tcpFd(a.localPort!, db.port);
          // Other connections' hooks refresh the policy, twice in this turn and again a few turns
          // later, before this socket's driver has run its connect handler (Deno hands a connection
          // to JavaScript up to 154 ms after the kernel established it; a pool's hooks fire in bursts).
          assert.equal(policy.refresh().reasserted.length, 0);
          assert.equal(policy.refresh().reasserted.length, 0);
          await sleep(30);
          assert.equal(policy.refresh().reasserted.length, 0);
          if (performance.now() - begun > 500 && attempt < 3) continue;
          // The driver's own keep-alive call in its connect handler, at last.
          a.setKeepAlive(true, 60_000);
          assert.equal(getKeepAlive(fa).idle, 60_000);
          const report = policy.refresh();
          assert.deepEqual(report.reasserted.map((s) => s.fd), [fa], "set again without reassert");
          assert.deepEqual(getKeepAlive(fa), EXPECTED);
          assert.equal(getUserTimeout(fa), PLAN.userTimeout);
          assert.equal(policy.stats.reasserted, 1);
          // A second after a tick saw it established, and a turn of the event loop later, the next
          // tick checks it a last time: a later change stays (that is what reassert is for).
          await sleep(1_100);
          assert.equal(policy.refresh().reasserted.length, 0);
          a.setKeepAlive(true, 50_000);
          assert.equal(policy.refresh().reasserted.length, 0);
          assert.equal(getKeepAlive(fa).idle, 50_000, "without reassert a later change stays");
          return;
        } finally {
          a.destroy();
        }
      }
    } finally {
      await db.close();
    }
  });

  it("reassert: restores values a driver overwrote at any time", async () => {
    const db = await server();
    const a = await connectTcp(db.port);
    try {
      using strict = keepConfigured({ remotePort: db.port, localPort: a.localPort! }, { detectWithin: BOUND }, {
        period: 0,
        reassert: true,
      });
      const fa = tcpFd(a.localPort!, db.port);
      for (const idle of [60_000, 50_000]) {
        strict.refresh();
        // A driver that changes values long after connecting.
        a.setKeepAlive(true, idle);
        const report = strict.refresh();
        assert.deepEqual(report.reasserted.map((s) => s.fd), [fa]);
        assert.deepEqual(getKeepAlive(fa), EXPECTED);
      }
      assert.equal(strict.refresh().reasserted.length, 0, "restored; nothing to do after");
    } finally {
      a.destroy();
      await db.close();
    }
  });

  it("reports a driver connected over a Unix-domain socket instead of skipping it silently", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sockopts-policy-"));
    const path = join(dir, "db.sock");
    const srv = net.createServer((s) => s.on("error", () => {}));
    await new Promise<void>((resolve) => srv.listen(path, resolve));
    const client = net.connect(path);
    await new Promise<void>((resolve) => client.once("connect", resolve));
    const reports: PolicyReport[] = [];
    try {
      using policy = keepConfigured({ remotePort: 5432 }, { detectWithin: BOUND }, {
        period: 0,
        onReport: (r) => reports.push(r),
      });
      const unix = policy.report.skipped.filter((s) => s.kind === "unix");
      assert.ok(unix.length >= 2, `the Unix-domain listener and connection are reported: ${JSON.stringify(unix)}`);
      assert.ok(unix.every((s) => s.reason === "not-tcp" && /Unix-domain stream socket/.test(s.detail)));
      assert.equal(reports.length, 1, "onReport heard about them");
      assert.equal(policy.refresh().skipped.length, 0, "each is reported once");
    } finally {
      client.destroy();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports a Unix-domain connection opened after it started, on the next refresh", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sockopts-policy-"));
    const path = join(dir, "db.sock");
    const srv = net.createServer((s) => s.on("error", () => {}));
    await new Promise<void>((resolve) => srv.listen(path, resolve));
    let client: net.Socket | undefined;
    try {
      using policy = keepConfigured({ remotePort: 5432 }, { detectWithin: BOUND }, { period: 0 });
      assert.ok(policy.report.skipped.some((s) => s.kind === "unix"), "the listener, at the first (full) tick");
      assert.equal(policy.refresh().skipped.length, 0, "nothing new");
      // A pool's connect hook calls refresh(): the new connection must not wait for a full scan.
      client = net.connect(path);
      await new Promise<void>((resolve) => client!.once("connect", resolve));
      await new Promise((resolve) => setTimeout(resolve, 20)); // the server side accepts too
      const report = policy.refresh();
      const unix = report.skipped.filter((s) => s.kind === "unix");
      assert.ok(unix.length >= 1, `the new Unix-domain connection is reported: ${JSON.stringify(report)}`);
      assert.ok(unix.every((s) => s.reason === "not-tcp" && /Unix-domain stream socket/.test(s.detail)));
      assert.equal(policy.refresh().skipped.length, 0, "each is reported once");
    } finally {
      client?.destroy();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stops with stop() and with using; checks its options", async () => {
    let outside: ReturnType<typeof keepConfigured>;
    {
      using policy = keepConfigured({ remotePort: 1 }, { detectWithin: BOUND }, { period: 20 });
      outside = policy;
      assert.equal(policy.stopped, false);
      assert.ok(policy.stats.period > 0);
    }
    assert.equal(outside.stopped, true, "disposed at the end of the block");
    const ticks = outside.stats.ticks;
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.equal(outside.stats.ticks, ticks, "no tick after stop");
    assert.equal(outside.stats.period, 0);
    assert.throws(() => keepConfigured({}, { detectWithin: BOUND }), /names no remotePort/);
    assert.throws(() => keepConfigured({ remotePort: 1 }, { detectWithin: BOUND }, { period: -1 }), RangeError);
    assert.throws(
      () => keepConfigured({ remotePort: 1 }, { detectWithin: BOUND }, { every: 1 } as never),
      /unknown option "every"/,
    );
  });

  it("ticks on its own timer, which never keeps the process alive", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sockopts-timer-"));
    const script = join(dir, "timer.ts");
    writeFileSync(
      script,
      `import net from "node:net";
import { keepConfigured } from ${JSON.stringify(join(root, "mod.ts"))};
const srv = net.createServer((s) => s.on("error", () => {}));
await new Promise((r) => srv.listen(0, "127.0.0.1", r));
const port = srv.address().port;
const policy = keepConfigured({ remotePort: port }, { detectWithin: 20000 }, { period: 50 });
const client = net.connect(port, "127.0.0.1");
await new Promise((r) => client.once("connect", r));
await new Promise((r) => setTimeout(r, 400));
console.log(JSON.stringify({ ticks: policy.stats.ticks, configured: policy.stats.configured }));
client.destroy();
srv.close();
`,
    );
    try {
      const [command, ...args] = runtimeCommand(script, []);
      const started = Date.now();
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile(command, args, { timeout: 20_000, killSignal: "SIGKILL" }, (error, out, err) => {
          if (error) reject(new Error(`${error.message}\n${err}`));
          else resolve(out);
        })
      );
      const elapsed = Date.now() - started;
      const { ticks, configured } = JSON.parse(stdout.trim().split("\n").at(-1)!);
      assert.ok(ticks >= 3, `the timer ticked (${ticks} ticks in 400 ms at a 50 ms period)`);
      assert.equal(configured, 1, "the timer, not a refresh, configured the connection made after the start");
      assert.ok(elapsed < 15_000, `the process exited on its own with the policy still running (${elapsed} ms)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
