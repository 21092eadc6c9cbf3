/**
 * Running the `sockopts` command and the processes it works on, for the tests: a target started
 * by the test (./target.ts), asked over stdin what it sees of itself, and the command itself under
 * the runtime running the suite, optionally as another user.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { binDir, childEnv, root } from "../support/exec.ts";
import { scriptArgs } from "../support/runtime.ts";
import { HOST_NETNS } from "../e2e/namespace.ts";
import type { OwnView } from "./own_sockets.ts";

/** The command's entry point. */
export const MAIN: string = join(root, "src", "cli", "main.ts");
const TARGET = join(root, "tests", "cli", "target.ts");

/** The runtime each target kind runs under. */
const RUNTIME: Record<TargetKind, string[]> = {
  deno: [join(binDir, "deno"), "run", "-A"],
  bun: [join(binDir, "bun")],
  pg: [join(binDir, "node")],
  "dead-peer": [join(binDir, "deno"), "run", "-A"],
};

/** What ./target.ts builds its sockets with. */
export type TargetKind = "deno" | "bun" | "pg" | "dead-peer";

/** A running target. */
export interface Target {
  /** Its pid as this process (and the command) sees it. */
  readonly pid: number;
  /** The ports of its `db` and `cache` servers. */
  readonly db: number;
  readonly cache: number;
  /** What it sees of itself now. */
  report(): Promise<OwnView>;
  /** pg only: a query on every pooled connection. */
  query(): Promise<void>;
  /** dead-peer only: cuts both servers off and reports how each client ended (at most 8 s). */
  cut(): Promise<Record<string, { code: string | null; ms: number }>>;
  /** deno only: makes itself non-dumpable (prctl PR_SET_DUMPABLE 0), as setuid programs are. */
  undumpable(): Promise<void>;
  /** Closes its stdin and waits for it to exit. */
  stop(): Promise<void>;
}

/** Where a target runs: this network namespace, or a private one (root only). */
export interface TargetOptions {
  /** In a fresh network and PID namespace of its own (`unshare`), loopback up. */
  readonly isolated?: boolean;
  /** Run as this uid and gid (through setpriv), with a home of its own. */
  readonly as?: { readonly uid: number; readonly gid: number };
  readonly env?: Record<string, string>;
}

/** A home for another user, with the caches the runtimes write; `clean` removes it. */
function homeFor(
  as: { uid: number; gid: number } | undefined,
): { env: Record<string, string>; wrap: string[]; clean(): void } {
  if (as === undefined) return { env: {}, wrap: [], clean() {} };
  const home = mkdtempSync(join(tmpdir(), "sockopts-cli-home-"));
  chmodSync(home, 0o777);
  return {
    env: { HOME: home, DENO_DIR: join(home, "deno"), TMPDIR: home, XDG_CACHE_HOME: home },
    wrap: ["setpriv", `--reuid=${as.uid}`, `--regid=${as.gid}`, "--clear-groups"],
    clean: () => rmSync(home, { recursive: true, force: true }),
  };
}

/** Starts `kind` and waits for its READY line (at most 30 s). */
export function startTarget(kind: TargetKind, options: TargetOptions = {}): Promise<Target> {
  const home = homeFor(options.as);
  const command = [...home.wrap, ...RUNTIME[kind], TARGET, kind];
  const argv = options.isolated
    ? [
      "unshare",
      "--net",
      "--pid",
      "--fork",
      "--kill-child",
      "--",
      "sh",
      "-c",
      'ip link set lo up && "$@"',
      "sh",
      ...command,
    ]
    : command;
  // nftables (tests/e2e/nft.ts) refuses to load unless it sees it runs in a namespace of its own.
  const netns: Record<string, string> = options.isolated ? { [HOST_NETNS]: readlinkSync("/proc/self/ns/net") } : {};
  const child = spawn(argv[0], argv.slice(1), {
    cwd: root,
    env: childEnv({ ...netns, ...home.env, ...options.env }),
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const waiting: ((line: string) => void)[] = [];
  const lines = createInterface({ input: child.stdout! });
  lines.on("line", (line) => waiting.shift()?.(line));
  const next = (what: string) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`target ${kind}: no ${what} within 30 s\n${stderr}`)), 30_000);
      waiting.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  const ask = async (request: string, prefix: string): Promise<string> => {
    const answer = next(prefix);
    child.stdin!.write(`${request}\n`);
    const line = await answer;
    if (!line.startsWith(prefix)) throw new Error(`target ${kind}: expected ${prefix}, got ${line}\n${stderr}`);
    return line.slice(prefix.length);
  };
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`target ${kind} exited (${code}) before READY\n${stderr}`)));
    next("READY").then((line) => {
      if (!line.startsWith("READY ")) throw new Error(`target ${kind}: ${line}\n${stderr}`);
      const ready = JSON.parse(line.slice(6)) as { pid: number; db: number; cache: number };
      const target: Target = {
        ...ready,
        report: async () => JSON.parse(await ask("report", "REPORT ")) as OwnView,
        query: async () => void await ask("query", "QUERY "),
        cut: async () => JSON.parse(await ask("cut", "CUT ")),
        undumpable: async () => void await ask("undumpable", "UNDUMPABLE"),
        stop: () => stopChild(child).finally(home.clean),
      };
      // The first answer opens what the runtime opens on first use (Deno: two sockets for its
      // stdout writer); after it, the target's fds change only when the test changes them.
      return target.report().then(() => resolve(target));
    }).catch(reject);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.stdin!.end();
  });
}

/** What one run of the command did. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options for {@link sockopts}. */
export interface CliOptions {
  /** Run as this uid and gid (through setpriv), with a home of its own. */
  readonly as?: { readonly uid: number; readonly gid: number };
  /** Kill it after this many ms (default 60 s). */
  readonly timeout?: number;
}

/** Runs `sockopts <args>` under the runtime running the suite. Never rejects: the exit code says. */
export function sockopts(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  // Another user needs a home and caches it may write (Deno's DENO_DIR, Bun's).
  const home = homeFor(options.as);
  const argv = [...home.wrap, process.execPath, ...scriptArgs(MAIN, args)];
  return new Promise((resolve) => {
    execFile(
      argv[0],
      argv.slice(1),
      {
        cwd: root,
        env: childEnv(home.env),
        encoding: "utf8",
        timeout: options.timeout ?? 60_000,
        killSignal: "SIGKILL",
      },
      (error, stdout, stderr) => {
        home.clean();
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
