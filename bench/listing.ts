/**
 * The listing part of `npm run bench` (issues 14 and 21): tcpSockets() and the keepConfigured
 * policy at about 20,000 open fds (9,800 of them TCP sockets), under Bun, Deno and Node, against a C
 * program doing the least work for the same answer (bench/c/listing.c), in the same run; and a
 * policy tick in a small process (10 connections) in each runtime, Node's against Bun's and Deno's. Each process runs in a fresh private
 * network namespace when this runs as root, so every sock_diag dump sees exactly its own sockets.
 *
 * Prints a table and writes bench/LISTING.md. Flags: `--rounds N` (3 runs of each process),
 * `--no-write`.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { output } from "./processes.ts";

const ROOT = join(import.meta.dirname!, "..");
const CONNECTIONS = 4_900; // 9,800 TCP sockets: both ends of each connection live in the process
const FD_LIMIT_MARGIN = 300; // what a runtime holds itself, and room for a tick's 100 new connections
const C_ROUNDS = 15;
const JS_ROUNDS = 9;

const args = Deno.args;
const runs = args.includes("--rounds") ? Number(args[args.indexOf("--rounds") + 1]) : 3;
const write = !args.includes("--no-write");

function limitOfFds(): number {
  const text = Deno.readTextFileSync("/proc/self/limits");
  const line = text.split("\n").find((l) => l.startsWith("Max open files"))!;
  return Number(line.split(/\s+/)[3]);
}

const root = Deno.uid() === 0;
function isolated(command: string[]): [string, string[]] {
  if (!root) return [command[0], command.slice(1)];
  return ["unshare", ["--net", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", ...command]];
}

async function json(command: string[]): Promise<Record<string, number>> {
  const [cmd, rest] = isolated(command);
  const text = await output(cmd, rest, ROOT);
  return JSON.parse(text.trim().split("\n").at(-1)!);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const limit = Math.min(20_000, limitOfFds());
const files = limit - 2 * CONNECTIONS - FD_LIMIT_MARGIN;
const cc = Deno.env.get("CC") ?? "cc";
const binary = join(await Deno.makeTempDir({ prefix: "sockopts-listing-" }), "listing");
await output(cc, ["-O2", "-Wall", "-o", binary, join(ROOT, "bench", "c", "listing.c")], ROOT);
const bun = join(ROOT, "node_modules", ".bin", "bun");
const node = join(ROOT, "node_modules", ".bin", "node");
const worker = "bench/listing_worker.ts";
// The small process: a server and 10 connections to it (21 TCP sockets and the runtime's own fds,
// 30 to 45 in all), as an application with a pool holds; its tick is mostly the kernel's walk of
// the TCP hash tables, whatever the runtime.
const SMALL = 10;
const SMALL_ROUNDS = 41;

const RUNTIMES = ["bun", "deno", "node"] as const;
type Runtime = typeof RUNTIMES[number];
function command(rt: Runtime, ...args: (string | number)[]): string[] {
  const rest = [worker, ...args.map(String)];
  if (rt === "deno") return [Deno.execPath(), "run", "-A", "--v8-flags=--expose-gc", ...rest];
  if (rt === "node") return [node, "--expose-gc", ...rest];
  return [bun, ...rest];
}

const c: Record<string, number>[] = [];
const cSmall: Record<string, number>[] = [];
const js: Record<Runtime, Record<string, number>[]> = { deno: [], bun: [], node: [] };
const small: Record<Runtime, Record<string, number>[]> = { deno: [], bun: [], node: [] };
const lookups: Record<string, number[]> = { connect: [], listen: [], serve: [] };
// How long timer ticks hold the event loop (bench/listing_lag.ts): about 70 s a runtime, one run.
const lags: Partial<Record<"deno" | "bun", Record<string, number>>> = {};
for (let r = 0; r < runs; r++) {
  console.error(`round ${r + 1} of ${runs}`);
  for (const rt of RUNTIMES) js[rt].push(await json(command(rt, CONNECTIONS, files, JS_ROUNDS)));
  for (const rt of RUNTIMES) small[rt].push(await json(command(rt, SMALL, 0, SMALL_ROUNDS)));
  cSmall.push(await json([binary, String(SMALL), "0", String(C_ROUNDS)]));
  // The C program holds as many fds as the runtimes did (they hold a few hundred of their own).
  const fds = js.deno.at(-1)!.fds;
  c.push(await json([binary, String(CONNECTIONS), String(fds - 2 * CONNECTIONS - 4), String(C_ROUNDS)]));
  if (r === 0) {
    const args = [String(CONNECTIONS), String(files), "1", "lag"];
    lags.deno = await json([Deno.execPath(), "run", "-A", "--v8-flags=--expose-gc", worker, ...args]);
    lags.bun = await json([bun, worker, ...args]);
  }
  for (const kind of Object.keys(lookups)) {
    const reply = await json([Deno.execPath(), "run", "-A", worker, String(CONNECTIONS), String(files), "1", kind]);
    lookups[kind].push(reply.firstLookupMs);
  }
}

const m = (rows: Record<string, number>[], key: string) => median(rows.map((row) => row[key]));
const floor = m(c, "floorMs");
const dump = m(c, "dumpMs");
interface Row {
  what: string;
  ms: number;
  ratio: string;
  target: string;
  met: boolean | null;
}
const rows: Row[] = [
  {
    what: `C floor: getdents + fstat per fd + one sock_diag dump (${m(c, "fds")} fds)`,
    ms: floor,
    ratio: "1",
    target: "",
    met: null,
  },
  {
    what: "C one sock_diag dump of every TCP socket",
    ms: dump,
    ratio: (dump / floor).toFixed(2),
    target: "",
    met: null,
  },
  { what: "C getdents of /proc/self/fd", ms: m(c, "getdentsMs"), ratio: "", target: "", met: null },
  { what: "C one fstat per fd", ms: m(c, "fstatMs"), ratio: "", target: "", met: null },
];
for (const rt of RUNTIMES) {
  const list = m(js[rt], "tcpSocketsMs");
  const none = m(js[rt], "tickNoneMs");
  const hundred = m(js[rt], "tick100Ms");
  const extra = m(js[rt], "tick100ExtraMs");
  const one = m(js[rt], "configureOneMs");
  rows.push(
    {
      what: `${rt} tcpSockets() (${m(js[rt], "tcp")} TCP sockets)`,
      ms: list,
      ratio: (list / floor).toFixed(2),
      target: "<= 2x C floor",
      met: list <= 2 * floor,
    },
    {
      what: `${rt} policy tick, nothing new`,
      ms: none,
      ratio: (none / dump).toFixed(2),
      target: "<= 1.5x C dump",
      met: none <= 1.5 * dump,
    },
    {
      what: `${rt} policy tick, 100 new connections (their server in another process)`,
      ms: hundred,
      ratio: "",
      target: "",
      met: null,
    },
    {
      what:
        `${rt} the 100 new sockets' share: that tick and the next (which checks them again), minus two ticks over the same sockets with nothing to do`,
      ms: extra,
      ratio: (extra / (100 * one)).toFixed(2),
      target: `<= 100 x one configuration (100 x ${one.toFixed(4)} ms)`,
      met: extra <= 100 * one,
    },
  );
}
// Node's tick against Bun's and Deno's, in the same process shape (issue 21: within 1.5x).
const smallDump = m(cSmall, "dumpMs");
rows.push({
  what: `C one sock_diag dump, small process (${m(cSmall, "fds")} fds)`,
  ms: smallDump,
  ratio: "",
  target: "",
  met: null,
});
for (const rt of RUNTIMES) {
  const tick = m(small[rt], "tickNoneMs");
  const others = Math.min(m(small.bun, "tickNoneMs"), m(small.deno, "tickNoneMs"));
  rows.push({
    what: `${rt} policy tick, nothing new, small process (${m(small[rt], "fds")} fds, ${
      m(small[rt], "tcp")
    } TCP sockets)`,
    ms: tick,
    ratio: (tick / smallDump).toFixed(2),
    target: rt === "node" ? "<= 1.5x the lower of Bun's and Deno's" : "",
    met: rt === "node" ? tick <= 1.5 * others : null,
  });
}
const largeOthers = Math.min(m(js.bun, "tickNoneMs"), m(js.deno, "tickNoneMs"));
rows.push({
  what: "node policy tick, nothing new (large process), against the lower of Bun's and Deno's",
  ms: m(js.node, "tickNoneMs"),
  ratio: (m(js.node, "tickNoneMs") / largeOthers).toFixed(2),
  target: "<= 1.5x",
  met: m(js.node, "tickNoneMs") <= 1.5 * largeOthers,
});
for (const rt of ["bun", "deno"] as const) {
  const lag = lags[rt]!;
  rows.push(
    {
      what: `${rt} longest event-loop block while timer ticks ran (main-thread CPU between two turns of a 1 ms ` +
        `probe timer; ${lag.quietTicks} ticks in 33 s, ${lag.quietFullScans} of them reading every fd)`,
      ms: lag.quietBlockMs,
      ratio: (lag.quietBlockMs / dump).toFixed(2),
      target: "<= 5 ms",
      met: lag.quietBlockMs <= 5,
    },
    {
      what: `${rt} the same while timer ticks found and configured 8 x 100 new connections`,
      ms: lag.newBlockMs,
      ratio: (lag.newBlockMs / dump).toFixed(2),
      target: "<= 5 ms",
      met: lag.newBlockMs <= 5,
    },
    {
      what: `${rt} longest lateness of the probe timer (wall time) in those windows (5 s with no policy: ` +
        `${lag.baselineLateMs.toFixed(2)} ms late, ${lag.baselineBlockMs.toFixed(2)} ms block)`,
      ms: Math.max(lag.quietLateMs, lag.newLateMs),
      ratio: "",
      target: "",
      met: null,
    },
    {
      what: `${rt} the most work one of those ticks did, all its slices`,
      ms: lag.longestTickMs,
      ratio: (lag.longestTickMs / dump).toFixed(2),
      target: "",
      met: null,
    },
  );
}
for (const [kind, values] of Object.entries(lookups)) {
  const ms = median(values);
  rows.push({
    what: `deno first fdOf(${kind === "connect" ? "Deno.connect" : kind === "listen" ? "Deno.listen" : "Deno.serve"})`,
    ms,
    ratio: (ms / floor).toFixed(2),
    target: "<= 0.5x C floor",
    met: ms <= 0.5 * floor,
  });
}

const lines = [
  "| measurement | ms (median) | ratio | target | met |",
  "|---|---:|---:|---|---|",
  ...rows.map((r) =>
    `| ${r.what} | ${r.ms.toFixed(2)} | ${r.ratio} | ${r.target} | ${r.met === null ? "" : r.met ? "yes" : "**no**"} |`
  ),
];
const table = lines.join("\n");
console.log(table);
const period = (rt: Runtime) => 100 * m(js[rt], "tickNoneMs");
console.log(
  `\nadaptive period at this size: ${
    RUNTIMES.map((rt) => `${rt} ${period(rt).toFixed(0)} ms`).join(", ")
  } (100 x tick: 1% of one core)`,
);
if (write) {
  writeFileSync(
    join(ROOT, "bench", "LISTING.md"),
    `# Listing and policy benchmark (issues 14 and 21)\n\n` +
      `Written by \`deno run -A bench/listing.ts\` (part of \`npm run bench\`): ${runs} runs of each process, ` +
      `${CONNECTIONS} loopback connections (both ends held) plus files up to ~${limit} fds, and a small process of ` +
      `${SMALL} connections, each process in its own ` +
      `network namespace${
        root ? "" : " (not here: not root, so the dumps also saw other processes' sockets)"
      }. The event-loop rows come from one run of each runtime (bench/listing_lag.ts): a block is ` +
      `the CPU the main thread spent between two turns of a 1 ms probe timer, which a busy machine's ` +
      `scheduler does not stretch as it stretches the wall-time lateness beside it.\n\n${table}\n`,
  );
}
