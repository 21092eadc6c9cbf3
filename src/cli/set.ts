/**
 * `sockopts set`: configures the matching TCP sockets of a running process through duplicates of
 * its fds, with the library's own checks and steps (`mismatch`, `applySettings`, `readBack`, as
 * `configureSockets` uses them), each duplicate checked to hold the socket that was listed before
 * it is touched. Prints what changed (before and after), what was skipped and why, and what failed.
 *
 * @module
 */
import { SockoptError } from "../errors.ts";
import { hostOption } from "../options/core_options.ts";
import { applySettings, type CheckedSettings, mismatch, readBack } from "../process/socket_filter.ts";
import { fromKernelDuration } from "../values.ts";
import type { Invocation } from "./args.ts";
import { CliError, EXIT } from "./errors.ts";
import { readSocket } from "./ls.ts";
import type { SocketReport } from "./report.ts";
import { type ListedSocket, openTarget } from "./remote_process.ts";
import { processLine } from "./table.ts";
import { formatDuration } from "./units.ts";

/** The values `set` shows before and after: keep-alive and the user timeout, in ms. */
export interface Values {
  readonly keepAlive: {
    readonly enable: boolean;
    readonly idle: number;
    readonly interval: number;
    readonly count: number;
  };
  readonly userTimeout: number | null;
}

/** A socket `set` changed (or, with `--dry-run`, would change). */
export interface Changed {
  readonly fd: number;
  readonly local: string;
  readonly remote: string | null;
  readonly state: string;
  readonly before: Values;
  /** Read back from the kernel; with `--dry-run`, what would be set. */
  readonly after: Values;
}

/** A socket `set` left alone, and why. */
export interface Skipped {
  readonly fd: number;
  readonly local: string;
  readonly remote: string | null;
  readonly reason: "filter" | "failed";
  readonly detail: string;
}

/** What `set` did to one process. */
export interface SetReport {
  readonly pid: number;
  readonly command: string;
  readonly dryRun: boolean;
  readonly seen: number;
  readonly changed: Changed[];
  readonly skipped: Skipped[];
  readonly failed: Skipped[];
}

const values = (s: SocketReport): Values => ({ keepAlive: s.keepAlive, userTimeout: s.userTimeout });

/** What checked settings would leave on a socket that holds `before` now (for `--dry-run`). */
export function planned(settings: CheckedSettings, before: Values): Values {
  const plan = settings.deadPeer?.keepAlive ?? settings.keepAlive;
  const timeoutConstant = settings.deadPeer?.timeoutConstant ?? settings.timeoutConstant;
  const timeout = settings.deadPeer?.timeout ?? settings.timeout;
  // The plan holds the kernel's units (seconds for the keep-alive times); back to ms as a read would.
  const ms = (name: "TCP_KEEPIDLE" | "TCP_KEEPINTVL", value: number | undefined, was: number) =>
    value === undefined ? was : fromKernelDuration(hostOption(name), value);
  const was = before.keepAlive;
  return {
    keepAlive: plan === undefined ? was : {
      enable: plan.on !== 0,
      idle: ms("TCP_KEEPIDLE", plan.idle, was.idle),
      interval: ms("TCP_KEEPINTVL", plan.interval, was.interval),
      count: plan.count ?? was.count,
    },
    userTimeout: timeout === undefined ? before.userTimeout : fromKernelDuration(timeoutConstant!, timeout),
  };
}

// The library's reasons name its filter's fields (remotePort); an operator reads words.
const inWords = (why: string) =>
  why.replace(/remotePort/g, "remote port").replace(/localPort/g, "local port").replace(/remoteHost/g, "remote host");

function describe(socket: ListedSocket) {
  return { fd: socket.fd, local: socket.localText, remote: socket.remote === null ? null : socket.remoteText };
}

/**
 * Configures the matching sockets of a process (or, with `dryRun`, only reads them).
 * @param run The command line, read: `pid`, `filter`, `settings`, `asked`, `dryRun`.
 * @returns What was changed, skipped and failed.
 */
export function configureProcess(run: Invocation): SetReport {
  const filter = run.filter!;
  const settings: CheckedSettings = run.settings!;
  const target = openTarget(run.pid);
  const changed: Changed[] = [];
  const skipped: Skipped[] = [];
  const failed: Skipped[] = [];
  let seen = 0;
  try {
    target.each((socket, fd) => {
      seen++;
      const why = mismatch(filter, socket);
      if (why !== undefined) {
        skipped.push({ ...describe(socket), reason: "filter", detail: inWords(why) });
        return;
      }
      try {
        const before = values(readSocket(socket, fd));
        let after = planned(settings, before);
        if (!run.dryRun) {
          applySettings(fd, settings);
          const back = readBack({ ...socket, fd }, settings);
          after = {
            keepAlive: back.keepAlive ?? before.keepAlive,
            userTimeout: back.userTimeout ?? before.userTimeout,
          };
        }
        changed.push({ ...describe(socket), state: socket.state, before, after });
      } catch (error) {
        if (!(error instanceof SockoptError)) throw error;
        // The library names the duplicate's fd; the operator knows the process's.
        failed.push({ ...describe(socket), reason: "failed", detail: error.message.replace(/ on fd \d+:/, ":") });
      }
    });
  } finally {
    target.close();
  }
  return { pid: target.pid, command: target.command, dryRun: run.dryRun, seen, changed, skipped, failed };
}

function showValues(v: Values): Record<string, string> {
  return {
    "keep-alive": v.keepAlive.enable ? "on" : "off",
    idle: formatDuration(v.keepAlive.idle),
    interval: formatDuration(v.keepAlive.interval),
    count: String(v.keepAlive.count),
    "user timeout": v.userTimeout === null ? "-" : v.userTimeout === 0 ? "default" : formatDuration(v.userTimeout),
  };
}

/** `idle 2h -> 27s, count 9 -> 3`: each value that differs, or `already so` when none does. */
export function difference(before: Values, after: Values): string {
  const a = showValues(before);
  const b = showValues(after);
  const parts = Object.keys(a).filter((k) => a[k] !== b[k]).map((k) => `${k} ${a[k]} -> ${b[k]}`);
  return parts.length === 0 ? "already so" : parts.join(", ");
}

const MAX_FILTERED = 20;

/** The report as text: a line per process, then a line per socket changed, skipped or failed. */
export function setText(report: SetReport): string {
  const ends = (s: { fd: number; local: string; remote: string | null }) =>
    `fd ${s.fd}  ${s.local} -> ${s.remote ?? "-"}`;
  const verb = report.dryRun ? "would change" : "changed";
  let text = processLine({ ...report, uid: null, namespace: null, sockets: [] }).replace(/: 0 TCP sockets\n$/, "");
  text += `: ${report.changed.length} ${verb}, ${report.skipped.length} skipped, ${report.failed.length} failed ` +
    `(of ${report.seen} TCP sockets)${report.dryRun ? "; --dry-run: nothing was changed" : ""}\n`;
  for (const c of report.changed) text += `  ${verb}  ${ends(c)}  ${c.state}  ${difference(c.before, c.after)}\n`;
  for (const f of report.failed) text += `  failed  ${ends(f)}  ${f.detail}\n`;
  const filtered = report.skipped;
  for (const s of filtered.slice(0, MAX_FILTERED)) text += `  skipped  ${ends(s)}  ${s.detail}\n`;
  if (filtered.length > MAX_FILTERED) {
    text += `  … and ${filtered.length - MAX_FILTERED} more that do not match the filter (--json lists them all)\n`;
  }
  return text;
}

/**
 * Runs `sockopts set`.
 * @param run The command line, read.
 * @param write Where the output goes.
 * @returns The exit code: 0 when at least one socket matched and none failed.
 */
export function set(run: Invocation, write: (text: string) => void): number {
  const report = configureProcess(run);
  write(run.json ? `${JSON.stringify(report, null, 2)}\n` : setText(report));
  if (report.changed.length === 0 && report.failed.length === 0) {
    throw new CliError(
      `Cannot set: no TCP socket of process ${report.pid} matches the filter ${run.filter!.text} ` +
        `(${report.seen} seen; sockopts ls --pid ${report.pid} lists them)`,
      EXIT.failed,
    );
  }
  return report.failed.length > 0 ? EXIT.failed : EXIT.ok;
}
