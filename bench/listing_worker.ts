/**
 * One runtime's side of bench/listing.ts: opens `connections` loopback connections (both ends in
 * this process) and `files` fds on /dev/null, then prints one JSON line of medians in ms.
 *
 * Usage: `<deno run -A | bun> bench/listing_worker.ts <connections> <files> <rounds> [lookup-kind]`
 *
 * Without a lookup kind: tcpSockets(), a policy tick that finds nothing new, a tick that finds 100
 * new connections, and one socket's configuration (detectWithin applied and read back). With one
 * (`connect`, `listen`, `serve`; Deno only): the process's first `fdOf()` of that handle kind.
 */
import net from "node:net";
import { openSync, readdirSync } from "node:fs";
import * as sockopts from "../mod.ts";

const [connections, files, rounds] = [0, 1, 2].map((i) => Number(process.argv[2 + i]));
const lookup = process.argv[5];
const SETTINGS = { detectWithin: 20_000 } as const;
const NEW = 100;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const server = net.createServer({ noDelay: true }, (s) => s.on("error", () => {}));
await new Promise<void>((resolve) => server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, resolve));
const port = (server.address() as net.AddressInfo).port;

async function open(count: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let done = 0; done < count; done += 100) {
    const batch = Array.from(
      { length: Math.min(100, count - done) },
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect(port, "127.0.0.1", () => resolve(s));
          s.once("error", reject);
        }),
    );
    sockets.push(...await Promise.all(batch));
  }
  // Let the server accept them all.
  await new Promise((resolve) => setTimeout(resolve, 50));
  return sockets;
}

await open(connections);
for (let i = 0; i < files; i++) openSync("/dev/null", "r");

if (lookup !== undefined) {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno!;
  const fdOf = sockopts.fdOf as (handle: object) => number;
  let handle: object;
  let close: () => Promise<void> | void;
  if (lookup === "connect") {
    const listener = deno.listen({ hostname: "127.0.0.1", port: 0 });
    handle = await deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    close = () => listener.close();
  } else if (lookup === "listen") {
    handle = deno.listen({ hostname: "127.0.0.1", port: 0 });
    close = () => (handle as Deno.Listener).close();
  } else {
    const ac = new AbortController();
    handle = deno.serve({ hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} }, () => new Response("ok"));
    close = () => ac.abort();
  }
  const started = performance.now();
  const fd = fdOf(handle);
  const ms = performance.now() - started;
  console.log(JSON.stringify({ lookup, firstLookupMs: ms, fd }));
  await close();
  process.exit(0);
}

const list: number[] = [];
let seen = 0;
for (let r = 0; r < rounds; r++) {
  const t = performance.now();
  seen = sockopts.tcpSockets().length;
  list.push(performance.now() - t);
}

const policy = sockopts.keepConfigured({ remotePort: port }, SETTINGS, { period: 0 });
const startTick = policy.report.duration;
const none: number[] = [];
for (let r = 0; r < rounds * 2; r++) none.push(policy.refresh().duration);

const hundred: number[] = [];
for (let r = 0; r < 5; r++) {
  const batch = await open(NEW);
  const report = policy.refresh();
  if (report.configured.length !== NEW) {
    throw new Error(
      `round ${r}: a tick found ${report.configured.length} of ${NEW} new connections (${
        JSON.stringify({ ...report, configured: undefined })
      })`,
    );
  }
  hundred.push(report.duration);
  for (const s of batch) s.destroy();
  await new Promise((resolve) => setTimeout(resolve, 50));
  policy.refresh();
}

// One socket's configuration, as a tick does it: the settings applied, then read back.
const fd = policy.sockets[0].fd;
const one: number[] = [];
for (let r = 0; r < 200; r++) {
  const t = performance.now();
  sockopts.setKeepAlive(fd, { detectWithin: SETTINGS.detectWithin });
  sockopts.getKeepAlive(fd);
  sockopts.getUserTimeout(fd);
  one.push(performance.now() - t);
}
policy.stop();
console.log(JSON.stringify({
  tcp: seen,
  fds: readdirSync("/proc/self/fd").length,
  tcpSocketsMs: median(list),
  firstTickMs: startTick,
  tickNoneMs: median(none),
  tick100Ms: median(hundred),
  configureOneMs: median(one),
  autoPeriodMs: policy.stats.period,
}));
process.exit(0);
