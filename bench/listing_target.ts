/**
 * The process `sockopts ls --pid` reads in bench/listing_cli.ts: `connections` loopback
 * connections (both ends held) and `files` fds on /dev/null, as bench/listing_worker.ts holds
 * them. Prints a ready line `{ pid, fds, tcp }`, then answers each `measure N` line on stdin with
 * `{ tcpSocketsMs, tcpSocketsCpuMs }`: the median of N in-process `tcpSockets()` calls, in wall
 * time and in this process's CPU time (user + system), the figures to compare with.
 *
 * Usage: `deno run -A bench/listing_target.ts <connections> <files>`
 */
import net from "node:net";
import { openSync, readdirSync, readlinkSync } from "node:fs";
import { createInterface } from "node:readline";
import { tcpSockets } from "../mod.ts";

const [connections, files] = [2, 3].map((i) => Number(process.argv[i]));

const server = net.createServer({ noDelay: true }, (s) => s.on("error", () => {}));
await new Promise<void>((resolve) => server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, resolve));
const port = (server.address() as net.AddressInfo).port;
const sockets: net.Socket[] = [];
for (let done = 0; done < connections; done += 100) {
  const batch = Array.from(
    { length: Math.min(100, connections - done) },
    () =>
      new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(port, "127.0.0.1", () => resolve(s));
        s.once("error", reject);
      }),
  );
  sockets.push(...await Promise.all(batch));
}
await new Promise((resolve) => setTimeout(resolve, 50)); // let the server accept them all
for (let i = 0; i < files; i++) openSync("/dev/null", "r");

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// The pid `ls --pid` takes: /proc's, which is the host's even inside a PID namespace.
const pid = Number(readlinkSync("/proc/self"));
console.log(JSON.stringify({ pid, fds: readdirSync("/proc/self/fd").length, tcp: tcpSockets().length }));
const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const rounds = Number(line.split(" ")[1]);
  tcpSockets(); // warm
  const times: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const c = process.cpuUsage();
    const t = performance.now();
    tcpSockets();
    times.push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
  }
  console.log(JSON.stringify({ tcpSocketsMs: median(times), tcpSocketsCpuMs: median(cpu) }));
});
lines.on("close", () => process.exit(0));
