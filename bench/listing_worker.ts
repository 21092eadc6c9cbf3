/**
 * One runtime's side of bench/listing.ts: opens `connections` loopback connections (both ends in
 * this process) and `files` fds on /dev/null, then prints one JSON line of medians in ms.
 *
 * Usage: `<deno run -A | bun | node --expose-gc> bench/listing_worker.ts <connections> <files> <rounds> [lookup-kind]`
 *
 * Without a lookup kind: tcpSockets(), a policy tick that finds nothing new, a tick that finds 100
 * new connections, and one socket's configuration (identity confirmed, detectWithin applied, read
 * back, checked again). With one
 * (`connect`, `listen`, `serve`; Deno only): the process's first `fdOf()` of that handle kind.
 * With `lag`: how long the policy's timer ticks block the event loop (bench/listing_lag.ts).
 */
import net from "node:net";
import { spawn } from "node:child_process";
import { openSync, readdirSync } from "node:fs";
import * as sockopts from "../mod.ts";
import { measureLag } from "./listing_lag.ts";

const [connections, files, rounds] = [0, 1, 2].map((i) => Number(process.argv[2 + i]));
const lookup = process.argv[5];
const SETTINGS = { detectWithin: 20_000 } as const;
const NEW = 100;
const NEW_ROUNDS = 41; // the dump alone varies by several ms from tick to tick here: many rounds, then the median

/**
 * A full garbage collection before each measured tick (Deno with --v8-flags=--expose-gc, Node with
 * --expose-gc, Bun's Bun.gc), so that no tick pays for the collection the 100 new node:net sockets
 * made due.
 */
function collect(): void {
  const g = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void } };
  if (g.Bun !== undefined) g.Bun.gc(true);
  else g.gc?.();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const server = net.createServer({ noDelay: true }, (s) => s.on("error", () => {}));
await new Promise<void>((resolve) => server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, resolve));
const port = (server.address() as net.AddressInfo).port;

async function open(count: number, to = port): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let done = 0; done < count; done += 100) {
    const batch = Array.from(
      { length: Math.min(100, count - done) },
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect(to, "127.0.0.1", () => resolve(s));
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

if (lookup !== undefined && lookup !== "lag") {
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

// The 100 new connections of a tick go to a server in another process (bench/listing_peer.mjs), as
// a pool's go to a database: the tick finds exactly 100 new sockets, all matching the filter.
const isDeno = "Deno" in globalThis;
const peer = spawn(process.execPath, [
  ...(isDeno ? ["run", "-A"] : []),
  new URL("listing_peer.mjs", import.meta.url).pathname,
], {
  stdio: ["pipe", "pipe", "inherit"],
});
const peerPort = await new Promise<number>((resolve, reject) => {
  peer.stdout!.once("data", (chunk) => resolve(Number(String(chunk).trim())));
  peer.once("error", reject);
});

if (lookup === "lag") {
  console.log(JSON.stringify(await measureLag(open, peerPort, SETTINGS, collect)));
  peer.stdin!.end();
  process.exit(0);
}

const policy = sockopts.keepConfigured({ remotePort: peerPort }, SETTINGS, { period: 0 });
const startTick = policy.report.duration;
const none: number[] = [];
for (let r = 0; r < rounds * 2; r++) {
  collect();
  none.push(policy.refresh().duration);
}

// Each round: a tick that finds 100 new sockets, the next tick (which checks them once more, in
// case a driver's connect handler overwrote them), and a third over the same sockets that finds
// nothing to do; the first two minus twice the third is what the 100 new sockets cost.
const hundred: number[] = [];
const extra: number[] = [];
for (let r = 0; r < NEW_ROUNDS; r++) {
  const batch = await open(NEW, peerPort);
  collect();
  const report = policy.refresh();
  if (report.configured.length !== NEW) {
    throw new Error(
      `round ${r}: a tick found ${report.configured.length} of ${NEW} new connections (${
        JSON.stringify({ ...report, configured: undefined })
      })`,
    );
  }
  collect();
  const check = policy.refresh();
  collect();
  const same = policy.refresh();
  if (check.configured.length + same.configured.length + check.reasserted.length !== 0) {
    throw new Error(`round ${r}: the ticks after configured or reasserted sockets again`);
  }
  hundred.push(report.duration);
  extra.push(report.duration + check.duration - 2 * same.duration);
  for (const s of batch) s.destroy();
  await new Promise((resolve) => setTimeout(resolve, 50));
  policy.refresh();
}
peer.stdin!.end();

// One socket's configuration, as the policy does it, through the public calls: its identity
// confirmed (SO_COOKIE, so a socket closed meanwhile never gets the settings), the settings
// applied, read back (the report carries them), and checked once more (SO_KEEPALIVE and
// TCP_KEEPIDLE, what a driver's connect handler changes). Each on a different connection, as a
// tick meets them: the same fd over and over would find the kernel's socket in the CPU's caches.
// The policy makes two system calls more per socket, which no public call makes: it configures
// through a duplicate of the fd (fcntl F_DUPFD_CLOEXEC, then close; src/process/duplicate.ts), so
// that another thread reusing the number meanwhile never gets the settings.
const fds = sockopts.tcpSockets().filter((s) => s.remote?.port === port).map((s) => s.fd).slice(0, 400);
const one: number[] = [];
for (const fd of fds) {
  const t = performance.now();
  sockopts.getOption(fd, "SO_COOKIE");
  sockopts.setKeepAlive(fd, { detectWithin: SETTINGS.detectWithin });
  sockopts.getKeepAlive(fd);
  sockopts.getUserTimeout(fd);
  sockopts.getOption(fd, "SO_KEEPALIVE");
  sockopts.getOption(fd, "TCP_KEEPIDLE");
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
  tick100ExtraMs: median(extra),
  configureOneMs: median(one),
  autoPeriodMs: policy.stats.period,
}));
process.exit(0);
