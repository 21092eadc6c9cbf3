/**
 * The `sockopts` command's command line, help, messages and exit codes, and its view of its own
 * process; and what it says when the kernel refuses a system call it needs (a seccomp filter,
 * tests/fixtures/deny_syscall.c, makes the real kernel answer ENOSYS or EPERM, as an old kernel or
 * a sandbox would). The runs against other processes are in tests/cli_process.test.ts.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "../src/cli/args.ts";
import { helpText } from "../src/cli/help.ts";
import { main } from "../src/cli/main.ts";
import { formatDuration, parseDuration } from "../src/cli/units.ts";
import { fdOf } from "../mod.ts";
import { currentRuntime } from "../src/ffi/runtime.ts";
import { dropNative } from "../src/sys/native.ts";
import { hostFor, overrideHost } from "../src/sys/host.ts";
import { readIntOption } from "./support/kernel.ts";
import { root } from "./support/exec.ts";
import { runtimeName } from "./support/runtime.ts";
import { MAIN, sockopts, startTarget, type Target } from "./cli/harness.ts";

/** Runs the command in this process, collecting what it writes. */
async function inProcess(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (err += t), terminal: false });
  return { code, out, err };
}

describe("durations on the command line", () => {
  it("take ms, s, m, h and their combinations", () => {
    assert.equal(parseDuration("--idle", "1500ms"), 1500);
    assert.equal(parseDuration("--idle", "30s"), 30_000);
    assert.equal(parseDuration("--idle", "1.5s"), 1500);
    assert.equal(parseDuration("--idle", "5m"), 300_000);
    assert.equal(parseDuration("--idle", "1h30m"), 5_400_000);
    assert.equal(parseDuration("--idle", "1m30s"), 90_000);
  });

  it("refuse a bare number with a hint, and anything else that is no duration", () => {
    assert.throws(() => parseDuration("--idle", "30"), {
      name: "CliError",
      message: "Cannot read --idle: 30 has no unit; write 30s, 30ms or 30m (a bare number is refused, " +
        "because seconds and milliseconds are both common)",
    });
    for (const text of ["30sec", "", "s", "1h-5m", "30 s", "-5s"]) {
      assert.throws(() => parseDuration("--idle", text), /is not a duration; write it with a unit: 1500ms, 30s/);
    }
  });

  it("are shown with units, exactly", () => {
    assert.equal(formatDuration(7_200_000), "2h");
    assert.equal(formatDuration(75_000), "1m15s");
    assert.equal(formatDuration(7_875_000), "2h11m15s");
    assert.equal(formatDuration(1500), "1.5s");
    assert.equal(formatDuration(9000), "9s");
    assert.equal(formatDuration(250), "250ms");
    assert.equal(formatDuration(0.052), "0.05ms");
  });
});

describe("command lines refused before any system call (exit 2)", () => {
  // Whether process 4242 exists or not: the line is refused before the process is looked at.
  const refusals: [string[], RegExp][] = [
    [["set", "--pid", "4242", "--idle", "30s"], /^Cannot set: name the sockets to change with --remote-port/],
    [["set", "--pid", "4242", "--remote-port", "5432"], /^Cannot set: say what to set: --detect-within 30s/],
    [
      ["set", "--pid", "4242", "--remote-port", "5432", "--detect-within", "30s", "--idle", "5s"],
      /--detect-within sets keep-alive and the user timeout itself; give it alone/,
    ],
    [
      ["set", "--pid", "4242", "--remote-port", "70000", "--idle", "5s"],
      /^Cannot read the filter: --remote-port 70000 is not a port/,
    ],
    [["set", "--pid", "4242", "--remote-host", "db.internal", "--idle", "5s"], /--remote-host must be an IP address/],
    [
      ["set", "--pid", "4242", "--remote-port", "5432", "--count", "500"],
      /^Cannot read --count 500: Cannot set TCP_KEEPCNT: 500 is outside 1\.\.127/,
    ],
    [
      ["set", "--pid", "4242", "--remote-port", "5432", "--idle", "10h"],
      /^Cannot read --idle 10h: Cannot set TCP_KEEPIDLE: 36000000 ms is outside 1\.\.32767/,
    ],
    [
      ["set", "--pid", "4242", "--remote-port", "5432", "--detect-within", "1s"],
      /^Cannot read --detect-within 1s: Cannot use detectWithin: 1000 is outside 3000\.\./,
    ],
    [
      ["set", "--pid", "4242", "--remote-port", "5432", "--keepalive", "maybe"],
      /^Cannot read --keepalive: expected on or off/,
    ],
    [["ls", "--colour"], /^Cannot read the command line: ls takes no "--colour"/],
    [["ls", "--pid", "abc"], /^Cannot read --pid: "abc" is not a process id/],
    [["ls", "--pid", "1", "--all"], /give --pid or --all, not both/],
    [["watch"], /^Cannot watch: name the process with --pid/],
    [["watch", "--pid", "1", "--period", "10ms"], /under the shortest period, 100ms/],
    [["frobnicate"], /no command "frobnicate"; expected ls, set or watch/],
  ];
  for (const [argv, message] of refusals) {
    it(`sockopts ${argv.join(" ")}`, async () => {
      const run = await inProcess(argv);
      assert.equal(run.code, 2);
      assert.equal(run.out, "");
      assert.match(run.err.replace(/^sockopts: /, ""), message);
    });
  }
});

describe("help", () => {
  it("the overview lists the commands, how to run it in each runtime, and the exit codes", async () => {
    for (const argv of [[], ["--help"], ["help"]]) {
      const run = await inProcess(argv);
      assert.equal(run.code, 0);
      assert.equal(run.out, helpText(undefined));
    }
    const text = helpText(undefined);
    for (const line of ["sockopts ls ", "sockopts set ", "sockopts watch ", "npx sockopts", "bunx --bun sockopts"]) {
      assert.ok(text.includes(line), line);
    }
    assert.ok(text.includes("deno run -A jsr:@sockopts/sockopts/cli"));
    assert.match(text, /Exit codes: 0 done; 1 .*; 2 .*;\n3 no such process; 4 not permitted .*; 5 unsupported here/);
  });

  for (const command of ["ls", "set", "watch"] as const) {
    it(`${command} --help shows its flags, and every example in it is a command line sockopts accepts`, async () => {
      const run = await inProcess([command, "--help"]);
      assert.equal(run.code, 0);
      assert.equal(run.out, helpText(command));
      const examples = run.out.slice(run.out.indexOf("Examples:\n") + 10).trim().split("\n");
      assert.ok(examples.length >= 2, `${command} --help has examples`);
      for (const example of examples) {
        const words = example.trim().replace(/^sudo /, "").replace(/ +\(.*\)$/, "").split(/ +/);
        assert.equal(words[0], "sockopts");
        assert.equal(words[1], command);
        assert.doesNotThrow(() => parseArgs(words.slice(1)), example);
      }
    });
  }
});

describe(`sockopts ls of its own process (under ${runtimeName})`, () => {
  let server: net.Server;
  let client: net.Socket;
  before(async () => {
    server = net.createServer((s) => s.on("error", () => {}));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
    await new Promise((resolve) => client.once("connect", resolve));
    client.setKeepAlive(true, 42_000);
  });
  after(() => {
    client.destroy();
    server.close();
  });

  it("lists this process's connection with the values its own getsockopt reads", async () => {
    const port = (server.address() as net.AddressInfo).port;
    const run = await inProcess(["ls", "--remote-port", String(port), "--json"]);
    assert.equal(run.code, 0, run.err);
    const { sockets } = JSON.parse(run.out);
    const fd = fdOf(client);
    assert.equal(sockets.length, 1);
    assert.equal(sockets[0].fd, fd);
    assert.equal(sockets[0].remote, `127.0.0.1:${port}`);
    assert.deepEqual(sockets[0].keepAlive, {
      enable: readIntOption(fd, 1, 9) === 1,
      idle: readIntOption(fd, 6, 4) * 1000,
      interval: readIntOption(fd, 6, 5) * 1000,
      count: readIntOption(fd, 6, 6),
    });
    assert.equal(sockets[0].keepAlive.idle, 42_000);
  });
});

describe("--pid and --all off Linux", () => {
  it("exit 5 before any system call: Linux-only, and what works instead", async () => {
    const runtime = currentRuntime()!;
    const darwin = hostFor({ ...runtime, os: "darwin" });
    if (darwin instanceof Error) throw darwin;
    dropNative();
    overrideHost(darwin);
    try {
      for (const argv of [["ls", "--pid", "4242"], ["ls", "--all"], ["watch", "--pid", "4242"]]) {
        const run = await inProcess(argv);
        assert.equal(run.code, 5);
        const flag = argv[1];
        assert.equal(
          run.err,
          `sockopts: Cannot use ${flag}: it is Linux-only (this is darwin); reading another process's sockets needs ` +
            "Linux 5.6's pidfd_getfd. `sockopts ls` without --pid lists this process's own sockets\n",
        );
      }
    } finally {
      overrideHost(undefined);
      dropNative();
    }
  });
});

describe("the entry point as a program", () => {
  it("runs from the command line and exits with the command's code", async () => {
    const help = await sockopts(["ls", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^sockopts ls: every TCP socket of a process/);
    const bad = await sockopts(["ls", "--pid", "abc"]);
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      'sockopts: Cannot read --pid: "abc" is not a process id (a whole number from 1 to 4194304)\n',
    );
    assert.equal(bad.stdout, "");
  });
});

const linuxRoot = process.platform !== "linux"
  ? `needs Linux (this is ${process.platform})`
  : process.getuid?.() !== 0
  ? "needs root (a target in another network namespace)"
  : false;
let compiler: string | false = linuxRoot;
if (!linuxRoot) {
  try {
    execFileSync("sh", ["-c", "command -v cc"], { stdio: "pipe" });
  } catch {
    compiler = "needs a C compiler (cc) to build tests/fixtures/deny_syscall.c";
  }
}
if (compiler) console.warn(`!!! cli kernel refusals (${runtimeName}): SKIPPED: ${compiler} !!!`);

describe(`when the kernel refuses a call the command needs (under ${runtimeName})`, { skip: compiler }, () => {
  let dir = "";
  let deny = "";
  let target: Target;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "sockopts-deny-"));
    deny = join(dir, "deny_syscall");
    execFileSync("cc", ["-O2", "-Wall", "-o", deny, join(root, "tests", "fixtures", "deny_syscall.c")]);
    target = await startTarget("deno", { isolated: true });
  });
  after(async () => {
    await target?.stop();
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  const denied = (syscall: string, errno: string, args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const argv = [syscall, errno, process.execPath, ...(runtimeName === "deno" ? ["run", "-A"] : []), MAIN, ...args];
      try {
        resolve({ code: 0, stdout: execFileSync(deny, argv, { encoding: "utf8", stdio: "pipe" }), stderr: "" });
      } catch (error) {
        const e = error as { status: number | null; stdout: string; stderr: string };
        resolve({ code: e.status, stdout: String(e.stdout), stderr: String(e.stderr) });
      }
    });

  it("pidfd_getfd missing (ENOSYS, as before Linux 5.6): exit 5, saying what --pid needs", async () => {
    const run = await denied("pidfd_getfd", "ENOSYS", ["ls", "--pid", String(target.pid)]);
    assert.equal(run.code, 5, run.stderr);
    assert.match(
      run.stderr,
      /^sockopts: Cannot use --pid: pidfd_getfd is not available \(ENOSYS\); --pid needs Linux 5\.6 or later, and this kernel reports [^,]+, so a seccomp filter/,
    );
  });

  it("pidfd_open missing (ENOSYS): exit 5 as well, naming pidfd_open", async () => {
    const run = await denied("pidfd_open", "ENOSYS", ["ls", "--pid", String(target.pid)]);
    assert.equal(run.code, 5, run.stderr);
    assert.match(
      run.stderr,
      /^sockopts: Cannot use --pid: pidfd_open is not available \(ENOSYS\); --pid needs Linux 5\.6/,
    );
  });

  it("pidfd_getfd refused by a sandbox (EPERM, with CAP_SYS_PTRACE held): exit 4, naming the security layers", async () => {
    const run = await denied("pidfd_getfd", "EPERM", ["ls", "--pid", String(target.pid)]);
    assert.equal(run.code, 4, run.stderr);
    assert.equal(
      run.stderr,
      `sockopts: Cannot take the fds of process ${target.pid}: not permitted (pidfd_getfd: EPERM): sockopts holds ` +
        "CAP_SYS_PTRACE, so a security module (AppArmor, SELinux) or a seccomp filter refused it, or the process is " +
        "in a user namespace sockopts has no capabilities over: see the system log\n",
    );
  });

  it("setns refused: the sockets of a process in another network namespace are read through its fds instead", async () => {
    const own = await target.report();
    const run = await denied("setns", "EPERM", ["ls", "--pid", String(target.pid), "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const sockets = JSON.parse(run.stdout).sockets as {
      fd: number;
      local: string;
      remote: string | null;
      state: string;
    }[];
    assert.deepEqual(
      sockets.map(({ fd, local, remote, state }) => ({ fd, local, remote, state })),
      own.tcp.map(({ fd, local, remote, state }) => ({ fd, local, remote, state })),
    );
  });
});
