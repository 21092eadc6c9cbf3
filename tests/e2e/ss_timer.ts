/**
 * The kernel's own view of a connection's timers, from `ss -tno` (iproute2), read independently
 * of sockopts.
 */
import { execFile } from "node:child_process";

/** One `timer:(name,remaining,count)` column: for keepalive, count is the probes sent unanswered. */
export interface SsTimer {
  readonly name: string;
  readonly remainingMs: number;
  readonly count: number;
}

/**
 * Parses a duration as iproute2's print_ms_timer writes it, which looks odd: 3 s 996 ms is
 * `3.996ms`; then `996ms`, `5sec`, `12sec` (no ms past 9 s), `1min59sec`, `10min` (no seconds past
 * 9 min).
 */
export function parseSsDuration(text: string): number {
  const m = /^(?:(\d+)min)?(?:(\d+)(?:sec|\.))?(?:(\d+)ms)?$/.exec(text);
  if (m === null || text === "") throw new Error(`unexpected ss duration: ${JSON.stringify(text)}`);
  const [, min = "0", sec = "0", ms = "0"] = m;
  return (Number(min) * 60 + Number(sec)) * 1000 + Number(ms);
}

/** The timer column of an `ss -tno` line, or undefined when the socket has no timer running. */
export function parseSsTimer(line: string): SsTimer | undefined {
  const m = /timer:\((\w+),([^,]+),(\d+)\)/.exec(line);
  if (m === null) return undefined;
  return { name: m[1], remainingMs: parseSsDuration(m[2]), count: Number(m[3]) };
}

/**
 * The `ss -tno` line of the established connection from `localPort` to `remotePort`, with its
 * timer if one runs.
 */
export function ssConnection(localPort: number, remotePort: number): Promise<{ line: string; timer?: SsTimer }> {
  const filter = `( sport = :${localPort} and dport = :${remotePort} )`;
  return new Promise((resolve, reject) => {
    execFile("ss", ["-tnoH", "state", "established", filter], (error, stdout) => {
      if (error) return reject(error);
      const lines = stdout.split("\n").filter((line) => line.trim() !== "");
      if (lines.length !== 1) {
        return reject(
          new Error(`expected one ss line for ${localPort} -> ${remotePort}, got ${JSON.stringify(lines)}`),
        );
      }
      resolve({ line: lines[0].trim().replace(/\s+/g, " "), timer: parseSsTimer(lines[0]) });
    });
  });
}

/**
 * The state ss reports for the connection from `localPort` to `remotePort` (`ESTAB`, …), or null
 * when the kernel no longer lists it.
 */
export function ssState(localPort: number, remotePort: number): Promise<string | null> {
  const filter = `( sport = :${localPort} and dport = :${remotePort} )`;
  return new Promise((resolve, reject) => {
    execFile("ss", ["-tnH", "state", "all", filter], (error, stdout) => {
      if (error) return reject(error);
      const states = stdout.split("\n").filter((line) => line.trim() !== "").map((line) => line.trim().split(/\s+/)[0]);
      resolve(states.length === 0 ? null : states.join(","));
    });
  });
}
