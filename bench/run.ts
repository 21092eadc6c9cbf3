/**
 * `npm run bench`: times sockopts against a C program making the same system calls and against
 * Node's net-keepalive, prints one table, and writes it to bench/RESULTS.md and docs/performance.md's
 * Performance section.
 *
 * How it runs: C, Bun and Deno each get one long-lived worker process that opens its loopback
 * connection once; Node gets a fresh one every round (net-keepalive leaks). Each round walks the
 * groups of bench/plan.ts; within a group every row's calls go in ten slices, the rows taking turns
 * slice by slice in an order that rotates, so load from elsewhere hits all of them alike and each
 * ratio pairs numbers taken in the same seconds. Deno handle resolution and memory run in fresh
 * processes.
 *
 * Flags: `--rounds N` (5), `--calls N` (1,000,000), `--memory-calls N` (5,000,000), `--write` /
 * `--no-write` (the files are written by default only for a full run).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeMachine, type Machine } from "./machine.ts";
import { GROUPS, type Impl, MEMORY_CALLS, MEMORY_ROWS, RESOLUTION_SIZES } from "./plan.ts";
import { LineWorker, output } from "./processes.ts";
import { buildReport, type Measurements, median, type Report, type ResolutionRun, timingKey } from "./report.ts";
import { buildCBaseline, buildNodePeer } from "./setup.ts";

const ROOT = join(import.meta.dirname!, "..");
const FULL = { rounds: 5, calls: 1_000_000 };
// Slices per round: a row's round is the median rate of its slices (all calls are made).
const SLICES = 10;

/** One fresh bench/resolve.ts run, repeated (3 runs at most) while the first lookup was held off the CPU. */
async function resolution(size: number, m: Measurements): Promise<Record<string, unknown>> {
  let best: Record<string, unknown> | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const text = await output(Deno.execPath(), ["run", "-A", "bench/resolve.ts", String(size)], ROOT);
    const reply = JSON.parse(text.trim().split("\n").at(-1)!) as Record<string, unknown>;
    if (typeof reply.pending === "string") return reply;
    if (best === undefined || (reply.firstLookupWaited as number) < (best.firstLookupWaited as number)) best = reply;
    if ((reply.firstLookupWaited as number) <= WAIT_LIMIT) break;
    m.disturbance.retried++;
  }
  m.disturbance.slices++;
  if ((best!.firstLookupWaited as number) > WAIT_LIMIT) m.disturbance.kept++;
  return best!;
}

function flags(args: string[]): { rounds: number; calls: number; memoryCalls: number; write: boolean } {
  const value = (name: string, fallback: number) => {
    const i = args.indexOf(name);
    if (i === -1) return fallback;
    const n = Number(args[i + 1]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} needs a positive whole number`);
    return n;
  };
  const rounds = value("--rounds", FULL.rounds);
  const calls = value("--calls", FULL.calls);
  const memoryCalls = value("--memory-calls", MEMORY_CALLS);
  const full = rounds >= FULL.rounds && calls >= FULL.calls && memoryCalls >= MEMORY_CALLS;
  const write = args.includes("--write") || (full && !args.includes("--no-write"));
  return { rounds, calls, memoryCalls, write };
}

const log = (text: string) => console.error(text);

// A slice whose thread waited for a CPU longer than this share of its time is run again, up to
// ATTEMPTS times in all (Node's whole runs, ~10 s each: WHOLE_ATTEMPTS); other processes on the
// machine then cannot inflate one row's figures.
const WAIT_LIMIT = 0.02;
const ATTEMPTS = 5;
const WHOLE_ATTEMPTS = 2;

/** Times one slice, again while another process held the worker off the CPU; returns ns/op. */
async function timeSlice(
  worker: LineWorker,
  line: string,
  m: Measurements,
  what: string,
  attempts = ATTEMPTS,
): Promise<number> {
  let best: { ns: number; waited: number } | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const reply = await worker.request(line);
    const ns = reply.ns as number;
    const waited = reply.waited as number;
    if (best === undefined || waited < best.waited) best = { ns, waited };
    if (waited <= WAIT_LIMIT) break;
    m.disturbance.retried++;
  }
  m.disturbance.slices++;
  if (best!.waited > WAIT_LIMIT) {
    m.disturbance.kept++;
    log(`  ${what}: every attempt waited for a CPU; kept the one that waited ${(best!.waited * 100).toFixed(1)}%`);
  }
  return best!.ns;
}

function bunPath(): string {
  const local = join(ROOT, "node_modules", ".bin", "bun");
  try {
    Deno.statSync(local);
    return local;
  } catch {
    return "bun";
  }
}

function pinnedNode(): string {
  const local = join(ROOT, "node_modules", ".bin", "node");
  try {
    Deno.statSync(local);
    return local;
  } catch {
    return "node";
  }
}

/** How each implementation's worker is started, or why it cannot be. */
interface Launcher {
  start(): Promise<LineWorker>;
  /** The line that asks for `calls` timed calls of `op`. */
  timing(op: string, calls: number): string;
  memory(op: string, calls: number): string;
}

const jsLine = {
  timing: (op: string, calls: number) => JSON.stringify({ op, calls }),
  memory: (op: string, calls: number) => JSON.stringify({ op, calls, memory: true }),
};

async function main(): Promise<void> {
  if (Deno.build.os !== "linux") throw new Error("the benchmark runs on Linux: its C baseline and checks read /proc");
  const options = flags(Deno.args);
  const machine = describeMachine();
  log(`sockopts bench: ${options.rounds} rounds × ${options.calls.toLocaleString("en-US")} calls per row`);

  const [cBuild, nodeBuild] = await Promise.all([buildCBaseline(ROOT), buildNodePeer(ROOT)]);
  if (!cBuild.ok) log(`C baseline skipped: ${cBuild.reason}`);
  if (!nodeBuild.ok) log(`Node peer skipped: ${nodeBuild.reason}`);

  const unavailable = new Map<Impl, string>();
  if (!cBuild.ok) unavailable.set("c", cBuild.reason);
  if (!nodeBuild.ok) unavailable.set("node", nodeBuild.reason);

  const launchers: Record<Impl, Launcher> = {
    c: {
      start: () => LineWorker.start("C", cBuild.ok ? cBuild.value.path : "false", []),
      timing: (op, calls) => `${op} ${calls}`,
      memory: (_op, calls) => `mem ${calls}`,
    },
    bun: { start: () => LineWorker.start("Bun", bunPath(), ["bench/worker.ts"], ROOT), ...jsLine },
    deno: {
      start: () =>
        LineWorker.start("Deno", Deno.execPath(), ["run", "-A", "--v8-flags=--expose-gc", "bench/worker.ts"], ROOT),
      ...jsLine,
    },
    node: {
      start: () => LineWorker.start("Node", "node", ["--expose-gc", nodeBuild.ok ? nodeBuild.value.script : ""], ROOT),
      ...jsLine,
    },
    // sockopts under the pinned Node 26 (node:ffi), which strips bench/worker.ts's types itself.
    nodeffi: {
      start: () => LineWorker.start("Node (sockopts)", pinnedNode(), ["--expose-gc", "bench/worker.ts"], ROOT),
      ...jsLine,
    },
  };

  const m: Measurements = {
    rounds: options.rounds,
    calls: options.calls,
    memoryCalls: options.memoryCalls,
    disturbance: { slices: 0, retried: 0, kept: 0 },
    timings: new Map(),
    resolution: new Map(),
    memory: new Map(),
  };
  const versions: Record<string, string> = {};

  const longLived = new Map<Impl, LineWorker>();
  for (const impl of ["c", "bun", "deno", "nodeffi"] as const) {
    if (unavailable.has(impl)) continue;
    const worker = await launchers[impl].start();
    longLived.set(impl, worker);
    if (typeof worker.ready.version === "string") versions[impl] = worker.ready.version;
  }

  const started = performance.now();
  for (let round = 0; round < options.rounds; round++) {
    const workers = new Map(longLived);
    if (!unavailable.has("node")) {
      const node = await launchers.node.start();
      workers.set("node", node);
      versions.node = String(node.ready.version);
      versions.netKeepalive = String(node.ready.netKeepalive);
    }
    for (const [g, group] of GROUPS.entries()) {
      log(`round ${round + 1}/${options.rounds}: ${group.title.replaceAll("`", "")}`);
      const runnable = group.members.filter((member) => {
        const worker = workers.get(member.impl);
        const state = member.impl === "c" || worker === undefined
          ? "ok"
          : String((worker.ready.ops as Record<string, string>)[member.op]);
        if (worker !== undefined && state === "ok") return true;
        const missing = worker === undefined ? `unavailable: ${unavailable.get(member.impl)}` : state;
        m.timings.set(timingKey(g, member.impl, member.op), { missing });
        return false;
      });
      // A round's calls go in slices, each member's slice in turn (in an order that rotates), so a
      // burst of load from elsewhere lands on every member's slices, not on one member's round.
      // Node's rows run whole, in one of those turns: net-keepalive allocates on every call, and
      // V8 shrinks an idle heap between slices, which made it up to 40% slower than in one run.
      const slices = new Map<string, number[]>();
      const perSlice = Math.ceil(options.calls / SLICES);
      for (let slice = 0; slice < SLICES; slice++) {
        for (let i = 0; i < runnable.length; i++) {
          const member = runnable[(i + round + slice) % runnable.length];
          const whole = member.impl === "node";
          if (whole && slice !== round % SLICES) continue;
          const key = timingKey(g, member.impl, member.op);
          const line = launchers[member.impl].timing(member.op, whole ? options.calls : perSlice);
          const what = `${member.impl} ${member.op}`;
          const ns = await timeSlice(workers.get(member.impl)!, line, m, what, whole ? WHOLE_ATTEMPTS : ATTEMPTS);
          slices.set(key, [...(slices.get(key) ?? []), ns]);
        }
      }
      for (const [key, rates] of slices) {
        const rounds = m.timings.get(key);
        m.timings.set(key, [...(Array.isArray(rounds) ? rounds : []), median(rates)]);
      }
    }
    await workers.get("node")?.close();
    for (const size of RESOLUTION_SIZES) {
      log(`round ${round + 1}/${options.rounds}: Deno handle resolution, ${size} connections`);
      const reply = await resolution(size, m);
      if (typeof reply.pending === "string") {
        m.resolution.set(size, { missing: `pending: ${reply.pending}` });
        continue;
      }
      const runs = m.resolution.get(size);
      const list = Array.isArray(runs) ? runs : [];
      list.push(reply as unknown as ResolutionRun);
      m.resolution.set(size, list);
    }
  }
  for (const worker of longLived.values()) await worker.close();

  for (const row of MEMORY_ROWS) {
    const key = `${row.impl}/${row.op}`;
    if (unavailable.has(row.impl)) {
      m.memory.set(key, { missing: `unavailable: ${unavailable.get(row.impl)}` });
      continue;
    }
    log(`memory: ${row.label.replaceAll("`", "")}, ${options.memoryCalls.toLocaleString("en-US")} calls`);
    const worker = await launchers[row.impl].start();
    const state = row.impl === "c" ? "ok" : String((worker.ready.ops as Record<string, string>)[row.op]);
    if (state !== "ok") {
      m.memory.set(key, { missing: state });
    } else {
      const reply = await worker.request(launchers[row.impl].memory(row.op, options.memoryCalls));
      m.memory.set(key, { before: reply.rssBefore as number, after: reply.rssAfter as number });
    }
    await worker.close();
  }
  const minutes = (performance.now() - started) / 60_000;

  const report = buildReport(m);
  const context = describeRun(machine, versions, cBuild.ok ? cBuild.value.compiler : undefined, m, minutes);
  const body = [context, "", report.table, "", ...report.notes].join("\n");
  console.log(body);
  log("");
  log(`targets: ${report.met} met, ${report.missed.length} missed, ${report.pending.length} pending`);
  for (const miss of report.missed) log(`  missed: ${miss}`);

  if (options.write) {
    writeFileSync(join(ROOT, "bench", "RESULTS.md"), resultsFile(body, report));
    updateReadme(body);
    log("wrote bench/RESULTS.md and the table in docs/performance.md");
  } else {
    log("not a full run (or --no-write): bench/RESULTS.md and docs/performance.md are unchanged");
  }
}

function describeRun(
  machine: Machine,
  versions: Record<string, string>,
  compiler: string | undefined,
  m: Measurements,
  minutes: number,
): string {
  const date = new Date().toISOString().slice(0, 10);
  const count = (n: number) => n.toLocaleString("en-US");
  const runtimes = [
    `Deno ${versions.deno ?? "?"}`,
    `Bun ${versions.bun ?? "?"}`,
    `Node ${versions.nodeffi ?? "?"} (sockopts through \`node:ffi\`)`,
    versions.node === undefined ? "Node: not run" : `Node ${versions.node} with net-keepalive ${versions.netKeepalive}`,
    compiler === undefined ? "C: not run" : `C: ${compiler}, -O2`,
  ].join(", ");
  const { slices, retried, kept } = m.disturbance;
  return `Measured ${date} with \`npm run bench\` (${m.rounds} rounds × ${count(m.calls)} calls per row, ` +
    `${minutes.toFixed(1)} min) on ${machine.cpu} (${machine.cores} cores), ${machine.os}, ${machine.kernel}; ` +
    `${runtimes}. Of ${count(slices)} timed slices and resolution runs, ${count(retried)} were repeated because ` +
    `another process held the worker off the CPU; ${count(kept)} stayed disturbed after every attempt.`;
}

const METHOD = `## How it measures

- Every timed row makes the stated number of calls per round, for every round. Within a round a
  group's rows take turns in ten slices of a tenth of the calls each, in an order that rotates, so
  a burst of load from elsewhere on the machine lands on every row's slices rather than on one
  row's whole round; a row's figure for the round is the median rate of its slices. Node's rows
  make all their calls in one of those turns: net-keepalive allocates on every call, and V8
  shrinks an idle heap between slices, which made it up to 40% slower than in one run. The median
  and the min–max are then over rounds, in ns per call (wall-clock time).
- A slice whose thread waited for a CPU (Linux schedstat) for more than 2% of its time, because
  another process on the machine ran, is timed again, up to five times (Node's whole runs: twice);
  if every attempt was held off, the least disturbed one counts. The line above the table gives
  the counts.
- **vs C** is the median of per-round ratios to the C row named in the same group, timed in the
  same round by \`bench/c/baseline.c\`, compiled with \`-O2\` at the start of the run.
- C, Bun and Deno each run one long-lived worker (\`bench/worker.ts\`, the C program) that opens
  its loopback connection once and warms each row with 100,000 untimed calls; Node runs a fresh
  worker every round (\`bench/node_worker.ts\`, bundled with esbuild), because net-keepalive
  leaks.
- Before every slice a worker checks its fd against \`/proc\`: it must be the established
  loopback connection it opened (for handles: the fd the handle resolves to). Every call's return
  value is checked inside the loop, and the kernel's value is read back after it.
- net-keepalive is installed with this machine's npm into git-ignored \`bench/.node/\`; it is not
  a dependency of sockopts.`;

function resultsFile(body: string, report: Report): string {
  const summary = `Targets: ${report.met} met, ${report.missed.length} missed, ${report.pending.length} pending.`;
  return `# Benchmark results\n\nGenerated by \`npm run bench\` (bench/run.ts); do not edit by hand.\n\n${body}\n\n${summary}\n\n${METHOD}\n`;
}

const BEGIN = "<!-- bench:begin -->";
const END = "<!-- bench:end -->";

function updateReadme(body: string): void {
  const path = join(ROOT, "docs", "performance.md");
  const page = readFileSync(path, "utf8");
  const start = page.indexOf(BEGIN);
  const end = page.indexOf(END);
  if (start === -1 || end < start) throw new Error(`docs/performance.md has no ${BEGIN} … ${END} block for the table`);
  writeFileSync(path, page.slice(0, start + BEGIN.length) + "\n" + body + "\n" + page.slice(end));
}

await main();
