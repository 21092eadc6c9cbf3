/**
 * The benchmark worker for Bun, Deno and Node 26: one long-lived process per runtime that opens its
 * loopback connections once and times an operation whenever the orchestrator asks (see serve.ts).
 *
 * Run as `bun bench/worker.ts`, `deno run -A --v8-flags=--expose-gc bench/worker.ts` or
 * `node --expose-gc bench/worker.ts` (Node strips the types itself).
 */
/// <reference types="npm:@types/bun@1.4.4" />
import net from "node:net";
import process from "node:process";
import * as sockopts from "../mod.ts";
import { getKeepAlive, getKeepAliveInterval, setKeepAlive, setKeepAliveInterval, type SocketHandle } from "../mod.ts";
import NetKeepAlive from "../src/compat/net_keepalive.ts";
import { type BareFfi, bareFfi } from "./bare_ffi.ts";
import { assertConnection, fdOfConnection } from "./oracle.ts";
import type { Op, Ops } from "./serve.ts";
import { serve } from "./serve.ts";

const HOST = "127.0.0.1";
const INTERVAL_MS = 10_000;
// The same profile the C baseline's four calls set: 30 s idle, 10 s interval, 3 probes.
const PROFILE = { idle: 30_000, interval: 10_000, count: 3 } as const;

const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
const isNode = !isBun && typeof (globalThis as { Deno?: unknown }).Deno === "undefined";
const runtime = isBun ? "bun" : isNode ? "node" : "deno";

/** A connected loopback socket: the runtime's own handle and the fd the kernel lists for it. */
interface Connection {
  readonly handle: SocketHandle;
  readonly fd: number;
  readonly localPort: number;
  readonly remotePort: number;
  /** The fd the handle itself names (Bun: `socket.fd`), when it exposes one. */
  readonly handleFd?: () => number;
  close(): void | Promise<void>;
}

async function bunConnection(): Promise<Connection> {
  const server = Bun.listen({ hostname: HOST, port: 0, socket: { data() {} } });
  const socket = await Bun.connect({ hostname: HOST, port: server.port, socket: { data() {} } });
  const fd = fdOfConnection(socket.localPort, server.port);
  return {
    handle: socket,
    fd,
    localPort: socket.localPort,
    remotePort: server.port,
    handleFd: () => (socket as unknown as { fd: number }).fd,
    close() {
      socket.end();
      server.stop(true);
    },
  };
}

async function denoConnection(): Promise<Connection> {
  const listener = Deno.listen({ hostname: HOST, port: 0 });
  const [conn, peer] = await Promise.all([
    Deno.connect({ hostname: HOST, port: listener.addr.port }),
    listener.accept(),
  ]);
  return {
    handle: conn,
    fd: fdOfConnection(conn.localAddr.port, listener.addr.port),
    localPort: conn.localAddr.port,
    remotePort: listener.addr.port,
    close() {
      conn.close();
      peer.close();
      listener.close();
    },
  };
}

async function nodeConnection(): Promise<Connection & { handle: net.Socket }> {
  const server = net.createServer((socket) => socket.on("error", () => {}));
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const port = (server.address() as net.AddressInfo).port;
  const client = net.connect(port, HOST);
  await new Promise<void>((resolve, reject) => {
    client.once("connect", resolve);
    client.once("error", reject);
  });
  return {
    handle: client,
    fd: fdOfConnection(client.localPort!, port),
    localPort: client.localPort!,
    remotePort: port,
    handleFd: () => (client as unknown as { _handle: { fd: number } })._handle.fd,
    async close() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function fail(what: string, got: unknown): never {
  throw new Error(`${what}: got ${JSON.stringify(got)}`);
}

function expectKeepAlive(fd: number, expected: object): void {
  const got = getKeepAlive(fd);
  if (JSON.stringify(got) !== JSON.stringify({ enable: true, ...expected })) fail(`fd ${fd} keep-alive`, got);
}

const nodeNet = await nodeConnection();
// Under Node the runtime's own connection is the node:net one.
const connection = isBun ? await bunConnection() : isNode ? nodeNet : await denoConnection();
const { fd, handle } = connection;
const bare = bareFfi(runtime);
const api = sockopts as Record<string, unknown>;

function checkFd(): void {
  assertConnection(fd, connection.localPort, connection.remotePort, `${runtime} connection`);
}

// The fd the handle resolves to must be the one the kernel lists for it, before anything is timed.
function checkHandle(): void {
  checkFd();
  const named = connection.handleFd?.() ?? (api.fdOf as (h: SocketHandle) => number)(handle);
  if (named !== fd) fail(`${runtime} handle resolves to fd ${named}, the kernel lists fd ${fd}`, named);
}

// Deno.Conn exposes no fd: sockopts finds it by address (issue: handle resolution). Until that
// lands the handle rows say so instead of timing something else.
function handlePending(): string | undefined {
  if (isBun || isNode) return undefined;
  if (typeof api.fdOf !== "function") return "pending: sockopts does not export fdOf(Deno.Conn) yet";
  try {
    setKeepAliveInterval(handle, INTERVAL_MS);
  } catch (error) {
    return `pending: setKeepAliveInterval(Deno.Conn) throws ${(error as Error).message}`;
  }
  return undefined;
}

function tcpInfoOp(): Op | string {
  const getTcpInfo = api.getTcpInfo as ((socket: number) => { state: string }) | undefined;
  if (typeof getTcpInfo !== "function") return "pending: sockopts does not export getTcpInfo yet";
  return {
    check: checkFd,
    loop(calls) {
      for (let i = 0; i < calls; i++) {
        const info = getTcpInfo(fd);
        if (info.state !== "ESTABLISHED") fail("getTcpInfo state", info.state);
      }
    },
  };
}

function builtinOp(): Op | string {
  if (isNode) return "n/a: Node's own setKeepAlive is timed by the net-keepalive worker";
  if (isBun) {
    const socket = handle as { setKeepAlive(enable: boolean, delay: number): boolean };
    return {
      check: checkHandle,
      loop(calls) {
        for (let i = 0; i < calls; i++) {
          if (socket.setKeepAlive(true, PROFILE.idle) !== true) fail("socket.setKeepAlive", false);
        }
      },
      // Bun's own call also forces a 1 s interval and 10 probes.
      after: () => expectKeepAlive(fd, { idle: PROFILE.idle, interval: 1_000, count: 10 }),
    };
  }
  const conn = handle as Deno.TcpConn;
  return {
    check() {
      checkFd();
      setKeepAlive(fd, { enable: false });
    },
    loop(calls) {
      for (let i = 0; i < calls; i++) conn.setKeepAlive(true);
    },
    after() {
      if (!getKeepAlive(fd).enable) fail("conn.setKeepAlive(true) left SO_KEEPALIVE", false);
    },
  };
}

// node:net skips setKeepAlive when the settings match its last call, so the delay alternates to
// make every call reach the kernel.
function nodeNetOp(): Op {
  const socket = nodeNet.handle;
  let last = 0;
  return {
    check: () => assertConnection(nodeNet.fd, nodeNet.localPort, nodeNet.remotePort, "node:net socket"),
    loop(calls) {
      for (let i = 0; i < calls; i++) {
        last = i & 1 ? 31_000 : 30_000;
        if (socket.setKeepAlive(true, last) !== socket) fail("node:net setKeepAlive", "not the socket");
      }
    },
    after() {
      const got = getKeepAlive(nodeNet.fd);
      if (!got.enable || got.idle !== last) fail(`node:net setKeepAlive(true, ${last})`, got);
    },
  };
}

const pending = handlePending();
let documentedFfi: BareFfi | undefined;
// Bound on first use: only the Node worker is asked for these rows.
const documented = (): BareFfi => documentedFfi ??= bareFfi(runtime, true);

const ops: Ops = {
  "set-fd": {
    check: checkFd,
    loop(calls) {
      for (let i = 0; i < calls; i++) setKeepAliveInterval(fd, INTERVAL_MS);
    },
    after: () => getKeepAliveInterval(fd) === INTERVAL_MS || fail("TCP_KEEPINTVL", getKeepAliveInterval(fd)),
  },
  "get-fd": {
    check() {
      checkFd();
      setKeepAliveInterval(fd, INTERVAL_MS);
    },
    loop(calls) {
      for (let i = 0; i < calls; i++) {
        if (getKeepAliveInterval(fd) !== INTERVAL_MS) fail("getKeepAliveInterval", getKeepAliveInterval(fd));
      }
    },
  },
  "set-ffi": {
    check: checkFd,
    loop(calls) {
      for (let i = 0; i < calls; i++) if (bare.set(fd, 10) !== 0) fail("bare setsockopt", -1);
    },
  },
  "get-ffi": {
    check() {
      checkFd();
      bare.set(fd, 10);
    },
    loop(calls) {
      for (let i = 0; i < calls; i++) if (bare.get(fd) !== 10) fail("bare getsockopt", bare.get(fd));
    },
  },
  "set-ffi-pointer": {
    check: checkFd,
    loop(calls) {
      for (let i = 0; i < calls; i++) if (documented().set(fd, 10) !== 0) fail("bare setsockopt", -1);
    },
  },
  "get-ffi-pointer": {
    check() {
      checkFd();
      documented().set(fd, 10);
    },
    loop(calls) {
      const ffi = documented();
      for (let i = 0; i < calls; i++) if (ffi.get(fd) !== 10) fail("bare getsockopt", ffi.get(fd));
    },
  },
  // sockopts/net-keepalive, the drop-in: net-keepalive's argument checks, then the library's call.
  "compat-set": {
    check: checkHandle,
    loop(calls) {
      for (let i = 0; i < calls; i++) {
        if (NetKeepAlive.setKeepAliveInterval(handle as net.Socket, INTERVAL_MS) !== true) fail("compat set", false);
      }
    },
    after: () => getKeepAliveInterval(fd) === INTERVAL_MS || fail("TCP_KEEPINTVL", getKeepAliveInterval(fd)),
  },
  "compat-get": {
    check() {
      checkHandle();
      setKeepAliveInterval(fd, INTERVAL_MS);
    },
    loop(calls) {
      for (let i = 0; i < calls; i++) {
        const got = NetKeepAlive.getKeepAliveInterval(handle as net.Socket);
        if (got !== INTERVAL_MS) fail("compat get", got);
      }
    },
  },
  "set-handle": pending ?? {
    check: checkHandle,
    loop(calls) {
      for (let i = 0; i < calls; i++) setKeepAliveInterval(handle, INTERVAL_MS);
    },
    after: () => getKeepAliveInterval(fd) === INTERVAL_MS || fail("TCP_KEEPINTVL", getKeepAliveInterval(fd)),
  },
  "ka4-fd": {
    check: checkFd,
    loop(calls) {
      for (let i = 0; i < calls; i++) setKeepAlive(fd, PROFILE);
    },
    after: () => expectKeepAlive(fd, PROFILE),
  },
  "ka4-handle": pending ?? {
    check: checkHandle,
    loop(calls) {
      for (let i = 0; i < calls; i++) setKeepAlive(handle, PROFILE);
    },
    after: () => expectKeepAlive(fd, PROFILE),
  },
  "tcpinfo-fd": tcpInfoOp(),
  "builtin": builtinOp(),
  "builtin-node": nodeNetOp(),
};

const version = isBun ? Bun.version : isNode ? process.versions.node : Deno.version.deno;
await serve(ops, { runtime, version, fd }, async () => {
  if (connection !== nodeNet) await connection.close();
  await nodeNet.close();
  process.exit(0);
});
