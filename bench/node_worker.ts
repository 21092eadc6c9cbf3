/**
 * The Node peer: `net-keepalive` 4.x (and Node's own `setKeepAlive`) on a `net.Socket`. Node
 * cannot run TypeScript, so the orchestrator bundles this file with esbuild into bench/.node/,
 * next to the net-keepalive it installs there; net-keepalive stays out of the library's
 * dependencies. Node imports it from bench/.node/node_modules.
 */
import { createRequire } from "node:module";
import net from "node:net";
import process from "node:process";
import { assertConnection, fdOfConnection } from "./oracle.ts";
import type { Ops } from "./serve.ts";
import { serve } from "./serve.ts";

interface NetKeepAlive {
  setKeepAliveInterval(socket: net.Socket, ms: number): boolean;
  getKeepAliveInterval(socket: net.Socket): number;
}

const HOST = "127.0.0.1";
const INTERVAL_MS = 10_000;

const require = createRequire(import.meta.url);
const keepalive = require("net-keepalive") as NetKeepAlive;
const { version } = require("net-keepalive/package.json") as { version: string };

const server = net.createServer((socket) => socket.on("error", () => {}));
await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
const port = (server.address() as net.AddressInfo).port;
const socket = net.connect(port, HOST);
await new Promise<void>((resolve, reject) => {
  socket.once("connect", resolve);
  socket.once("error", reject);
});
const localPort = socket.localPort!;
const fd = fdOfConnection(localPort, port);

function fail(what: string, got: unknown): never {
  throw new Error(`${what}: got ${JSON.stringify(got)}`);
}

// net-keepalive works on the fd libuv holds: it must be the connection the kernel lists.
function check(): void {
  assertConnection(fd, localPort, port, "net.Socket");
  const handleFd = (socket as unknown as { _handle: { fd: number } })._handle.fd;
  if (handleFd !== fd) fail(`net.Socket's handle names fd ${handleFd}, the kernel lists fd ${fd}`, handleFd);
}

const ops: Ops = {
  "nk-set": {
    check,
    loop(calls) {
      for (let i = 0; i < calls; i++) {
        if (keepalive.setKeepAliveInterval(socket, INTERVAL_MS) !== true) fail("setKeepAliveInterval", false);
      }
    },
    after() {
      const got = keepalive.getKeepAliveInterval(socket);
      if (got !== INTERVAL_MS) fail("TCP_KEEPINTVL", got);
    },
  },
  "nk-get": {
    check() {
      check();
      keepalive.setKeepAliveInterval(socket, INTERVAL_MS);
    },
    loop(calls) {
      for (let i = 0; i < calls; i++) {
        const got = keepalive.getKeepAliveInterval(socket);
        if (got !== INTERVAL_MS) fail("getKeepAliveInterval", got);
      }
    },
  },
  // Node skips setKeepAlive when the settings match its last call: alternate the delay so every
  // call reaches libuv, which makes the same four setsockopt calls as Bun.
  "builtin-node": {
    check,
    loop(calls) {
      for (let i = 0; i < calls; i++) {
        if (socket.setKeepAlive(true, i & 1 ? 31_000 : 30_000) !== socket) fail("setKeepAlive", "not the socket");
      }
    },
    after() {
      // net-keepalive has no idle getter; the interval libuv forces (1 s) shows the call landed.
      const got = keepalive.getKeepAliveInterval(socket);
      if (got !== 1_000) fail("TCP_KEEPINTVL after setKeepAlive", got);
    },
  },
};

await serve(ops, { runtime: "node", version: process.versions.node, netKeepalive: version, fd }, () => {
  socket.destroy();
  server.close();
  process.exit(0);
});
