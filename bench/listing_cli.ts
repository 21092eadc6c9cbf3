/**
 * `sockopts ls --pid` at about 20,000 fds (issue 24's target: within 2× the library's own
 * in-process `tcpSockets()`), part of `npm run bench`, written to bench/LISTING_CLI.md.
 *
 * A Deno process (bench/listing_target.ts) holds 4,900 loopback connections (9,800 TCP sockets)
 * and files up to ~20,000 fds, in a network namespace of its own when this runs as root (so the
 * command enters it, as it would a container's). One worker per runtime
 * (bench/listing_cli_worker.ts) does the command's work on it: the listing, every socket's
 * settings and TCP_INFO read through a duplicate of its fd, the table. The measurements
 * alternate, the target's own `tcpSockets()` then each runtime's `ls --pid`, a few runs each, so
 * that each ratio compares runs made seconds apart whatever else the machine is doing; the
 * ratio shown is the median of those pairs. The whole command is also timed as an operator runs
 * it, runtime start-up included.
 *
 * Flags: `--rounds N` (default 15), `--no-write`.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { LineWorker, output } from "./processes.ts";

const ROOT = join(import.meta.dirname!, "..");
const CONNECTIONS = 4_900;
const FD_LIMIT_MARGIN = 300;
const RUNS_EACH = 3;

const args = Deno.args;
const rounds = args.includes("--rounds") ? Number(args[args.indexOf("--rounds") + 1]) : 15;
const write = !args.includes("--no-write");

function limitOfFds(): number {
  const text = Deno.readTextFileSync("/proc/self/limits");
  const line = text.split("\n").find((l) => l.startsWith("Max open files"))!;
  return Number(line.split(/\s+/)[3]);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const bin = (name: string) => join(ROOT, "node_modules", ".bin", name);
const RUNTIMES: Record<string, string[]> = {
  deno: [bin("deno"), "run", "-A"],
  bun: [bin("bun")],
  node: [bin("node")],
};

const root = Deno.uid() === 0;
// What else the machine was doing: these ratios move with it, so the file says.
const load = () => Deno.readTextFileSync("/proc/loadavg").split(" ")[0];
const loadBefore = load();
const files = Math.min(20_000, limitOfFds()) - 2 * CONNECTIONS - FD_LIMIT_MARGIN;
const targetCommand = [Deno.execPath(), "run", "-A", "bench/listing_target.ts", String(CONNECTIONS), String(files)];
const target = await LineWorker.start(
  "target",
  root ? "unshare" : targetCommand[0],
  root ? ["--net", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", ...targetCommand] : targetCommand.slice(1),
  ROOT,
);
const { pid, fds, tcp } = target.ready as { pid: number; fds: number; tcp: number };
console.error(`target ${pid}: ${fds} fds, ${tcp} TCP sockets`);

const inProcess: number[] = [];
const work: Record<string, number[]> = { deno: [], bun: [], node: [] };
const ratios: Record<string, number[]> = { deno: [], bun: [], node: [] };
// CPU time (user + system) moves far less with what else runs than wall time does.
const inProcessCpu: number[] = [];
const workCpu: Record<string, number[]> = { deno: [], bun: [], node: [] };
const cpuRatios: Record<string, number[]> = { deno: [], bun: [], node: [] };
const whole: Record<string, number[]> = { deno: [], bun: [], node: [] };
let sockets = 0;
const workers: Record<string, LineWorker> = {};
try {
  for (const [name, [command, ...rest]] of Object.entries(RUNTIMES)) {
    workers[name] = await LineWorker.start(name, command, [...rest, "bench/listing_cli_worker.ts", String(pid)], ROOT);
  }
  for (let r = 0; r < rounds; r++) {
    console.error(`round ${r + 1} of ${rounds}`);
    const measured = await target.request(`measure ${RUNS_EACH}`);
    const base = measured.tcpSocketsMs as number;
    const baseCpu = measured.tcpSocketsCpuMs as number;
    inProcess.push(base);
    inProcessCpu.push(baseCpu);
    for (const name of Object.keys(RUNTIMES)) {
      const reply = await workers[name].request(`measure ${RUNS_EACH}`);
      work[name].push(reply.lsMs as number);
      ratios[name].push((reply.lsMs as number) / base);
      workCpu[name].push(reply.lsCpuMs as number);
      cpuRatios[name].push((reply.lsCpuMs as number) / baseCpu);
      sockets = reply.sockets as number;
    }
    if (r % 5 === 0) {
      for (const [name, [command, ...rest]] of Object.entries(RUNTIMES)) {
        const started = performance.now();
        await output(command, [...rest, "src/cli/main.ts", "ls", "--pid", String(pid)], ROOT);
        whole[name].push(performance.now() - started);
      }
    }
  }
} finally {
  for (const worker of Object.values(workers)) await worker.close();
  await target.close();
}

const loadAfter = load();
const base = median(inProcess);
const baseCpu = median(inProcessCpu);
const rows = [
  `| in-process \`tcpSockets()\` in the target (Deno, ${tcp} TCP sockets) | ${base.toFixed(2)} | ` +
  `${baseCpu.toFixed(2)} | 1 | 1 | | |`,
];
const range = (values: number[]) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;
for (const name of Object.keys(RUNTIMES)) {
  const ratio = median(ratios[name]);
  const cpuRatio = median(cpuRatios[name]);
  rows.push(
    `| ${name}: \`sockopts ls --pid\`, the command's work (${sockets} sockets listed, read and tabulated) | ` +
      `${median(work[name]).toFixed(2)} | ${median(workCpu[name]).toFixed(2)} | ${ratio.toFixed(2)} (${
        range(ratios[name])
      }) | ` +
      `${cpuRatio.toFixed(2)} (${range(cpuRatios[name])}) | <= 2x in-process \`tcpSockets()\` | ${
        ratio <= 2 ? "yes" : "**no**"
      } (CPU: ${cpuRatio <= 2 ? "yes" : "**no**"}) |`,
  );
}
for (const name of Object.keys(RUNTIMES)) {
  const ms = median(whole[name]);
  rows.push(
    `| ${name}: the whole command as run, runtime start-up included | ${ms.toFixed(0)} | | ${
      (ms / base).toFixed(2)
    } | | | |`,
  );
}
const table = [
  "| measurement | ms (median) | CPU ms (median) | ratio | CPU-time ratio | target | met |",
  "|---|---:|---:|---:|---:|---|---|",
  ...rows,
].join("\n");
console.log(table);
if (write) {
  writeFileSync(
    join(ROOT, "bench", "LISTING_CLI.md"),
    `# \`sockopts ls --pid\` benchmark (issue 24)\n\n` +
      `Written by \`deno run -A bench/listing_cli.ts\` (part of \`npm run bench\`): ${rounds} rounds; the target holds ` +
      `${CONNECTIONS} loopback connections (both ends) plus files, ${fds} fds in all, ` +
      `${
        root ? "in a network namespace of its own (the command enters it)" : "in this network namespace (not root)"
      }. ` +
      `Each round: the target's own \`tcpSockets()\` (median of ${RUNS_EACH}), then each runtime's \`ls --pid\` work ` +
      `(median of ${RUNS_EACH}, in a worker that ran it twice untimed first); the ratio is the median over the rounds of ` +
      `each round's ls / tcpSockets (the range in brackets), in wall time and in each process's CPU time (user + ` +
      `system, which moves far less with what else the machine runs), and every fifth round the whole command once. ` +
      `Load average (1 min) ${loadBefore} before and ${loadAfter} after, on ${navigator.hardwareConcurrency} cores.` +
      `\n\n${table}\n`,
  );
}
