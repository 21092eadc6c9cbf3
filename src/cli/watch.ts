/**
 * `sockopts watch`: the `ls` table of one process, refreshed in place every period, with the
 * sockets that closed since it started: the way to watch keep-alive probes go out and a dead peer
 * be noticed. With `--json`, one JSON line per refresh instead.
 *
 * @module
 */
import type { Invocation } from "./args.ts";
import { CliError, EXIT } from "./errors.ts";
import { inspect } from "./ls.ts";
import type { SocketReport } from "./report.ts";
import { openTarget } from "./remote_process.ts";
import { processTable } from "./table.ts";
import { formatDuration } from "./units.ts";

/** A socket seen at one refresh and gone at the next. */
export interface ClosedSocket {
  /** When the refresh that missed it ran (ISO 8601). */
  readonly at: string;
  readonly socket: SocketReport;
}

const CLEAR = "\x1b[H\x1b[2J"; // cursor home, clear the screen
const CLOSED_SHOWN = 10;

// A socket's identity across refreshes: its cookie where the OS has one (never reused).
const identity = (s: SocketReport) => s.cookie ?? `${s.fd} ${s.local} ${s.remote}`;

function closedLine({ at, socket: s }: ClosedSocket): string {
  const probes = s.live.probes === null ? "" : `, ${s.live.probes} probes sent`;
  const heard = s.live.lastDataReceived === null
    ? ""
    : `, data last received ${formatDuration(s.live.lastDataReceived)} before`;
  return `  ${at.slice(11, 19)}  fd ${s.fd}  ${s.local} -> ${s.remote ?? "-"}  was ${s.state}${probes}${heard}\n`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `sockopts watch` until interrupted, `--times` refreshes, or the process exits.
 * @param run The command line, read: `pid`, `filter`, `period`, `times`, `json`.
 * @param write Where the output goes.
 * @param terminal Whether the output is a terminal (refresh in place) or not (one table after another).
 * @returns The exit code: 0, also when the process exits while watched.
 */
export async function watch(run: Invocation, write: (text: string) => void, terminal: boolean): Promise<number> {
  const target = openTarget(run.pid);
  let last = new Map<string, SocketReport>();
  const closed: ClosedSocket[] = [];
  try {
    for (let refresh = 1; run.times === undefined || refresh <= run.times; refresh++) {
      if (refresh > 1) await sleep(run.period);
      const at = new Date().toISOString();
      let report;
      try {
        report = inspect(target, run.filter);
      } catch (error) {
        if (!(error instanceof CliError) || error.exitCode !== EXIT.noSuchProcess || refresh === 1) throw error;
        write(run.json ? `${JSON.stringify({ at, refresh, exited: target.pid })}\n` : `process ${target.pid} exited\n`);
        return EXIT.ok;
      }
      const now = new Map(report.sockets.map((s) => [identity(s), s]));
      const gone: ClosedSocket[] = [];
      for (const [key, socket] of last) if (!now.has(key)) gone.push({ at, socket });
      closed.unshift(...gone);
      last = now;
      if (run.json) {
        write(`${JSON.stringify({ at, refresh, process: report, closed: gone })}\n`);
        continue;
      }
      const every = `every ${formatDuration(run.period)}`;
      let frame = `sockopts watch --pid ${target.pid}: refresh ${refresh} at ${at.slice(11, 19)}, ${every}` +
        `${run.times === undefined ? " (Ctrl-C to stop)" : ` of ${run.times}`}\n\n${processTable(report)}`;
      if (closed.length > 0) {
        frame += `Closed since watching began (newest first):\n`;
        for (const c of closed.slice(0, CLOSED_SHOWN)) frame += closedLine(c);
      }
      write(terminal ? CLEAR + frame : `${frame}\n`);
    }
  } finally {
    target.close();
  }
  return EXIT.ok;
}
