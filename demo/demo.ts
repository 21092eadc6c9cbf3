/**
 * `npm start`: opens a loopback TCP connection, prints the kernel's keep-alive defaults, applies a
 * dead-peer profile, and prints what the kernel holds afterwards. Runs unchanged in Deno, Bun and Node.
 */
import net from "node:net";
import { getKeepAlive, getUserTimeout, setKeepAlive, setUserTimeout } from "../mod.ts";

const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined"
  ? "Bun"
  : typeof (globalThis as { Deno?: unknown }).Deno !== "undefined"
  ? "Deno"
  : `Node.js ${process.versions.node}`;
const PROFILE = { idle: 10_000, interval: 2_000, count: 3 };
const USER_TIMEOUT = 16_000;

const server = net.createServer((socket) => socket.on("error", () => {}));
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const { port } = server.address() as net.AddressInfo;
const client = net.connect(port, "127.0.0.1");
await new Promise<void>((resolve, reject) => {
  client.once("connect", resolve);
  client.once("error", reject);
});

const read = () => ({ ...getKeepAlive(client), userTimeout: getUserTimeout(client) });
const before = read();
setKeepAlive(client, PROFILE);
setUserTimeout(client, USER_TIMEOUT);
const after = read();

const seconds = (ms: number) => `${ms / 1000} s`;
const human = (ms: number) => {
  const s = Math.round(ms / 1000);
  const parts = [[Math.floor(s / 3600), "h"], [Math.floor((s % 3600) / 60), "min"], [s % 60, "s"]] as const;
  return parts.filter(([n]) => n > 0).map(([n, unit]) => `${n} ${unit}`).join(" ") || "0 s";
};
const detect = (s: typeof before) =>
  s.enable
    ? human(s.idle + s.interval * s.count)
    : `never (keep-alive off; on: ${human(s.idle + s.interval * s.count)})`;
const rows: [string, string, string][] = [
  ["SO_KEEPALIVE", String(before.enable), String(after.enable)],
  ["TCP_KEEPIDLE", seconds(before.idle), seconds(after.idle)],
  ["TCP_KEEPINTVL", seconds(before.interval), seconds(after.interval)],
  ["TCP_KEEPCNT", String(before.count), String(after.count)],
  [
    "TCP_USER_TIMEOUT",
    before.userTimeout === 0 ? "0 (system default)" : `${before.userTimeout} ms`,
    `${after.userTimeout} ms`,
  ],
  ["dead peer noticed after", detect(before), detect(after)],
];
const width = [24, 44, 12];
const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(width[i])).join(" | ");
console.log(`\nsockopts demo under ${runtime}: loopback connection 127.0.0.1:${client.localPort} -> 127.0.0.1:${port}`);
console.log(line(["option", "before (kernel default)", "after"]));
console.log(line(width.map((w) => "-".repeat(w))));
for (const row of rows) console.log(line(row));

client.destroy();
server.close();
