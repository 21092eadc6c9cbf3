/**
 * Deno handle resolution under load: `deno run -A bench/resolve.ts <connections>` opens that many
 * loopback connections (both ends in this process, so about twice as many fds), then prints one
 * JSON line:
 *
 * - `firstLookupMs`: the process's first `fdOf()` of a `Deno.connect` connection, which carries no
 *   fd hint, so it must be found among every open fd (on Linux by its inode, see
 *   src/handles/inode_lookup.ts; elsewhere by a cold index reading every fd's addresses);
 * - `configureAllMs`: the total for configuring every connection the server holds, each handle's
 *   first use (found by address, or from Deno's fd hint), four setsockopt calls each;
 * - `addedUs`: what configuring each newly accepted connection costs while connections are only
 *   being added (none closes, so new fds take new numbers);
 * - `acceptedUs`: what configuring each newly accepted connection costs (`setKeepAlive(conn, …)`,
 *   four setsockopt calls included) while the server holds that many and has configured them all,
 *   with churn: for each new connection the oldest one closes, so fd numbers are reused as in a
 *   real server;
 * - `acceptedRawUs`: the same on the accepted connection's raw fd, for reference;
 * - `connectedUs`: the same for the client end (`Deno.connect`, which gives no fd hint);
 * - `closedFirstUs` / `closedUs`: a call through a `Deno.connect` connection closed before its
 *   first use: the first call, then each of 1,000 later ones (known closed: no lookup).
 *
 * Run fresh for every measurement so that no earlier lookup warms the index.
 */
import * as sockopts from "../mod.ts";
import { getKeepAlive, getKeepAliveInterval, setKeepAlive } from "../mod.ts";
import { readFileSync } from "node:fs";
import { fdOfConnection } from "./oracle.ts";

const HOST = "127.0.0.1";
const PROFILE = { idle: 30_000, interval: 10_000, count: 3 } as const;
// New connections per run, each replacing the oldest one: untimed, then timed at the server end
// (ARRIVALS through the handle and as many on the raw fd), then timed at the client end (fewer:
// each may cost a scan of every fd, see connectedUs).
const WARMUP_ARRIVALS = 200;
const ADDED_ARRIVALS = 500;
const ARRIVALS = 500;
const CLIENT_ARRIVALS = 20;
// Connections opened concurrently while filling up.
const BATCH = 100;

const connections = Number(Deno.args[0]);
if (!Number.isInteger(connections) || connections < 1) throw new Error("usage: resolve.ts <connections>");

const fdOf = (sockopts as Record<string, unknown>).fdOf as ((handle: object) => number) | undefined;
if (typeof fdOf !== "function") {
  console.log(JSON.stringify({ pending: "sockopts does not export fdOf(Deno.Conn) yet" }));
  Deno.exit(0);
}

interface Pair {
  readonly client: Deno.TcpConn;
  readonly accepted: Deno.TcpConn;
}

const listener = Deno.listen({ hostname: HOST, port: 0 });
const port = listener.addr.port;

async function open(): Promise<Pair> {
  const [client, accepted] = await Promise.all([Deno.connect({ hostname: HOST, port }), listener.accept()]);
  return { client, accepted: accepted as Deno.TcpConn };
}

function kernelFd(conn: Deno.TcpConn): number {
  return fdOfConnection(conn.localAddr.port, conn.remoteAddr.port);
}

function expectProfile(conn: Deno.TcpConn, what: string): void {
  const got = getKeepAlive(kernelFd(conn));
  const want = { enable: true, ...PROFILE };
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${what}: keep-alive is ${JSON.stringify(got)}`);
}

// Filling up: connects run concurrently, accepts one at a time (Deno allows one pending accept),
// so a client and the accepted end beside it may belong to different connections; only the count
// matters until the timed arrivals, which are opened as true pairs.
const pairs: Pair[] = [];
while (pairs.length < connections) {
  const n = Math.min(BATCH, connections - pairs.length);
  const clients = Array.from({ length: n }, () => Deno.connect({ hostname: HOST, port }));
  for (const client of clients) pairs.push({ accepted: await listener.accept() as Deno.TcpConn, client: await client });
}
const fds = [...Deno.readDirSync("/proc/self/fd")].length;

// The first lookup: the newest client end, found without any hint in a cold index.
const target = pairs[pairs.length - 1].client;
const expected = kernelFd(target);
getKeepAliveInterval(expected); // loads libc through a raw fd, which touches no index
// How long this thread waited for a CPU (schedstat), so the orchestrator can repeat a disturbed run.
const waitedNs = () => Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[1]);
const waitedBefore = waitedNs();
let start = performance.now();
const found = fdOf(target);
const firstLookupMs = performance.now() - start;
const firstLookupWaited = (waitedNs() - waitedBefore) / (firstLookupMs * 1e6);
if (found !== expected) throw new Error(`fdOf() found fd ${found}, the kernel lists fd ${expected}`);

/** Replaces the oldest connection with a new one, as a server with steady churn sees. */
async function arrive(): Promise<Pair> {
  const oldest = pairs.shift()!;
  oldest.client.close();
  oldest.accepted.close();
  const pair = await open();
  pairs.push(pair);
  return pair;
}

// A server that configures every connection it accepts: first every connection it holds, in total.
start = performance.now();
for (const { accepted } of pairs) setKeepAlive(accepted, PROFILE);
const configureAllMs = performance.now() - start;
expectProfile(pairs[0].accepted, "held connection");
expectProfile(pairs[pairs.length - 1].accepted, "held connection");

// Connections only being added: each new one is configured as it is accepted, and none closes.
let addedMs = 0;
for (let i = 0; i < ADDED_ARRIVALS; i++) {
  const pair = await open();
  pairs.push(pair);
  start = performance.now();
  setKeepAlive(pair.accepted, PROFILE);
  addedMs += performance.now() - start;
  if (i === 0 || i === ADDED_ARRIVALS - 1) expectProfile(pair.accepted, "added connection");
}
// Back to the size under test, so that the churn rows run at that many open connections.
for (const { client, accepted } of pairs.splice(0, ADDED_ARRIVALS)) {
  client.close();
  accepted.close();
}

// With churn, after a few untimed arrivals.
for (let i = 0; i < WARMUP_ARRIVALS; i++) setKeepAlive((await arrive()).accepted, PROFILE);

// Deno keeps an accepted connection's fd under an internal symbol: the reference rows configure
// that raw fd, so the difference to the handle rows is what finding the socket costs.
function internalFd(conn: Deno.TcpConn): number {
  const symbol = Object.getOwnPropertySymbols(conn).find((s) => s.description === "Deno.internal.fd");
  const fd = symbol === undefined ? undefined : (conn as unknown as Record<symbol, unknown>)[symbol];
  if (typeof fd !== "number") throw new Error("this Deno keeps no fd on accepted connections");
  return fd;
}

// Arrivals alternate between the handle and the raw fd, so both see the same conditions.
let acceptedMs = 0;
let rawMs = 0;
for (let i = 0; i < 2 * ARRIVALS; i++) {
  const { accepted } = await arrive();
  const checked = i < 2 || i >= 2 * ARRIVALS - 2;
  if (i % 2 === 0) {
    start = performance.now();
    setKeepAlive(accepted, PROFILE);
    acceptedMs += performance.now() - start;
  } else {
    const fd = internalFd(accepted);
    if (checked && fd !== kernelFd(accepted)) throw new Error(`Deno's internal fd ${fd} is not the connection's`);
    start = performance.now();
    setKeepAlive(fd, PROFILE);
    rawMs += performance.now() - start;
  }
  if (checked) expectProfile(accepted, "accepted connection");
}

let connectedMs = 0;
for (let i = 0; i < CLIENT_ARRIVALS; i++) {
  const pair = await arrive();
  start = performance.now();
  setKeepAlive(pair.client, PROFILE);
  connectedMs += performance.now() - start;
  if (i === 0 || i === CLIENT_ARRIVALS - 1) expectProfile(pair.client, "client connection");
}

// Calls through a closed Deno.Conn never used while open: the first one finds it closed (its
// addresses match no socket), every later one must answer from what that established.
const CLOSED_CALLS = 1_000;
const gone = pairs.shift()!;
gone.client.close();
gone.accepted.close();
start = performance.now();
try {
  setKeepAlive(gone.client, PROFILE);
  throw new Error("a call through a closed Deno.Conn succeeded");
} catch (error) {
  if (!(error instanceof sockopts.SocketClosedError)) throw error;
}
const closedFirstUs = (performance.now() - start) * 1000;
start = performance.now();
for (let i = 0; i < CLOSED_CALLS; i++) {
  try {
    setKeepAlive(gone.client, PROFILE);
  } catch {
    // SocketClosedError, as above
  }
}
const closedUs = ((performance.now() - start) * 1000) / CLOSED_CALLS;

console.log(JSON.stringify({
  connections,
  fds,
  firstLookupMs,
  firstLookupWaited,
  configureAllMs,
  addedUs: (addedMs * 1000) / ADDED_ARRIVALS,
  acceptedUs: (acceptedMs * 1000) / ARRIVALS,
  acceptedRawUs: (rawMs * 1000) / ARRIVALS,
  connectedUs: (connectedMs * 1000) / CLIENT_ARRIVALS,
  closedFirstUs,
  closedUs,
}));
for (const { client, accepted } of pairs) {
  client.close();
  accepted.close();
}
listener.close();
