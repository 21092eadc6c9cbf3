/**
 * One runtime's `sockopts ls --pid` for bench/listing_cli.ts: the command's own work (list the
 * process's TCP sockets, read each one's settings and TCP_INFO through a checked duplicate of its
 * fd, build the table), timed in this process. Prints a ready line after two untimed runs, then
 * answers each `measure N` line on stdin with `{ lsMs, lsCpuMs, sockets, tableBytes }`, the median
 * of N in wall time and in this process's CPU time (user + system).
 *
 * Usage: `<deno run -A | bun | node> bench/listing_cli_worker.ts <pid>`
 */
import { createInterface } from "node:readline";
import { inspectPid } from "../src/cli/ls.ts";
import { processTable } from "../src/cli/table.ts";

const pid = Number(process.argv[2]);

function ls(): { sockets: number; tableBytes: number } {
  const report = inspectPid(pid, undefined);
  return { sockets: report.sockets.length, tableBytes: processTable(report).length };
}

ls();
console.log(JSON.stringify(ls()));
const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const rounds = Number(line.split(" ")[1]);
  const times: number[] = [];
  const cpu: number[] = [];
  let last = { sockets: 0, tableBytes: 0 };
  for (let r = 0; r < rounds; r++) {
    const c = process.cpuUsage();
    const t = performance.now();
    last = ls();
    times.push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  console.log(JSON.stringify({ lsMs: median(times), lsCpuMs: median(cpu), ...last }));
});
lines.on("close", () => process.exit(0));
