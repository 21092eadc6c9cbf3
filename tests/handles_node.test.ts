import { describe, it } from "node:test";
import assert from "node:assert/strict";
import dgram from "node:dgram";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import tls from "node:tls";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fdOf, getKeepAlive, getUserTimeout, setKeepAlive, setUserTimeout } from "../mod.ts";
import { connectTcp } from "./support/net.ts";
import { keepAliveDefaults, listenerFd, tcpFd } from "./support/proc.ts";
import { ca, cert, key } from "./support/tls.ts";

const PROFILE = { idle: 13_000, interval: 2_000, count: 6 };
const EXPECTED = { enable: true, ...PROFILE };
// Every test opens sockets: a hang fails that test after this long instead of stalling the run.
const LIMIT = { timeout: 30_000 };

function listen(server: net.Server, host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as net.AddressInfo).port)));
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Polls until the server-side socket of `client` exists, then returns its fd (accept is asynchronous). */
async function acceptedFd(serverPort: number, client: net.Socket): Promise<number> {
  for (let i = 0;; i++) {
    try {
      return tcpFd(serverPort, client.localPort!);
    } catch (error) {
      if (i > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

describe("node:net, node:tls, node:http(s) and node:dgram handles", () => {
  it("configure a node:net socket on both ends", LIMIT, async () => {
    const server = net.createServer();
    const accepted = new Promise<net.Socket>((resolve) => server.once("connection", resolve));
    const port = await listen(server);
    let client: net.Socket | undefined;
    let serverSide: net.Socket | undefined;
    try {
      client = await connectTcp(port);
      serverSide = await accepted;
      setKeepAlive(client, PROFILE);
      setUserTimeout(client, 3_300);
      assert.equal(fdOf(client), tcpFd(client.localPort!, port));
      assert.deepEqual(getKeepAlive(tcpFd(client.localPort!, port)), EXPECTED);
      assert.equal(getUserTimeout(client), 3_300);
      setKeepAlive(serverSide, { ...PROFILE, count: 1 });
      assert.deepEqual(getKeepAlive(tcpFd(port, client.localPort!)), { ...EXPECTED, count: 1 });
    } finally {
      client?.destroy();
      serverSide?.destroy();
      await close(server);
    }
  });

  it("configure a node:net server's listener, inherited by the connections it accepts (Linux)", LIMIT, async () => {
    const server = net.createServer((socket) => socket.on("error", () => {}));
    const port = await listen(server);
    let client: net.Socket | undefined;
    try {
      setKeepAlive(server, PROFILE);
      setUserTimeout(server, 5_500);
      assert.equal(fdOf(server), listenerFd(port));
      assert.deepEqual(getKeepAlive(listenerFd(port)), EXPECTED);
      client = await connectTcp(port);
      const fd = await acceptedFd(port, client);
      assert.deepEqual(getKeepAlive(fd), EXPECTED);
      assert.equal(getUserTimeout(fd), 5_500);
      assert.deepEqual(getKeepAlive(client), { enable: false, ...keepAliveDefaults() });
    } finally {
      client?.destroy();
      await close(server);
    }
  });

  it("resolve a node:tls TLSSocket to its TCP socket, and a tls.Server to its listener", LIMIT, async () => {
    const server = tls.createServer({ cert, key }, (socket) => socket.on("error", () => {}));
    const port = await listen(server);
    const client = tls.connect({ host: "127.0.0.1", port, ca, servername: "localhost" });
    try {
      await new Promise<void>((resolve, reject) => {
        client.once("secureConnect", resolve);
        client.once("error", reject);
      });
      setKeepAlive(client, PROFILE);
      assert.deepEqual(getKeepAlive(tcpFd(client.localPort!, port)), EXPECTED);
      assert.equal(fdOf(client), tcpFd(client.localPort!, port));
      setKeepAlive(server, { ...PROFILE, count: 2 });
      assert.deepEqual(getKeepAlive(listenerFd(port)), { ...EXPECTED, count: 2 });
    } finally {
      client.destroy();
      await close(server);
    }
  });

  it("configure node:http and node:https servers through their listeners", LIMIT, async () => {
    const plain = http.createServer((_req, res) => res.end("ok"));
    const secure = https.createServer({ cert, key }, (_req, res) => res.end("ok"));
    const plainPort = await listen(plain);
    const securePort = await listen(secure);
    let client: net.Socket | undefined;
    try {
      setKeepAlive(plain, PROFILE);
      setKeepAlive(secure, { ...PROFILE, count: 3 });
      assert.equal(fdOf(plain), listenerFd(plainPort));
      assert.equal(fdOf(secure), listenerFd(securePort));
      assert.deepEqual(getKeepAlive(listenerFd(plainPort)), EXPECTED);
      assert.deepEqual(getKeepAlive(listenerFd(securePort)), { ...EXPECTED, count: 3 });
      // A connection the HTTP server accepts afterwards carries the listener's values.
      client = await connectTcp(plainPort);
      client.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      await new Promise((resolve) => client!.once("data", resolve));
      assert.deepEqual(getKeepAlive(await acceptedFd(plainPort, client)), EXPECTED);
    } finally {
      client?.destroy();
      plain.closeAllConnections();
      await close(plain);
      await close(secure);
    }
  });

  it("refuse node:dgram sockets and Unix-domain node:net handles", LIMIT, async () => {
    const udp = dgram.createSocket("udp4");
    const dir = mkdtempSync(join(tmpdir(), "sockopts-"));
    const path = join(dir, "s.sock");
    const server = net.createServer((socket) => socket.on("error", () => {}));
    let client: net.Socket | undefined;
    try {
      await new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", resolve));
      await new Promise<void>((resolve) => server.listen(path, resolve));
      client = net.connect(path);
      await new Promise<void>((resolve) => client!.once("connect", resolve));
      // @ts-expect-error a node:dgram socket is no TCP handle: refused at compile time and at run time
      assert.throws(() => setKeepAlive(udp, PROFILE), {
        name: "TypeError",
        message:
          "Cannot set keep-alive: the node:dgram socket is a UDP socket, and TCP options apply only to TCP sockets",
      });
      // A TypeError in both runtimes, as docs/handles.md's table says (Bun's native handle
      // holds an fd, yet the handle is refused before any system call).
      assert.throws(() => setKeepAlive(server, PROFILE), {
        name: "TypeError",
        message:
          "Cannot set keep-alive: the node:net server is a Unix-domain socket, and TCP options apply only to TCP sockets",
      });
      assert.throws(() => setKeepAlive(client!, PROFILE), {
        name: "TypeError",
        message:
          "Cannot set keep-alive: the node:net socket is a Unix-domain socket, and TCP options apply only to TCP sockets",
      });
    } finally {
      client?.destroy();
      await close(server);
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(
    "refuse a node:net socket before it connects and after it closes, a closed server, and one never listening",
    LIMIT,
    async () => {
      const server = net.createServer();
      const port = await listen(server);
      const client = net.connect(port, "127.0.0.1");
      const idle = new net.Server();
      const closedFirst = net.createServer();
      try {
        assert.throws(() => setKeepAlive(client, PROFILE), {
          name: "SockoptError",
          code: "ENOTCONN",
          message:
            'Cannot set keep-alive: the node:net socket is not ready: it is still connecting; wait for its "connect" event',
        });
        await new Promise<void>((resolve) => client.once("connect", resolve));
        setKeepAlive(client, PROFILE);
        client.destroy();
        assert.throws(() => setKeepAlive(client, PROFILE), {
          name: "SocketClosedError",
          message: "Cannot set keep-alive: the node:net socket is closed",
        });
        // Used while listening, then closed: closed, not "not listening".
        setKeepAlive(server, PROFILE);
        await close(server);
        assert.throws(() => setKeepAlive(server, PROFILE), {
          name: "SocketClosedError",
          code: "EBADF",
          message: "Cannot set keep-alive: the node:net server is closed",
        });
        // Closed before sockopts ever saw it: closed too.
        await listen(closedFirst);
        await close(closedFirst);
        assert.throws(() => setKeepAlive(closedFirst, PROFILE), { name: "SocketClosedError" });
        // Never listening: not ready.
        assert.throws(() => setKeepAlive(idle, PROFILE), {
          name: "SockoptError",
          code: "ENOTCONN",
          message: "Cannot set keep-alive: the node:net server is not ready: it is not listening",
        });
      } finally {
        client.destroy();
        if (server.listening) await close(server);
      }
    },
  );

  it(
    "refuse node:http and node:https servers closed before first use as closed, and never listening as not ready",
    LIMIT,
    async () => {
      const kinds = { "node:http": () => http.createServer(), "node:https": () => https.createServer({ cert, key }) };
      for (const [name, make] of Object.entries(kinds)) {
        // Listened, closed, and only then handed to sockopts: a new server takes its port, and
        // the call must neither find it nor say "not listening" (Bun's servers once did).
        const closedFirst = make();
        const port = await listen(closedFirst);
        await close(closedFirst);
        const next = make();
        await new Promise<void>((resolve) => next.listen(port, "127.0.0.1", resolve));
        try {
          const before = getKeepAlive(listenerFd(port));
          assert.throws(() => fdOf(closedFirst), { name: "SocketClosedError", code: "EBADF" }, name);
          assert.throws(() => setKeepAlive(closedFirst, PROFILE), {
            name: "SocketClosedError",
            message: "Cannot set keep-alive: the node:net server is closed",
          }, name);
          assert.deepEqual(getKeepAlive(listenerFd(port)), before, `${name}: the new server is untouched`);
        } finally {
          await close(next);
        }
        // Never listening, even with close() called: not ready, as node:net's own servers.
        const never = make();
        await new Promise<void>((resolve) => never.close(() => resolve()));
        assert.throws(() => setKeepAlive(never, PROFILE), {
          name: "SockoptError",
          code: "ENOTCONN",
          message: "Cannot set keep-alive: the node:net server is not ready: it is not listening",
        }, name);
      }
    },
  );

  it("reject anything else with a TypeError that lists what is accepted", LIMIT, () => {
    for (const value of [{}, { fd: "7" }, new Map(), [], () => 0, "socket"]) {
      assert.throws(() => fdOf(value as never), (e: unknown) => {
        assert.ok(e instanceof TypeError);
        assert.match(
          e.message,
          /is not a socket sockopts can use; expected a file descriptor .*Deno\.Conn.*Bun socket.*node:net Socket/,
        );
        return true;
      });
    }
  });
});
