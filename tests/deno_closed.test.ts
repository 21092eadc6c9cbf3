/**
 * Deno handles closed before sockopts first saw them: a lookup by address alone would match the
 * new socket that took their address. Each case checks, through the test's own getsockopt
 * binding and /proc, that the new socket was left untouched.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import tls from "node:tls";
import { fdOf, getKeepAlive, setKeepAlive, SocketClosedError, type SocketHandle } from "../mod.ts";
import { lookupWork } from "../src/handles/fd_index.ts";
import { useDenoResourceCheck } from "../src/handles/deno.ts";
import { kernelKeepAlive } from "./support/kernel_options.ts";
import { listenerFd, tcpFd } from "./support/proc.ts";
import { ca, cert, key } from "./support/tls.ts";
import { denoOnly } from "./support/runtime.ts";

// A count no other test uses: a socket carrying it was configured through a stale handle.
const STALE = { idle: 77_000, interval: 7_000, count: 77 };
const HOST = "127.0.0.1";

const portOf = (addr: Deno.Addr) => (addr as Deno.NetAddr).port;

/** Asserts a call through `stale` fails as closed and `fd` (the new socket) was not touched. */
function assertClosedAndUntouched(stale: SocketHandle, fd: number, what: string): void {
  const before = kernelKeepAlive(fd);
  assert.throws(() => setKeepAlive(stale, STALE), SocketClosedError, what);
  assert.throws(() => getKeepAlive(stale), SocketClosedError, what);
  assert.throws(() => fdOf(stale), SocketClosedError, what);
  assert.deepEqual(kernelKeepAlive(fd), before, `${what}: the new socket was touched`);
  assert.notEqual(before.count, STALE.count, `${what}: the new socket was touched`);
}

/** A node:net client from a fixed source port: a reconnect gives the very same address pair. */
async function connectFrom(port: number, localPort: number, secure = false): Promise<net.Socket> {
  const options = { port, host: HOST, localAddress: HOST, localPort };
  const socket = secure ? tls.connect({ ...options, ca }) : net.connect(options);
  await new Promise<void>((resolve, reject) => {
    socket.once(secure ? "secureConnect" : "connect", resolve);
    socket.once("error", reject);
  });
  return socket;
}

/** Waits for the peer's FIN to close `socket` (node:net ends its side in reply), so its port is free. */
function closedByPeer(socket: net.Socket): Promise<void> {
  return new Promise<void>((resolve) => {
    if (socket.closed) return resolve();
    socket.once("close", () => resolve());
  });
}

function destroy(socket: net.Socket): Promise<void> {
  return new Promise<void>((resolve) => {
    if (socket.destroyed && socket.closed) return resolve();
    socket.once("close", () => resolve());
    socket.destroy();
  });
}

/**
 * Accepts a connection from a fixed source port, closes it (the server side first, so the
 * client's port is free at once), and accepts the peer's reconnect from the same port.
 */
async function reconnected(
  listener: Deno.Listener,
  secure = false,
): Promise<{ old: Deno.Conn; current: Deno.Conn; close(): Promise<void> }> {
  const port = portOf(listener.addr);
  const accept = async () => {
    const conn = await listener.accept();
    if (secure) await (conn as Deno.TlsConn).handshake();
    return conn;
  };
  const [first, old] = await Promise.all([connectFrom(port, 0, secure), accept()]);
  first.on("error", () => {});
  const localPort = first.localPort!;
  old.close();
  await closedByPeer(first);
  const [second, current] = await Promise.all([connectFrom(port, localPort, secure), accept()]);
  assert.equal(portOf(current.remoteAddr), localPort);
  return {
    old,
    current,
    async close() {
      current.close();
      await destroy(second);
    },
  };
}

describe("Deno handles closed before their first use", { skip: denoOnly, timeout: 30_000 }, () => {
  it("a Deno.listen listener closed and listened again on its port", { timeout: 10_000 }, () => {
    const old = Deno.listen({ hostname: HOST, port: 0 });
    const port = portOf(old.addr);
    old.close();
    const current = Deno.listen({ hostname: HOST, port });
    try {
      assertClosedAndUntouched(old, listenerFd(port), "old listener");
    } finally {
      current.close();
    }
  });

  it("a TLS listener closed and listened again on its port", { timeout: 10_000 }, () => {
    const old = Deno.listenTls({ hostname: HOST, port: 0, cert, key });
    const port = portOf(old.addr);
    old.close();
    const current = Deno.listenTls({ hostname: HOST, port, cert, key });
    try {
      assertClosedAndUntouched(old, listenerFd(port), "old TLS listener");
    } finally {
      current.close();
    }
  });

  it("a Deno.serve server after shutdown(), with a new server on its port", { timeout: 10_000 }, async () => {
    const old = Deno.serve({ hostname: HOST, port: 0, onListen() {} }, () => new Response("old"));
    const port = portOf(old.addr);
    await old.shutdown();
    const current = Deno.serve({ hostname: HOST, port, onListen() {} }, () => new Response("new"));
    try {
      assertClosedAndUntouched(old, listenerFd(port), "old Deno.serve server");
    } finally {
      await current.shutdown();
    }
  });

  it("an accepted Deno.Conn closed while the peer reconnects from the same port", { timeout: 10_000 }, async () => {
    const listener = Deno.listen({ hostname: HOST, port: 0 });
    try {
      const pair = await reconnected(listener);
      try {
        const fd = tcpFd(portOf(listener.addr), portOf(pair.current.remoteAddr));
        assertClosedAndUntouched(pair.old, fd, "old accepted connection");
        setKeepAlive(pair.current, { count: 3 });
        assert.deepEqual(kernelKeepAlive(fd), { enable: true, count: 3 });
      } finally {
        await pair.close();
      }
    } finally {
      listener.close();
    }
  });

  it("an accepted Deno.TlsConn closed while the peer reconnects from the same port", { timeout: 10_000 }, async () => {
    const listener = Deno.listenTls({ hostname: HOST, port: 0, cert, key });
    try {
      const pair = await reconnected(listener, true);
      try {
        const fd = tcpFd(portOf(listener.addr), portOf(pair.current.remoteAddr));
        assertClosedAndUntouched(pair.old, fd, "old TLS connection");
      } finally {
        await pair.close();
      }
    } finally {
      listener.close();
    }
  });

  it("a Deno.Conn handed to Deno.startTls: Deno no longer holds it, the TLS connection does", {
    timeout: 10_000,
  }, async () => {
    const listener = Deno.listenTls({ hostname: HOST, port: 0, cert, key });
    const accepting = listener.accept().then(async (conn) => (await conn.handshake(), conn));
    const plain = await Deno.connect({ hostname: HOST, port: portOf(listener.addr) });
    const started = await Deno.startTls(plain, { hostname: HOST, caCerts: [ca] });
    await started.handshake();
    const accepted = await accepting;
    try {
      const fd = tcpFd(portOf(started.localAddr), portOf(listener.addr));
      assert.throws(() => setKeepAlive(plain, STALE), SocketClosedError);
      assert.equal(kernelKeepAlive(fd).enable, false, "the call through the plain Deno.Conn reached the socket");
      setKeepAlive(started, { count: 4 });
      assert.deepEqual(kernelKeepAlive(fd), { enable: true, count: 4 });
    } finally {
      started.close();
      accepted.close();
      listener.close();
    }
  });

  it(
    "node:net sockets and servers under Deno, closed and replaced at the same addresses",
    { timeout: 10_000 },
    async () => {
      const server = net.createServer();
      const accepted: net.Socket[] = [];
      server.on("connection", (socket) => accepted.push(socket.on("error", () => {})));
      await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
      const port = (server.address() as net.AddressInfo).port;
      const nextAccepted = () => new Promise<net.Socket>((resolve) => server.once("connection", resolve));
      let accepting = nextAccepted();
      const first = await connectFrom(port, 0);
      const localPort = first.localPort!;
      // The accepted end closes first, so the client's port is free for the reconnect at once.
      const old = await accepting;
      await destroy(old);
      await closedByPeer(first);
      accepting = nextAccepted();
      const second = await connectFrom(port, localPort);
      await accepting;
      try {
        assertClosedAndUntouched(old, tcpFd(port, localPort), "old accepted node:net socket");
      } finally {
        await destroy(second);
        for (const socket of accepted) socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      const current = net.createServer();
      await new Promise<void>((resolve) => current.listen(port, HOST, resolve));
      try {
        const fd = listenerFd(port);
        const before = kernelKeepAlive(fd);
        assert.throws(() => setKeepAlive(server, STALE), SocketClosedError);
        assert.deepEqual(kernelKeepAlive(fd), before, "the new server was touched");
      } finally {
        await new Promise<void>((resolve) => current.close(() => resolve()));
      }
    },
  );

  it("a closed handle costs no lookup once known closed (a listener: not even the first time)", {
    timeout: 10_000,
  }, async () => {
    const listener = Deno.listen({ hostname: HOST, port: 0 });
    const clients = await Promise.all([0, 1].map(() => Deno.connect({ hostname: HOST, port: portOf(listener.addr) })));
    const accepted = [await listener.accept(), await listener.accept()];
    const closedListener = Deno.listen({ hostname: HOST, port: 0 });
    closedListener.close();
    try {
      for (const conn of clients) conn.close();
      let before = lookupWork();
      for (let i = 0; i < 100; i++) assert.throws(() => setKeepAlive(closedListener, STALE), SocketClosedError);
      assert.deepEqual(lookupWork(), before, "a call through a closed Deno listener listed or probed fds");
      // A Deno.TcpConn is asked after its lookup (the cheap way to ask it needs the fd found), so
      // its first call may probe; every later one is answered from what that established.
      for (const [conn, mode] of [[clients[0], "as shipped"], [clients[1], "no resource check"]] as const) {
        useDenoResourceCheck(mode === "as shipped");
        try {
          assert.throws(() => setKeepAlive(conn, STALE), SocketClosedError, mode);
          before = lookupWork();
          for (let i = 0; i < 100; i++) assert.throws(() => setKeepAlive(conn, STALE), SocketClosedError, mode);
          assert.deepEqual(lookupWork(), before, `${mode}: a call through a known-closed Deno.Conn looked it up again`);
        } finally {
          useDenoResourceCheck(true);
        }
      }
    } finally {
      for (const conn of accepted) conn.close();
      listener.close();
    }
  });
});
