/**
 * The `sockopts` command against real processes the test starts (tests/cli/target.ts): a Deno
 * program with `Deno.listen` servers and `Deno.connect` clients, and a Bun program with
 * `Bun.listen` and `Bun.connect`. The command runs under the runtime running the suite; every
 * check of what it read or changed is made from inside the target, through the target's own
 * getsockopt (tests/cli/own_sockets.ts), never through sockopts.
 *
 * Needs Linux (5.6+, for pidfd_getfd); the runs as another user and in another network namespace
 * need root. Elsewhere each group is skipped with one line saying why.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { runtimeName } from "./support/runtime.ts";
import { sockopts, startTarget, type Target, type TargetKind } from "./cli/harness.ts";
import type { OwnSocket, OwnView } from "./cli/own_sockets.ts";

const linux = process.platform === "linux" ? false : `needs Linux (this is ${process.platform})`;
const asRoot = linux || (process.getuid?.() === 0 ? false : "needs root (to run as another user, and to unshare)");
if (linux) console.warn(`!!! cli (${runtimeName}): SKIPPED the command's tests against real processes: ${linux} !!!`);
else if (asRoot) {
  console.warn(`!!! cli (${runtimeName}): SKIPPED the tests as nobody and in a namespace: ${asRoot} !!!`);
}

const WAIT = { timeout: 90_000 };
const NOBODY = { uid: 65534, gid: 65534 };

/** A socket as `ls --json` shows it, reduced to what the target can read of itself. */
function asListed(o: OwnSocket) {
  return {
    fd: o.fd,
    local: o.local,
    remote: o.remote,
    state: o.state,
    keepAlive: {
      enable: o.keepAlive === 1,
      idle: o.idleSeconds * 1000,
      interval: o.intervalSeconds * 1000,
      count: o.count,
    },
    userTimeout: o.userTimeoutMs,
  };
}

function shown(stdout: string) {
  const report = JSON.parse(stdout) as { sockets: ReturnType<typeof asListed>[] };
  return report.sockets.map(({ fd, local, remote, state, keepAlive, userTimeout }) => ({
    fd,
    local,
    remote,
    state,
    keepAlive,
    userTimeout,
  }));
}

const port = (end: string | null) => end === null ? -1 : Number(end.slice(end.lastIndexOf(":") + 1));

/** Asserts `after` differs from `before` exactly on the TCP sockets whose remote port is `changedPort`. */
function onlyChanged(before: OwnView, after: OwnView, changedPort: number, expected: Partial<OwnSocket>): number[] {
  for (const [fd, link] of Object.entries(before.fds)) {
    assert.equal(after.fds[fd], link, `fd ${fd} still holds the same file or socket (${link})`);
  }
  const changed: number[] = [];
  for (const was of before.tcp) {
    const now = after.tcp.find((s) => s.fd === was.fd);
    assert.ok(now !== undefined, `fd ${was.fd} is still a TCP socket`);
    if (port(was.remote) === changedPort) {
      changed.push(was.fd);
      assert.deepEqual(now, { ...was, ...expected }, `fd ${was.fd} (to ${was.remote}) holds the new values`);
    } else assert.deepEqual(now, was, `fd ${was.fd} (${was.local} -> ${was.remote}) is untouched`);
  }
  return changed;
}

for (const kind of ["deno", "bun"] as TargetKind[]) {
  describe(`sockopts --pid on a ${kind} process (the command under ${runtimeName})`, { skip: linux }, () => {
    let target: Target;
    before(async () => {
      target = await startTarget(kind);
    });
    after(() => target?.stop());

    it(
      "ls --json shows exactly the TCP sockets, ends, states and values the target's own getsockopt reads",
      WAIT,
      async () => {
        const own = await target.report();
        assert.equal(own.tcp.length, 8, "2 listeners, 3 clients and their 3 accepted ends");
        const run = await sockopts(["ls", "--pid", String(target.pid), "--json"]);
        assert.equal(run.code, 0, run.stderr);
        assert.deepEqual(shown(run.stdout), own.tcp.map(asListed));
      },
    );

    it(
      "ls --remote-port shows only the connections to that port; the table has a line for the process",
      WAIT,
      async () => {
        const own = await target.report();
        const json = await sockopts(["ls", "--pid", String(target.pid), "--remote-port", String(target.db), "--json"]);
        assert.equal(json.code, 0, json.stderr);
        assert.deepEqual(shown(json.stdout), own.tcp.filter((s) => port(s.remote) === target.db).map(asListed));
        const table = await sockopts(["ls", "--pid", String(target.pid), "--remote-port", String(target.db)]);
        assert.equal(table.code, 0, table.stderr);
        const lines = table.stdout.trimEnd().split("\n");
        assert.match(lines[0], new RegExp(`^PID ${target.pid} \\S+: 2 TCP sockets, user root \\(uid 0\\)`));
        assert.match(lines[1], /^FD +LOCAL +REMOTE +STATE +KEEPALIVE +IDLE +INTERVAL +COUNT +DEAD PEER AFTER/);
        assert.equal(lines.length, 4);
        for (const line of lines.slice(2)) {
          assert.match(
            line,
            new RegExp(`127\\.0\\.0\\.1:${target.db} +ESTABLISHED +off +2h +1m15s +9 +never \\(off\\)`),
          );
        }
      },
    );

    it(
      "set changes exactly the matching sockets, read back from inside; the values stay after the command exits",
      WAIT,
      async () => {
        const before = await target.report();
        const run = await sockopts([
          "set",
          "--pid",
          String(target.pid),
          "--remote-port",
          String(target.db),
          ...["--idle", "30s", "--interval", "5s", "--count", "4", "--user-timeout", "20s", "--json"],
        ]);
        assert.equal(run.code, 0, run.stderr);
        const report = JSON.parse(run.stdout);
        // The command has exited; the target reads its sockets now, and again a moment later.
        const after = await target.report();
        const expected = { keepAlive: 1, idleSeconds: 30, intervalSeconds: 5, count: 4, userTimeoutMs: 20_000 };
        const changed = onlyChanged(before, after, target.db, expected);
        assert.equal(changed.length, 2);
        assert.deepEqual(report.changed.map((c: { fd: number }) => c.fd).sort(), changed.sort());
        assert.equal(report.failed.length, 0);
        assert.equal(report.skipped.length, 6);
        await new Promise((resolve) => setTimeout(resolve, 300));
        // Still so after the command exited: every fd the target held then holds the same file or
        // socket with the same values (the target may open fds of its own meanwhile).
        assert.deepEqual(onlyChanged(after, await target.report(), 0, {}), [], "still so after the command exited");
      },
    );

    it("set --dry-run says what would change and changes nothing", WAIT, async () => {
      const before = await target.report();
      const run = await sockopts([
        "set",
        "--pid",
        String(target.pid),
        "--remote-port",
        String(target.cache),
        "--detect-within",
        "10s",
        "--dry-run",
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(
        run.stdout,
        /: 1 would change, 7 skipped, 0 failed \(of 8 TCP sockets\); --dry-run: nothing was changed/,
      );
      assert.match(
        run.stdout,
        /would change {2}fd \d+ {2}127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ {2}ESTABLISHED {2}keep-alive off -> on, idle 2h -> 6s, interval 1m15s -> 1s, count 9 -> 3, user timeout default -> 9s/,
      );
      assert.deepEqual(await target.report(), before);
    });
  });
}

describe(`sockopts --pid refusals and namespaces (the command under ${runtimeName})`, { skip: asRoot }, () => {
  let target: Target;
  before(async () => {
    target = await startTarget("deno");
  });
  after(() => target?.stop());

  it("ls --all finds the target among every process, with its sockets as --pid lists them", WAIT, async () => {
    const all = await sockopts(["ls", "--all", "--remote-port", String(target.db), "--json"]);
    assert.equal(all.code, 0, all.stderr);
    const { processes, refused } = JSON.parse(all.stdout);
    // Some processes may be out of reach even of root (a sandbox's own init here): counted, not shown.
    assert.ok(Number.isInteger(refused), "how many could not be inspected");
    const mine = processes.find((p: { pid: number }) => p.pid === target.pid);
    assert.ok(mine !== undefined, "the target is listed");
    const one = await sockopts(["ls", "--pid", String(target.pid), "--remote-port", String(target.db), "--json"]);
    assert.deepEqual(shown(JSON.stringify(mine)), shown(one.stdout));
    assert.equal(mine.sockets.length, 2);
  });

  it("watch, out of a terminal, prints one table per refresh", WAIT, async () => {
    const run = await sockopts([
      "watch",
      "--pid",
      String(target.pid),
      "--remote-port",
      String(target.db),
      "--period",
      "200ms",
      "--times",
      "3",
    ]);
    assert.equal(run.code, 0, run.stderr);
    const heads = run.stdout.split("\n").filter((line) => line.startsWith("sockopts watch"));
    assert.deepEqual(
      heads.map((line) => line.replace(/ at \d\d:\d\d:\d\d,/, " at T,")),
      [1, 2, 3].map((n) => `sockopts watch --pid ${target.pid}: refresh ${n} at T, every 200ms of 3`),
    );
    assert.equal(run.stdout.match(/^FD +LOCAL/gm)?.length, 3);
    assert.ok(!run.stdout.includes("\u001b"), "no terminal control codes");
  });

  it("no such process: exit 3 and the documented message", WAIT, async () => {
    const gone = Number(execFileSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).trim());
    const run = await sockopts(["ls", "--pid", String(gone)]);
    assert.equal(run.code, 3);
    assert.equal(run.stderr, `sockopts: Cannot inspect process ${gone}: no such process\n`);
  });

  it(
    "as nobody, another user's process: exit 4, which rule refused and how to allow it; nothing changed",
    WAIT,
    async () => {
      const before = await target.report();
      for (const args of [["ls"], ["set", "--remote-port", String(target.db), "--idle", "9s"]]) {
        const run = await sockopts([args[0], "--pid", String(target.pid), ...args.slice(1)], { as: NOBODY });
        assert.equal(run.code, 4, run.stderr);
        assert.equal(
          run.stderr,
          `sockopts: Cannot list the fds of process ${target.pid}: not permitted (open /proc/${target.pid}/fd: EACCES): ` +
            `process ${target.pid} belongs to root (uid 0), and sockopts runs as nobody (uid 65534) without ` +
            "CAP_SYS_PTRACE: run it as root (sudo sockopts …)\n",
        );
      }
      assert.deepEqual(await target.report(), before);
    },
  );

  it("as nobody, nobody's own process: no privilege needed; made non-dumpable, exit 4 naming that", WAIT, async () => {
    const mine = await startTarget("deno", { as: NOBODY });
    try {
      const own = await mine.report();
      const ls = await sockopts(["ls", "--pid", String(mine.pid), "--json"], { as: NOBODY });
      assert.equal(ls.code, 0, ls.stderr);
      assert.deepEqual(shown(ls.stdout), own.tcp.map(asListed));
      const set = await sockopts(
        ["set", "--pid", String(mine.pid), "--remote-port", String(mine.db), "--idle", "33s"],
        {
          as: NOBODY,
        },
      );
      assert.equal(set.code, 0, set.stderr);
      onlyChanged(own, await mine.report(), mine.db, { keepAlive: 1, idleSeconds: 33 });
      await mine.undumpable();
      const refused = await sockopts(["ls", "--pid", String(mine.pid)], { as: NOBODY });
      assert.equal(refused.code, 4, refused.stderr);
      assert.equal(
        refused.stderr,
        `sockopts: Cannot list the fds of process ${mine.pid}: not permitted (open /proc/${mine.pid}/fd: EACCES): ` +
          `process ${mine.pid} is not dumpable (a setuid program, or one that called prctl(PR_SET_DUMPABLE, 0)), so ` +
          "only a process with CAP_SYS_PTRACE may take its fds: run sockopts as root (sudo sockopts …)\n",
      );
    } finally {
      await mine.stop();
    }
  });

  it("a process in another network namespace: ls and set reach it from outside", WAIT, async () => {
    const isolated = await startTarget("deno", { isolated: true });
    try {
      const own = await isolated.report();
      const ls = await sockopts(["ls", "--pid", String(isolated.pid), "--json"]);
      assert.equal(ls.code, 0, ls.stderr);
      assert.notEqual(JSON.parse(ls.stdout).namespace, JSON.parse((await sockopts(["ls", "--json"])).stdout).namespace);
      assert.deepEqual(shown(ls.stdout), own.tcp.map(asListed));
      const set = await sockopts([
        "set",
        "--pid",
        String(isolated.pid),
        "--remote-port",
        String(isolated.cache),
        "--idle",
        "42s",
      ]);
      assert.equal(set.code, 0, set.stderr);
      onlyChanged(own, await isolated.report(), isolated.cache, { keepAlive: 1, idleSeconds: 42 });
    } finally {
      await isolated.stop();
    }
  });
});
