/**
 * The terminal view of `ls` and `watch`: a line per process, then its sockets in aligned columns,
 * with a unit on every duration.
 *
 * @module
 */
import { userName } from "./access.ts";
import type { ProcessReport, SocketReport } from "./report.ts";
import { formatDuration } from "./units.ts";

const HEADERS = [
  "FD",
  "LOCAL",
  "REMOTE",
  "STATE",
  "KEEPALIVE",
  "IDLE",
  "INTERVAL",
  "COUNT",
  "DEAD PEER AFTER",
  "USER TIMEOUT",
  "RTT",
  "RETRANS",
  "PROBES SENT",
  "LAST RECV",
] as const;

// Right-aligned: the numbers.
const RIGHT = new Set([
  "FD",
  "IDLE",
  "INTERVAL",
  "COUNT",
  "DEAD PEER AFTER",
  "USER TIMEOUT",
  "RTT",
  "RETRANS",
  "PROBES SENT",
]);

const maybe = (value: number | null, show: (n: number) => string): string => value === null ? "-" : show(value);

// A process's sockets mostly share their settings, and a table of 10,000 rows would otherwise
// format the same few durations 10,000 times each. Keyed by the value as shown (rounded as
// formatDuration rounds it), so round-trip times and ages repeat too.
const shown = new Map<number, string>();
function duration(ms: number): string {
  const key = ms < 10
    ? Math.round(ms * 100) / 100
    : ms < 60_000
    ? Math.round(ms / 100) * 100
    : Math.round(ms / 1000) * 1000;
  let text = shown.get(key);
  if (text === undefined) {
    text = formatDuration(ms < 10 || ms >= 1000 ? key : Math.round(ms));
    if (shown.size < 4096) shown.set(key, text);
  }
  return text;
}
const ago = (ms: number) => `${duration(ms)} ago`;
const count = (n: number) => String(n);

/**
 * How long an idle connection whose peer vanished goes unnoticed (Linux's keep-alive timer): the
 * idle time plus `count` probes; with a user timeout set, the count is ignored and the connection
 * is dropped at the first probe due once the user timeout has passed (`tcp_keepalive_timer`).
 * `never` with keep-alive off (until something is written).
 */
export function deadPeerAfter(socket: SocketReport): string {
  const { enable, idle, interval, count } = socket.keepAlive;
  if (!enable) return "never (off)";
  const timeout = socket.userTimeout ?? 0;
  const probes = timeout === 0 ? count : Math.max(1, Math.ceil((timeout - idle) / interval));
  return duration(idle + probes * interval);
}

/** One socket's cells, in {@link HEADERS} order. */
export function cells(s: SocketReport): string[] {
  const listener = s.state === "LISTEN";
  return [
    String(s.fd),
    s.local,
    s.remote ?? "-",
    s.state,
    s.keepAlive.enable ? "on" : "off",
    duration(s.keepAlive.idle),
    duration(s.keepAlive.interval),
    String(s.keepAlive.count),
    listener ? "-" : deadPeerAfter(s),
    s.userTimeout === null ? "-" : s.userTimeout === 0 ? "default" : duration(s.userTimeout),
    listener ? "-" : maybe(s.live.rtt, duration),
    listener ? "-" : maybe(s.live.totalRetransmits, count),
    listener ? "-" : maybe(s.live.probes, count),
    listener ? "-" : maybe(s.live.lastDataReceived, ago),
  ];
}

/**
 * Rows of cells as aligned text, two spaces between columns, numbers right-aligned.
 * @param headers The column names.
 * @param rows The cells.
 * @returns The lines, each ending in a newline.
 */
export function aligned(headers: readonly string[], rows: readonly string[][]): string {
  const widths = headers.map((h) => h.length);
  for (const r of rows) for (let i = 0; i < r.length; i++) if (r[i].length > widths[i]) widths[i] = r[i].length;
  const right = headers.map((h) => RIGHT.has(h));
  const last = headers.length - 1;
  // Each filler made once: padStart / padEnd build a new one every call.
  const pads = Array.from({ length: Math.max(...widths) + 3 }, (_, n) => " ".repeat(n));
  const line = (r: readonly string[]) => {
    let text = "";
    for (let i = 0; i < last; i++) {
      const cell = r[i];
      text += right[i] ? pads[widths[i] - cell.length] + cell + "  " : cell + pads[widths[i] - cell.length + 2];
    }
    return text + (right[last] ? pads[widths[last] - r[last].length] + r[last] : r[last]);
  };
  let text = line(headers);
  for (const r of rows) text += "\n" + line(r);
  return text + "\n";
}

/**
 * The line that heads a process: pid, command, user, socket count and network namespace.
 * @param report The process.
 * @returns One line.
 */
export function processLine(report: ProcessReport): string {
  const who = report.uid === null ? "" : `, user ${userName(report.uid)}`;
  const where = report.namespace === null ? "" : `, network namespace ${report.namespace}`;
  const n = report.sockets.length;
  return `PID ${report.pid} ${report.command || "?"}: ${n} TCP socket${n === 1 ? "" : "s"}${who}${where}\n`;
}

/**
 * A process and its sockets as the terminal shows them.
 * @param report The process.
 * @returns Its line, then the table (or nothing more without sockets), then a blank line.
 */
export function processTable(report: ProcessReport): string {
  if (report.sockets.length === 0) return processLine(report) + "\n";
  return processLine(report) + aligned(HEADERS, report.sockets.map(cells)) + "\n";
}
