/**
 * Runs inside Wine under Deno, Bun or Node for Windows (scripts/wine_run.sh): opens a loopback TCP
 * connection with the runtime's own API, finds each end's Winsock SOCKET (Bun: the socket's fd;
 * Deno and Node: the process's handle table, tests/windows/handles.ts), then sets and reads the
 * keep-alive options through ws2_32 on the client end and SIO_KEEPALIVE_VALS on the server end.
 * Prints one `READY {json}` line and keeps both sockets open until a second connection reaches
 * its listener, so that tests/windows_wine.test.ts can read from outside what the Linux kernel
 * holds first (stdin cannot be the signal: Bun for Windows under Wine fails to open it, EBADF).
 *
 * @module
 */
import process from "node:process";
import { windows } from "../../platforms/windows/constants.ts";
import { windowsFfi } from "./ffi.ts";
import { endpoint, findSocket, ownHandles, type SocketSearch, systemHandles } from "./handles.ts";

const w = windowsFfi();
const O = windows.options;

interface Pair {
  /** The client end's local port and the listener's port. */
  readonly clientPort: number;
  readonly serverPort: number;
  /** The SOCKETs the runtime gives (Bun only). */
  readonly clientFd?: number;
  readonly serverFd?: number;
  /** Settles when a second connection reaches the listener: the test is done reading. */
  readonly done: Promise<unknown>;
  close(): void;
}

async function denoPair(): Promise<Pair> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const server = await listener.accept();
  return {
    clientPort: client.localAddr.port,
    serverPort: listener.addr.port,
    done: listener.accept(),
    close: () => [client, server, listener].forEach((c) => c.close()),
  };
}

interface BunSocket {
  readonly fd: number;
  readonly localPort: number;
  end(): void;
}

async function bunPair(): Promise<Pair> {
  const bun = (globalThis as unknown as {
    Bun: {
      listen(o: unknown): { port: number; stop(closeActive?: boolean): void };
      connect(o: unknown): Promise<BunSocket>;
    };
  }).Bun;
  const accepted = [Promise.withResolvers<BunSocket>(), Promise.withResolvers<BunSocket>()];
  let opened = 0;
  const listener = bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: { open: (s: BunSocket) => accepted[Math.min(opened++, 1)].resolve(s), data() {} },
  });
  const server = accepted[0].promise;
  const client = await bun.connect({ hostname: "127.0.0.1", port: listener.port, socket: { data() {} } });
  const end = await server;
  return {
    clientPort: client.localPort,
    serverPort: listener.port,
    clientFd: client.fd,
    serverFd: end.fd,
    done: accepted[1].promise,
    close: () => {
      client.end();
      end.end();
      listener.stop(true);
    },
  };
}

async function nodePair(): Promise<Pair> {
  const net = await import("node:net");
  const accepted = Promise.withResolvers<import("node:net").Socket>();
  const second = Promise.withResolvers<import("node:net").Socket>();
  let opened = 0;
  const server = net.createServer((s) => (opened++ === 0 ? accepted : second).resolve(s));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const client = net.connect(port, "127.0.0.1");
  await new Promise((resolve) => client.once("connect", resolve));
  const end = await accepted.promise;
  return {
    clientPort: client.localPort!,
    serverPort: port,
    done: second.promise,
    close: () => {
      client.destroy();
      end.destroy();
      server.close();
    },
  };
}

/** One Winsock call's outcome: its return value, WSAGetLastError() right after, and a value read. */
interface Call {
  readonly ret: number;
  readonly wsaError: number;
  readonly value?: number;
}

function dword(value: number): Uint8Array {
  const bytes = w.alloc(4);
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(0, value >>> 0, true);
  return bytes;
}

function set(socket: number, level: number, optname: number, value: number): Call {
  const ret = w.ws2.setsockopt(socket, level, optname, dword(value), 4);
  return { ret, wsaError: ret === 0 ? 0 : w.ws2.WSAGetLastError() };
}

function get(socket: number | bigint, level: number, optname: number): Call {
  const value = w.alloc(4); // zeroed: a BOOL may come back as one byte
  const length = dword(4);
  const ret = w.ws2.getsockopt(socket, level, optname, value, length);
  if (ret !== 0) return { ret, wsaError: w.ws2.WSAGetLastError() };
  return { ret, wsaError: 0, value: new DataView(value.buffer, value.byteOffset).getInt32(0, true) };
}

function keepaliveVals(socket: number, onoff: number, timeMs: number, intervalMs: number): Call {
  const input = w.alloc(windows.keepaliveVals.size);
  const view = new DataView(input.buffer, input.byteOffset);
  view.setUint32(0, onoff, true);
  view.setUint32(4, timeMs, true);
  view.setUint32(8, intervalMs, true);
  const returned = w.alloc(4);
  const ret = w.ws2.WSAIoctl(
    socket,
    windows.keepaliveVals.code,
    input,
    input.byteLength,
    null,
    0,
    returned,
    null,
    null,
  );
  return { ret, wsaError: ret === 0 ? 0 : w.ws2.WSAGetLastError() };
}

function osBuild(): { major: number; minor: number; build: number } {
  const layout = windows.nt.osVersionInfo;
  const info = w.alloc(layout.size);
  const view = new DataView(info.buffer, info.byteOffset);
  view.setUint32(0, layout.size, true);
  w.nt.RtlGetVersion(info);
  return {
    major: view.getUint32(layout.major, true),
    minor: view.getUint32(layout.minor, true),
    build: view.getUint32(layout.build, true),
  };
}

function summary(search: SocketSearch) {
  return {
    method: search.list.method,
    status: search.list.status,
    handles: search.list.handles.length,
    files: search.files,
    afd: search.afd.length,
    match: search.match,
  };
}

const runtime = w.runtime;
const pair = runtime === "deno" ? await denoPair() : runtime === "bun" ? await bunPair() : await nodePair();

// Both handle listings, for both ends: the Bun fds must be among what they find.
const own = ownHandles(w);
const system = systemHandles(w);
const clientSearch = [
  findSocket(w, own, pair.clientPort, pair.serverPort),
  findSocket(w, system, pair.clientPort, pair.serverPort),
];
const serverSearch = [
  findSocket(w, own, pair.serverPort, pair.clientPort),
  findSocket(w, system, pair.serverPort, pair.clientPort),
];
const client = pair.clientFd ?? clientSearch.find((s) => s.match !== null)?.match ?? null;
const server = pair.serverFd ?? serverSearch.find((s) => s.match !== null)?.match ?? null;
if (client === null || server === null) {
  console.log(
    `FAILED ${JSON.stringify({ runtime, client: clientSearch.map(summary), server: serverSearch.map(summary) })}`,
  );
  pair.close();
  process.exit(1);
}

const T = O.TCP_KEEPIDLE!.level;
const calls = {
  keepaliveBefore: get(client, windows.SOL_SOCKET, O.SO_KEEPALIVE!.optname),
  keepaliveSet: set(client, windows.SOL_SOCKET, O.SO_KEEPALIVE!.optname, 1),
  keepaliveAfter: get(client, windows.SOL_SOCKET, O.SO_KEEPALIVE!.optname),
  idleSet: set(client, T, O.TCP_KEEPIDLE!.optname, 75),
  idle: get(client, T, O.TCP_KEEPIDLE!.optname),
  intervalSet: set(client, T, O.TCP_KEEPINTVL!.optname, 7),
  interval: get(client, T, O.TCP_KEEPINTVL!.optname),
  countSet: set(client, T, O.TCP_KEEPCNT!.optname, 5),
  count: get(client, T, O.TCP_KEEPCNT!.optname),
  // Linux keeps 1..127; Windows documents no bound: what Wine answers for 200.
  countTooBig: set(client, T, O.TCP_KEEPCNT!.optname, 200),
  countAfterTooBig: get(client, T, O.TCP_KEEPCNT!.optname),
  maxrtSet: set(client, T, windows.TCP_MAXRT.optname, 30),
  maxrt: get(client, T, windows.TCP_MAXRT.optname),
  maxrtmsSet: set(client, T, O.TCP_USER_TIMEOUT!.optname, 30000),
  maxrtms: get(client, T, O.TCP_USER_TIMEOUT!.optname),
  nodelaySet: set(client, T, O.TCP_NODELAY!.optname, 1),
  nodelay: get(client, T, O.TCP_NODELAY!.optname),
  // The server end: SIO_KEEPALIVE_VALS only (45.5 s idle, 2.5 s interval, in ms); not readable back.
  valsSet: keepaliveVals(server, 1, 45500, 2500),
  valsKeepalive: get(server, windows.SOL_SOCKET, O.SO_KEEPALIVE!.optname),
  valsIdle: get(server, T, O.TCP_KEEPIDLE!.optname),
  valsInterval: get(server, T, O.TCP_KEEPINTVL!.optname),
  // A handle that is no socket: (SOCKET)~0, INVALID_SOCKET, never open.
  notSocket: get(windows.INVALID_SOCKET, windows.SOL_SOCKET, O.SO_KEEPALIVE!.optname),
};

console.log(`READY ${
  JSON.stringify({
    runtime,
    wine: w.wine,
    os: osBuild(),
    clientPort: pair.clientPort,
    serverPort: pair.serverPort,
    client,
    server,
    bunFds: pair.clientFd === undefined ? null : { client: pair.clientFd, server: pair.serverFd },
    clientSearch: clientSearch.map(summary),
    serverSearch: serverSearch.map(summary),
    clientName: endpoint(w, client, "getsockname"),
    calls,
  })
}`);

// Keep the sockets until told, so the kernel can be read from outside; give up after 2 minutes.
await Promise.race([pair.done, new Promise((resolve) => setTimeout(resolve, 120_000))]);
pair.close();
process.exit(0);
