/**
 * keepConfigured's timer ticks share the event loop (their work in slices of about 2 ms, a turn
 * of the loop between two), a timer tick half done when refresh() or stop() comes, and a policy
 * nobody keeps a reference to, which runs on like an interval.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { deadPeerPlan, keepConfigured } from "../mod.ts";
import { keepAliveState } from "./support/kernel.ts";
import { connectTcp } from "./support/net.ts";
import { tcpFd } from "./support/proc.ts";
import { isBun, isDeno } from "./support/runtime.ts";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
const BOUND = 20_000;
const PLAN = deadPeerPlan(BOUND);
const FD_TARGET = 18_000;

/** Runs a fixture under this runtime, its soft fd limit raised to the hard one; resolves its JSON line. */
function child(
  script: string,
  args: string[],
  flags: { gc?: boolean } = {},
): Promise<Record<string, number | boolean>> {
  const runtime = isDeno
    ? ["run", "-A", ...(flags.gc ? ["--v8-flags=--expose-gc"] : []), script]
    : isBun
    ? [script]
    : [...(flags.gc ? ["--expose-gc"] : []), script];
  const command = [
    "sh",
    "-c",
    'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"',
    "sh",
    process.execPath,
    ...runtime,
    ...args,
  ];
  return new Promise((resolve, reject) => {
    execFile(
      command[0],
      command.slice(1),
      { encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL" },
      (error, out, err) => {
        if (error) reject(new Error(`${error.message}\n${err}`));
        else resolve(JSON.parse(out.trim().split("\n").at(-1)!));
      },
    );
  });
}

/** The hard limit of open files, which a child can raise its own to. */
function hardFdLimit(): number {
  const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"))!;
  const hard = line.split(/\s+/)[4];
  return hard === "unlimited" ? Infinity : Number(hard);
}
const TOO_FEW_FDS = hardFdLimit() < FD_TARGET + 500
  ? `SKIPPED LOUDLY: the hard limit of open files (${hardFdLimit()}) is below ${FD_TARGET + 500}`
  : false;

describe("keepConfigured shares the event loop", () => {
  it(
    "holds the loop for a small part of what a whole tick costs, at about 18,000 fds",
    { skip: TOO_FEW_FDS },
    async () => {
      const result = await child(join(fixtures, "policy_lag_child.ts"), [String(FD_TARGET)]);
      const { fds, longestBlockMs, fullTickMs, tickMs, timerTicks, configuredAtStart } = result as Record<
        string,
        number
      >;
      const seen = JSON.stringify(result);
      assert.equal(configuredAtStart, 200, `the first tick, before keepConfigured returned: ${seen}`);
      assert.ok(timerTicks >= 9, `the timer ticked, a full scan among them: ${seen}`);
      assert.ok(fds >= FD_TARGET, `${FD_TARGET} fds held: ${seen}`);
      // A full scan at this size is tens of ms of system calls: what one block would be unsliced.
      assert.ok(fullTickMs > 10, `a full tick at once costs tens of ms: ${seen}`);
      assert.ok(longestBlockMs < fullTickMs / 3, `the longest block is a small part of a whole full tick: ${seen}`);
      assert.ok(tickMs > 0);
    },
  );
});

/** This process's fds on a NETLINK_SOCK_DIAG socket (protocol 4 in /proc/net/netlink) or on /proc/self/fd. */
function readersOpen(): number {
  const diag = new Set<string>();
  for (const line of readFileSync("/proc/net/netlink", "utf8").split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === "4") diag.add(`socket:[${fields.at(-1)}]`);
  }
  const self = `/proc/${process.pid}/fd`;
  let open = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (diag.has(target) || target === self) open++;
    } catch {
      // closed since the listing (the listing's own fd)
    }
  }
  return open;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a timer tick half done", () => {
  it("refresh() finishes it first, then ticks: every new connection configured by the time it returns, once", async () => {
    const accepted: net.Socket[] = [];
    const server = net.createServer((s) => (accepted.push(s), s.on("error", () => {})));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    const clients: net.Socket[] = [];
    let halfDone = 0;
    try {
      using policy = keepConfigured({ remotePort: port }, { detectWithin: BOUND }, { period: 1 });
      for (let i = 0; i < 60 && (halfDone < 3 || i < 20); i++) {
        const client = await connectTcp(port);
        clients.push(client);
        const before = policy.stats.ticks;
        const during = readersOpen() > 0;
        policy.refresh();
        // A timer tick in progress ends inside refresh(): two ticks counted, not one.
        if (during) {
          assert.equal(policy.stats.ticks - before, 2, "the timer tick, then refresh()'s own");
          halfDone++;
        }
        const fd = tcpFd(client.localPort!, port);
        assert.equal(keepAliveState(fd).idleSeconds, PLAN.idle / 1000, `connection ${i + 1}, fd ${fd}`);
      }
      assert.ok(halfDone >= 1, `refresh() met a timer tick half done (${halfDone} times in ${clients.length})`);
      assert.equal(policy.stats.configured, clients.length, "each connection configured once");
      assert.equal(policy.stats.failed, 0);
    } finally {
      for (const s of [...clients, ...accepted]) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("stop() abandons it: what it had open is closed before stop() returns, and it never ends", async () => {
    let caught = 0;
    for (let i = 0; i < 300 && caught < 5; i++) {
      const policy = keepConfigured({ remotePort: 1 }, { detectWithin: BOUND }, { period: 1 });
      await sleep(i % 4);
      const open = readersOpen();
      const ticks = policy.stats.ticks;
      policy.stop();
      if (open === 0) continue;
      caught++;
      assert.equal(readersOpen(), 0, "the dump's netlink socket or the fd listing closed by stop()");
      await sleep(10);
      assert.equal(policy.stats.ticks, ticks, "the abandoned tick never finished");
    }
    assert.ok(caught >= 1, `stop() met a timer tick half done (${caught} times)`);
    assert.equal(readersOpen(), 0);
  });
});

describe("a policy nobody keeps", () => {
  it("runs on after a garbage collection, like an interval: its timer holds it", async () => {
    const result = await child(join(fixtures, "policy_dropped_child.ts"), [], { gc: true });
    assert.equal(result.controlCollected, true, `the collection ran: ${JSON.stringify(result)}`);
    assert.equal(result.policyAlive, true, "the timer holds the policy");
    assert.equal(result.configured, true, "its timer configured the connection opened after the collection");
  });
});
