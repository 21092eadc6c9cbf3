/**
 * Windows under Wine 10: Deno, Bun and Node for Windows each run tests/windows/probe.ts, which
 * finds its sockets' Winsock SOCKETs and sets keep-alive through ws2_32 with the runtime's FFI.
 * Then, from outside Wine, this test borrows the same Linux sockets from the Wine process
 * (pidfd_getfd) and reads with the library what the kernel holds: Winsock's answers alone could
 * be Wine's bookkeeping. Needs root and the chroot scripts/wine_setup.sh makes; skips loudly
 * otherwise.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { getKeepAlive } from "../mod.ts";
import { windows } from "../platforms/windows/constants.ts";
import { borrowFd, closeFd, socketHolders } from "./support/pidfd.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const chroot = join(process.env.SOCKOPTS_WINE_ROOT ?? "/var/cache/sockopts-wine", "trixie");
const skip: string | false = process.platform !== "linux" || process.arch !== "x64"
  ? "Wine tests run on Linux x86_64 only"
  : process.getuid?.() !== 0
  ? "Wine tests need root (chroot, pidfd_getfd)"
  : !existsSync(join(chroot, ".sockopts-wine-ready"))
  ? `no Wine 10 chroot at ${chroot} (run scripts/wine_setup.sh)`
  : false;
if (skip) console.log(`${"=".repeat(30)} SKIPPED: Windows under Wine: ${skip} ${"=".repeat(30)}`);

interface Call {
  readonly ret: number;
  readonly wsaError: number;
  readonly value?: number;
}

interface Search {
  readonly method: string;
  readonly status: number;
  readonly match: number | null;
}

interface Report {
  readonly runtime: string;
  readonly wine: boolean;
  readonly clientPort: number;
  readonly serverPort: number;
  readonly client: number;
  readonly server: number;
  readonly bunFds: { client: number; server: number } | null;
  readonly clientSearch: readonly Search[];
  readonly serverSearch: readonly Search[];
  readonly calls: Record<string, Call>;
}

/**
 * Starts the probe under Wine and resolves with its READY report, and a way to let it finish.
 * Its output goes to a file, not a pipe: Node for Windows under Wine cannot open a Linux pipe as
 * its stdout (libuv: "open EBADF"), and Bun cannot open one as stdin.
 */
function startProbe(runtime: "deno" | "bun" | "node"): Promise<{ report: Report; finished: Promise<string> }> {
  const args = runtime === "deno" ? ["run", "-A", "tests/windows/probe.ts"] : ["tests/windows/probe.ts"];
  const dir = mkdtempSync(join(tmpdir(), "sockopts-wine-"));
  const log = join(dir, "out.log");
  const fd = openSync(log, "w");
  const child = spawn("bash", [join(root, "scripts/wine_run.sh"), runtime, ...args], {
    cwd: root,
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  let exited: number | null | undefined;
  const read = () => readFileSync(log, "utf8");
  const finished = new Promise<string>((resolve) =>
    child.on("close", (code) => {
      exited = code;
      const out = read();
      rmSync(dir, { recursive: true, force: true });
      resolve(`exit ${code}\n${out}`);
    })
  );
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      const out = exited === undefined ? read() : "";
      const line = out.split("\n").find((l) => l.startsWith("READY ") || l.startsWith("FAILED "));
      if (line !== undefined && out.includes("\n", out.indexOf(line))) {
        clearInterval(poll);
        if (line.startsWith("FAILED ")) reject(new Error(`the probe found no socket: ${line}`));
        else resolve({ report: JSON.parse(line.slice(6)) as Report, finished });
      } else if (exited !== undefined) {
        clearInterval(poll);
        finished.then((end) => reject(new Error(`${runtime} for Windows exited before READY: ${end}`)));
      } else if (Date.now() - started > 150_000) {
        clearInterval(poll);
        child.kill();
        reject(new Error(`no READY line from ${runtime} for Windows within 150 s:\n${out}`));
      }
    }, 100);
  });
}

/** What the kernel holds for the loopback socket with these ports, read through a borrowed fd. */
function kernelKeepAlive(localPort: number, remotePort: number) {
  const holders = socketHolders(localPort, remotePort);
  assert.ok(holders.length > 0, `no Linux process holds 127.0.0.1:${localPort} -> ${remotePort}`);
  const fd = borrowFd(holders[0].pid, holders[0].fd);
  try {
    return { holders: holders.map((h) => h.comm), settings: getKeepAlive(fd) };
  } finally {
    closeFd(fd);
  }
}

for (const runtime of ["bun", "deno", "node"] as const) {
  test(`Windows ${runtime} under Wine 10: ws2_32 keep-alive reaches the Linux socket`, {
    skip,
    timeout: 180_000,
  }, async () => {
    const { report, finished } = await startProbe(runtime);
    try {
      assert.equal(report.runtime, runtime);
      assert.equal(report.wine, true);
      // Found by the handle table (ProcessHandleInformation is not in Wine 10: the system-wide list).
      const found = report.clientSearch.find((s) => s.match !== null);
      assert.equal(found?.method, "SystemExtendedHandleInformation");
      assert.equal(report.clientSearch[0].status, 0xc0000003 | 0, "STATUS_INVALID_INFO_CLASS");
      assert.equal(found?.match, report.client);
      assert.equal(report.serverSearch.find((s) => s.match !== null)?.match, report.server);
      // Bun's fd is the SOCKET: the handle table found the very same values.
      if (runtime === "bun") assert.deepEqual(report.bunFds, { client: report.client, server: report.server });
      else assert.equal(report.bunFds, null);

      const c = report.calls;
      const E = windows.errno;
      assert.deepEqual(c.keepaliveBefore, { ret: 0, wsaError: 0, value: 0 });
      assert.deepEqual(c.keepaliveAfter, { ret: 0, wsaError: 0, value: 1 });
      assert.deepEqual([c.idle.value, c.interval.value, c.count.value], [75, 7, 5]);
      // Linux's TCP_KEEPCNT stops at 127; Wine passes EINVAL on as WSAEINVAL and keeps the old count.
      assert.deepEqual(c.countTooBig, { ret: -1, wsaError: E.EINVAL });
      assert.equal(c.countAfterTooBig.value, 5);
      // No TCP_MAXRT / TCP_MAXRTMS in Wine.
      for (const name of ["maxrtSet", "maxrt", "maxrtmsSet", "maxrtms"]) {
        assert.deepEqual(c[name], { ret: -1, wsaError: E.ENOPROTOOPT }, name);
      }
      assert.equal(c.nodelay.value, 1);
      assert.deepEqual(c.valsSet, { ret: 0, wsaError: 0 });
      assert.deepEqual([c.valsKeepalive.value, c.valsIdle.value, c.valsInterval.value], [1, 46, 3]);
      assert.deepEqual(c.notSocket, { ret: -1, wsaError: E.ENOTSOCK });

      // The kernel's view, from outside Wine: idle and interval in ms as the library reports them.
      const client = kernelKeepAlive(report.clientPort, report.serverPort);
      assert.deepEqual(client.settings, { enable: true, idle: 75_000, interval: 7_000, count: 5 });
      // SIO_KEEPALIVE_VALS: 45.5 s and 2.5 s rounded up to whole seconds; the count left alone.
      const server = kernelKeepAlive(report.serverPort, report.clientPort);
      assert.equal(server.settings.enable, true);
      assert.equal(server.settings.idle, 46_000);
      assert.equal(server.settings.interval, 3_000);
    } finally {
      // A second connection to the probe's listener tells it to close up and exit.
      await new Promise<void>((resolve) => {
        const done = connect(report.serverPort, "127.0.0.1", () => {
          done.end();
          resolve();
        });
        done.on("error", () => resolve());
      });
    }
    const end = await finished;
    assert.match(end, /^exit 0\n/, end);
  });
}
