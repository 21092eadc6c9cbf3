/**
 * Turns a run's measurements into the one table `npm run bench` prints and writes: medians,
 * ranges, ratios to the C baseline of the same round, and each target judged.
 */
import { GROUPS, type Impl, type Member, MEMORY_ROWS, NOTES, RESOLUTION_SIZES, RESOLUTION_TARGETS } from "./plan.ts";

/** Why an implementation or one of its ops has no numbers. */
export type Missing = { readonly missing: string };

/** ns/op of one row, one entry per round. */
export type Rounds = number[];

/** One resolution run. */
export interface ResolutionRun {
  readonly fds: number;
  readonly firstLookupMs: number;
  readonly configureAllMs: number;
  readonly addedUs: number;
  readonly acceptedUs: number;
  readonly acceptedRawUs: number;
  readonly connectedUs: number;
  /** Older runs lack these. */
  readonly closedFirstUs?: number;
  readonly closedUs?: number;
}

/** Everything one run measured. */
export interface Measurements {
  readonly rounds: number;
  readonly calls: number;
  readonly memoryCalls: number;
  /** Timed slices, slices timed again because another process held the worker off the CPU, and
   * slices kept although every attempt was held off. */
  readonly disturbance: { slices: number; retried: number; kept: number };
  /** Per group index, per `impl/op`: the timings, or why there are none. */
  readonly timings: Map<string, Rounds | Missing>;
  /** Per connection count: one run per round, or why there are none. */
  readonly resolution: Map<number, ResolutionRun[] | Missing>;
  /** Per memory row `impl/op`: RSS before and after, or why there are none. */
  readonly memory: Map<string, { before: number; after: number } | Missing>;
}

/** The key of a row in {@link Measurements.timings}. */
export function timingKey(group: number, impl: Impl, op: string): string {
  return `${group}/${impl}/${op}`;
}

/** The middle value (mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function isMissing<T>(value: T | Missing | undefined): value is Missing | undefined {
  return value === undefined || (typeof value === "object" && value !== null && "missing" in value);
}

const int = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const ns = (value: number) => `${int.format(value)} ns`;
const times = (value: number) => `${value.toFixed(2)}×`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const us = (value: number) => (value >= 1000 ? `${(value / 1000).toFixed(2)} ms` : `${value.toFixed(1)} µs`);
const signedMb = (bytes: number) => `${bytes >= 0 ? "+" : "−"}${(Math.abs(bytes) / 1024 / 1024).toFixed(2)} MB`;

/** A judged target: what the cell says and whether it was met (undefined: not judged). */
interface Verdict {
  readonly text: string;
  readonly met?: boolean;
}

const mark = (met: boolean) => (met ? "✅" : "❌");

/** Per-round ratios of `a` to `b`, paired by round. */
function ratios(a: Rounds, b: Rounds): number[] {
  return a.map((value, i) => value / b[i]);
}

function ratioToC(m: Measurements, group: number, member: Member): number | undefined {
  if (member.baseline === undefined) return undefined;
  const own = m.timings.get(timingKey(group, member.impl, member.op));
  const c = m.timings.get(timingKey(group, "c", member.baseline));
  if (isMissing(own) || isMissing(c)) return undefined;
  return median(ratios(own, c));
}

function judge(m: Measurements, group: number, member: Member, ratio: number | undefined): Verdict | undefined {
  const target = member.target;
  if (target === undefined) return undefined;
  if (target.kind === "ratio") {
    if (target.against !== undefined) {
      const judged = ratioToC(m, group, { ...member, baseline: target.against });
      const goal = `≤ ${target.max}× C making the same calls`;
      if (judged === undefined) return { text: `${goal}: not judged` };
      return { text: `${goal}: ${times(judged)} ${mark(judged <= target.max)}`, met: judged <= target.max };
    }
    const goal = `≤ ${target.max}× C`;
    if (ratio === undefined) return { text: `${goal}: not judged` };
    return { text: `${goal} ${mark(ratio <= target.max)}`, met: ratio <= target.max };
  }
  const own = m.timings.get(timingKey(group, member.impl, member.op));
  const parts: string[] = [];
  let met: boolean | undefined = true;
  for (const other of target.than) {
    const theirs = m.timings.get(timingKey(group, other.impl, other.op));
    if (isMissing(own)) {
      met = undefined;
      continue;
    }
    // A runtime that did not run (Node without node:ffi) leaves the others judged.
    if (isMissing(theirs)) continue;
    const factor = median(ratios(own, theirs));
    const min = other.min ?? target.min;
    const name = other.impl === "bun" ? "Bun" : other.impl === "deno" ? "Deno" : "Node";
    parts.push(`${name} ${factor.toFixed(1)}×${min === target.min ? "" : ` (≥ ${min}×)`}`);
    if (met !== undefined && factor < min) met = false;
  }
  const goal = `sockopts ≥ ${target.min}× faster`;
  if (met === undefined || parts.length === 0) return { text: `${goal}: not judged` };
  return { text: `${goal}: ${parts.join(", ")} ${mark(met)}`, met };
}

/** The table, its footnotes, and the count of targets met and missed. */
export interface Report {
  readonly table: string;
  readonly notes: string[];
  readonly met: number;
  readonly missed: string[];
  readonly pending: string[];
}

type Row = [string, string, string, string, string, string];

/** Builds the table from a run's measurements. */
export function buildReport(m: Measurements): Report {
  const rows: Row[] = [];
  const notes = new Map<string, number>();
  const noteText = new Map<string, string>();
  const missed: string[] = [];
  const pending: string[] = [];
  let met = 0;
  const footnote = (key: string, text: string) => {
    if (!notes.has(key)) notes.set(key, notes.size + 1);
    noteText.set(key, text);
    return ` [${notes.get(key)}]`;
  };
  // Lettered apart from the numbered footnotes, so that adding one never renumbers the others.
  const meanings = new Map<string, string>();
  const meaning = (key: string) => {
    if (!meanings.has(key)) meanings.set(key, String.fromCharCode(97 + meanings.size));
    return ` (${meanings.get(key)})`;
  };
  const missingCell = (why: string) => {
    if (why.startsWith("pending")) pending.push(why);
    return `${why.startsWith("pending") ? "pending" : "unavailable"}${footnote(`missing:${why}`, why)}`;
  };
  const count = (verdict: Verdict | undefined, what: string) => {
    if (verdict?.met === true) met++;
    if (verdict?.met === false) missed.push(`${what}: ${verdict.text}`);
  };

  GROUPS.forEach((group, g) => {
    group.members.forEach((member, i) => {
      const title = i === 0 ? `**${group.title}**` : "";
      const ref = member.note === undefined ? "" : footnote(member.note, NOTES[member.note]);
      const label = member.label + ref;
      const timing = m.timings.get(timingKey(g, member.impl, member.op));
      if (isMissing(timing)) {
        const cell = missingCell(timing?.missing ?? "not run");
        rows.push([title, label, cell, "", "", member.target === undefined ? "" : "not judged"]);
        return;
      }
      const ratio = ratioToC(m, g, member);
      const verdict = judge(m, g, member, ratio);
      count(verdict, `${group.title}: ${member.label}`);
      const isBaseline = member.impl === "c" && member.baseline === undefined;
      rows.push([
        title,
        label,
        ns(median(timing)),
        `${int.format(Math.min(...timing))}–${int.format(Math.max(...timing))}`,
        isBaseline ? "baseline" : ratio === undefined ? "—" : times(ratio),
        verdict === undefined ? "" : verdict.text + (member.target?.meaning ? meaning(member.target.meaning) : ""),
      ]);
    });
  });

  // Deno handle resolution.
  const runs = RESOLUTION_SIZES.map((size) => [size, m.resolution.get(size)] as const);
  const smallest = runs[0][1];
  const first = (rowTitle: string) => (rowTitle === "" ? "" : `**${rowTitle}**`);
  let title = "Deno handle resolution";
  const msRange = (values: number[]) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)} ms`;
  const usRange = (values: number[]) => `${us(Math.min(...values))}–${us(Math.max(...values))}`;
  for (const [size, result] of runs) {
    if (isMissing(result)) {
      const cell = missingCell(result?.missing ?? "not run");
      rows.push([first(title), `first lookup, ${int.format(size)} connections`, cell, "", "", ""]);
      title = "";
      continue;
    }
    const lookups = result.map((r) => r.firstLookupMs);
    const fds = median(result.map((r) => r.fds));
    let verdict: Verdict | undefined;
    if (size === RESOLUTION_SIZES[RESOLUTION_SIZES.length - 1]) {
      const ok = median(lookups) <= RESOLUTION_TARGETS.firstLookupMs;
      verdict = { text: `≤ ${RESOLUTION_TARGETS.firstLookupMs} ms ${mark(ok)}`, met: ok };
      count(verdict, `first Deno lookup with ${int.format(fds)} fds`);
    }
    rows.push([
      first(title),
      `first \`fdOf(conn)\`, ${int.format(size)} connections (${int.format(fds)} fds open)${
        footnote("lookup", LOOKUP_NOTE)
      }`,
      `${median(lookups).toFixed(2)} ms`,
      msRange(lookups),
      "",
      verdict?.text ?? "",
    ]);
    title = "";
  }
  for (const [size, result] of runs) {
    if (isMissing(result)) continue;
    const totals = result.map((r) => r.configureAllMs);
    rows.push([
      "",
      `configure every held connection, ${int.format(size)} open: total (per connection)${
        footnote("total", TOTAL_NOTE)
      }`,
      `${median(totals).toFixed(2)} ms (${us((median(totals) * 1000) / size)})`,
      msRange(totals),
      "",
      "",
    ]);
  }
  // Per-connection cost as connections arrive, judged against the 100-connection cost.
  const perConnection = (field: "addedUs" | "acceptedUs", label: string, key: string, note: string) => {
    for (const [size, result] of runs) {
      if (isMissing(result)) continue;
      const values = result.map((r) => r[field]);
      let verdict: Verdict | undefined;
      if (size === RESOLUTION_SIZES[RESOLUTION_SIZES.length - 1] && !isMissing(smallest)) {
        const growth = median(values) / median(smallest.map((r) => r[field]));
        const ok = growth <= RESOLUTION_TARGETS.growth;
        verdict = {
          text: `≤ ${RESOLUTION_TARGETS.growth}× the ${int.format(RESOLUTION_SIZES[0])}-connection cost: ${
            times(growth)
          } ${mark(ok)}`,
          met: ok,
        };
        count(verdict, `Deno per-connection configure cost (${label}) at ${size}`);
      }
      rows.push([
        "",
        `\`setKeepAlive(conn, …)\` per accepted connection, ${label}, ${int.format(size)} open${footnote(key, note)}`,
        us(median(values)),
        usRange(values),
        "",
        verdict?.text ?? "",
      ]);
    }
  };
  perConnection("addedUs", "connections only added", "added", ADDED_NOTE);
  perConnection("acceptedUs", "with churn", "accepted", ACCEPTED_NOTE);
  for (const [size, result] of runs) {
    if (isMissing(result)) continue;
    const raw = result.map((r) => r.acceptedRawUs);
    rows.push([
      "",
      `\`setKeepAlive(fd, …)\` on the accepted connection's raw fd, ${int.format(size)} open${
        footnote("raw", RAW_NOTE)
      }`,
      us(median(raw)),
      usRange(raw),
      "",
      "",
    ]);
  }
  for (const [size, result] of runs) {
    if (isMissing(result)) continue;
    const connected = result.map((r) => r.connectedUs);
    rows.push([
      "",
      `\`setKeepAlive(conn, …)\` per \`Deno.connect\` connection, ${int.format(size)} open${
        footnote("connected", CONNECTED_NOTE)
      }`,
      us(median(connected)),
      usRange(connected),
      "",
      "",
    ]);
  }

  for (const [size, result] of runs) {
    if (isMissing(result) || result.some((r) => r.closedUs === undefined)) continue;
    for (const [field, label] of [["closedFirstUs", "first call"], ["closedUs", "each later call"]] as const) {
      const values = result.map((r) => r[field]!);
      rows.push([
        "",
        `call through a closed \`Deno.Conn\`, ${label}, ${int.format(size)} open${footnote("closed", CLOSED_NOTE)}`,
        us(median(values)),
        usRange(values),
        "",
        "",
      ]);
    }
  }

  // Memory.
  title = `Memory: RSS over ${int.format(m.memoryCalls)} set calls`;
  for (const row of MEMORY_ROWS) {
    const result = m.memory.get(`${row.impl}/${row.op}`);
    if (isMissing(result)) {
      const cell = missingCell(result?.missing ?? "not run");
      rows.push([first(title), row.label, cell, "", "", row.maxGrowth === undefined ? "" : "not judged"]);
      title = "";
      continue;
    }
    const growth = result.after - result.before;
    let verdict: Verdict | undefined;
    if (row.maxGrowth !== undefined) {
      const ok = growth < row.maxGrowth;
      verdict = { text: `growth < ${mb(row.maxGrowth)} ${mark(ok)}`, met: ok };
      count(verdict, `RSS growth, ${row.label}`);
    }
    rows.push([
      first(title),
      row.label + footnote("memory", memoryNote(m.memoryCalls)),
      signedMb(growth),
      `${mb(result.before)} → ${mb(result.after)}`,
      "",
      verdict?.text ?? "",
    ]);
    title = "";
  }

  const header: Row = ["benchmark", "implementation", "median", "min–max (ns/op unless shown)", "vs C", "target"];
  const table = [header, ["---", "---", "--:", "--:", "--:", "---"] as Row, ...rows]
    .map((cells) => `| ${cells.map((cell) => cell.replaceAll("|", "\\|")).join(" | ")} |`)
    .join("\n");
  const noteLines = [...notes.entries()].map(([key, n]) => `${n}. ${noteText.get(key) ?? key}`);
  if (meanings.size > 0) noteLines.push("", "What the targets mean to you:", "");
  for (const [key, letter] of meanings) noteLines.push(`- (${letter}) ${NOTES[key]}`);
  return { table, notes: noteLines, met, missed, pending: [...new Set(pending)] };
}

const LOOKUP_NOTE = "A fresh Deno process opens that many loopback connections (both ends, so about twice as many " +
  "fds), loads libc through a raw fd, then times its first `fdOf()` of the newest `Deno.connect` connection, which " +
  "carries no fd hint, so sockopts' fd index starts cold. A run whose lookup was held off the CPU is repeated (3 runs " +
  "at most).";
const TOTAL_NOTE = "Same process, right after the first lookup: `setKeepAlive(conn, { idle, interval, count })` on " +
  "the accepted end of every connection it holds, each handle's first use (4 `setsockopt` calls each included).";
const ADDED_NOTE = "Same process, next: 500 new connections, none closing, each accepted end configured with " +
  "`setKeepAlive(conn, …)` as it arrives; the mean per connection. The 500 are then closed again.";
const ACCEPTED_NOTE = "Same process, after 200 untimed arrivals: 1,000 new " +
  "connections, each replacing the oldest one (fd numbers are reused, as in a server), every other accepted end " +
  "configured with `setKeepAlive(conn, { idle, interval, count })` at once; the mean per connection, 4 `setsockopt` " +
  "calls included.";
const RAW_NOTE = "Reference for the row above: the other half of the same arrivals (they alternate) configured " +
  "through the fd Deno keeps under an internal symbol, so the difference is what finding the socket costs.";
const CLOSED_NOTE = "Same process, last: a `Deno.connect` connection closed before its first use, then " +
  "`setKeepAlive(conn, …)` through it: the first call finds no socket at its addresses and remembers the handle " +
  "as closed; the mean of 1,000 later calls, each a SocketClosedError without any lookup.";
const CONNECTED_NOTE = "The client end of 20 further new connections: `Deno.connect` gives no fd hint, so on Linux " +
  "the lookup asks sock_diag for the socket's inode and `statx`es fd numbers for it, nearest the lowest free one " +
  "first; elsewhere a reused fd number is not in sockopts' index, so the lookup lists and probes every open fd " +
  "again. No target; shown because it can grow with the number of open fds.";
const memoryNote = (calls: number) =>
  `A fresh process per row: 100,000 untimed calls, garbage collection, RSS, ${int.format(calls)} calls, garbage ` +
  "collection, RSS (`process.memoryUsage().rss`; C: /proc/self/statm). The range column shows before → after.";
