/**
 * One runtime's `sockopts ls --pid` for bench/listing_cli.ts: the command's own work (list the
 * process's TCP sockets, read each one's settings and TCP_INFO through a checked duplicate of its
 * fd, build the table), timed in this process over `rounds` runs after two untimed ones. Prints
 * `{ lsMs, sockets, tableBytes }`, the median.
 *
 * Usage: `<deno run -A | bun | node> bench/listing_cli_worker.ts <pid> <rounds>`
 */
import { inspectPid } from "../src/cli/ls.ts";
import { processTable } from "../src/cli/table.ts";

const pid = Number(process.argv[2]);
const rounds = Number(process.argv[3]);

function ls(): { sockets: number; tableBytes: number } {
  const report = inspectPid(pid, undefined);
  return { sockets: report.sockets.length, tableBytes: processTable(report).length };
}

ls();
ls();
const times: number[] = [];
let last = { sockets: 0, tableBytes: 0 };
for (let r = 0; r < rounds; r++) {
  const t = performance.now();
  last = ls();
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({ lsMs: times[Math.floor(times.length / 2)], ...last }));
