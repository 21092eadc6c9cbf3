/// <reference types="npm:@types/bun@1.4.4" />
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import {
  AmbiguousSocketError,
  fdOf,
  getKeepAlive,
  getUserTimeout,
  setKeepAlive,
  setUserTimeout,
  SocketClosedError,
  type SocketHandle,
  SockoptError,
} from "../mod.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keepAliveState, readIntOption } from "./support/kernel.ts";
import { keepAliveDefaults, listenerFd, tcpFd, udpFd } from "./support/proc.ts";
import { bunOnly } from "./support/runtime.ts";
import { cert, key } from "./support/tls.ts";

const PROFILE = { idle: 11_000, interval: 3_000, count: 4 };
const EXPECTED = { enable: true, ...PROFILE };
// Every test here may open sockets: a hang fails the test after this long instead of the run.
const LIMIT = { timeout: 30_000 };

type BunSocket = Bun.Socket<undefined>;

/** A Bun.listen server with a Bun.connect client; `accepted` resolves to the server side. */
async function bunPair(tls = false) {
  let accept!: (socket: BunSocket) => void;
  const acceptedP = new Promise<BunSocket>((resolve) => (accept = resolve));
  const tlsOptions = tls ? { cert, key } : undefined;
  const listener = Bun.listen<undefined>({
    hostname: "127.0.0.1",
    port: 0,
    tls: tlsOptions,
    socket: {
      open(socket) {
        accept(socket);
      },
      data() {},
    },
  });
  const client = await Bun.connect<undefined>({
    hostname: "127.0.0.1",
    port: listener.port,
    tls: tls ? { rejectUnauthorized: false } : undefined,
    socket: { data() {} },
  });
  const accepted = await acceptedP;
  return {
    listener,
    client,
    accepted,
    close() {
      client.end();
      listener.stop(true);
    },
  };
}

describe("Bun handles", { skip: bunOnly }, () => {
  it("configures a Bun.connect socket: the fd the kernel lists for it", LIMIT, async () => {
    const pair = await bunPair();
    try {
      setKeepAlive(pair.client, PROFILE);
      setUserTimeout(pair.client, 4_500);
      assert.deepEqual(getKeepAlive(pair.client), EXPECTED);
      const oracle = tcpFd(pair.client.localPort, pair.listener.port);
      assert.deepEqual(getKeepAlive(oracle), EXPECTED);
      assert.equal(getUserTimeout(oracle), 4_500);
    } finally {
      pair.close();
    }
  });

  it("configures the socket a Bun.listen handler receives", LIMIT, async () => {
    const pair = await bunPair();
    try {
      setKeepAlive(pair.accepted, PROFILE);
      assert.deepEqual(getKeepAlive(pair.accepted), EXPECTED);
      assert.deepEqual(getKeepAlive(tcpFd(pair.listener.port, pair.client.localPort)), EXPECTED);
      // The other end was not touched.
      assert.equal(getKeepAlive(pair.client).enable, false);
    } finally {
      pair.close();
    }
  });

  it("configures the Bun.listen listener itself", LIMIT, async () => {
    const pair = await bunPair();
    try {
      setKeepAlive(pair.listener, PROFILE);
      assert.deepEqual(getKeepAlive(listenerFd(pair.listener.port)), EXPECTED);
      assert.deepEqual(getKeepAlive(pair.listener), EXPECTED);
    } finally {
      pair.close();
    }
  });

  it("configures TLS sockets on both ends", LIMIT, async () => {
    const pair = await bunPair(true);
    try {
      setKeepAlive(pair.client, PROFILE);
      setKeepAlive(pair.accepted, { ...PROFILE, count: 5 });
      assert.deepEqual(getKeepAlive(tcpFd(pair.client.localPort, pair.listener.port)), EXPECTED);
      assert.deepEqual(getKeepAlive(tcpFd(pair.listener.port, pair.client.localPort)), { ...EXPECTED, count: 5 });
    } finally {
      pair.close();
    }
  });

  it("refuses a closed Bun socket with SocketClosedError", LIMIT, async () => {
    const pair = await bunPair();
    pair.client.end();
    await Bun.sleep(20);
    try {
      assert.equal((pair.client as unknown as { fd: number }).fd, -1, "Bun reports fd -1 once closed");
      assert.throws(() => setKeepAlive(pair.client, PROFILE), (e: unknown) => {
        assert.ok(e instanceof SocketClosedError);
        assert.ok(e instanceof SockoptError);
        assert.equal(e.code, "EBADF");
        assert.equal(e.message, "Cannot set keep-alive: the socket is closed");
        return true;
      });
      assert.throws(() => getKeepAlive(pair.client), {
        name: "SocketClosedError",
        message: "Cannot get keep-alive: the socket is closed",
      });
    } finally {
      pair.close();
    }
  });

  it("configures node:net sockets, and refuses them before connect and after close", LIMIT, async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    const client = net.connect(port, "127.0.0.1");
    try {
      assert.throws(() => setKeepAlive(client, PROFILE), {
        name: "SockoptError",
        code: "ENOTCONN",
        message: /still connecting/,
      });
      await new Promise<void>((resolve) => client.once("connect", resolve));
      setKeepAlive(client, PROFILE);
      assert.deepEqual(getKeepAlive(tcpFd(client.localPort!, port)), EXPECTED);
      client.destroy();
      assert.throws(() => setKeepAlive(client, PROFILE), {
        name: "SocketClosedError",
        message: "Cannot set keep-alive: the node:net socket is closed",
      });
    } finally {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("sees Bun's own setKeepAlive reset interval to 1 s and count to 10, so ours goes after it", LIMIT, async () => {
    const pair = await bunPair();
    try {
      setKeepAlive(pair.client, PROFILE);
      pair.client.setKeepAlive(true, 30_000);
      assert.deepEqual(getKeepAlive(pair.client), { enable: true, idle: 30_000, interval: 1_000, count: 10 });
      setKeepAlive(pair.client, PROFILE);
      assert.deepEqual(getKeepAlive(pair.client), EXPECTED);
    } finally {
      pair.close();
    }
  });

  it(
    "configures the Bun.listen listener, and the sockets it accepts afterwards inherit the values",
    LIMIT,
    async () => {
      let accept!: (socket: BunSocket) => void;
      const accepted = new Promise<BunSocket>((resolve) => (accept = resolve));
      const listener = Bun.listen<undefined>({
        hostname: "127.0.0.1",
        port: 0,
        socket: { open: (socket) => accept(socket), data() {} },
      });
      let client: BunSocket | undefined;
      try {
        setKeepAlive(listener, PROFILE);
        setUserTimeout(listener, 6_000);
        client = await Bun.connect<undefined>({
          hostname: "127.0.0.1",
          port: listener.port,
          socket: { data() {} },
        });
        const socket = await accepted;
        assert.deepEqual(getKeepAlive(socket), EXPECTED);
        assert.equal(getUserTimeout(socket), 6_000);
        assert.deepEqual(getKeepAlive(client), { enable: false, ...keepAliveDefaults() });
      } finally {
        client?.end();
        listener.stop(true);
      }
    },
  );

  it(
    "configures a Bun.serve() server's listening socket (found by address), inherited by its connections",
    LIMIT,
    async () => {
      for (const hostname of ["127.0.0.1", undefined]) {
        const server = Bun.serve({ hostname, port: 0, fetch: () => new Response("ok") });
        let client: net.Socket | undefined;
        try {
          setKeepAlive(server, PROFILE);
          setUserTimeout(server, 4_000);
          assert.equal(fdOf(server), listenerFd(server.port!));
          assert.deepEqual(getKeepAlive(listenerFd(server.port!)), EXPECTED);
          client = net.connect(server.port!, "127.0.0.1");
          await new Promise<void>((resolve) => client!.once("connect", resolve));
          client.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
          await new Promise((resolve) => client!.once("data", resolve));
          const fd = tcpFd(server.port!, client.localPort!);
          assert.deepEqual(getKeepAlive(fd), EXPECTED, `hostname ${hostname}`);
          assert.equal(getUserTimeout(fd), 4_000);
        } finally {
          client?.destroy();
          await server.stop(true);
        }
        assert.throws(() => setKeepAlive(server, PROFILE), SocketClosedError);
      }
    },
  );

  it("refuses two reuse-port Bun.serve() servers on one port unless every match is asked for", LIMIT, async () => {
    const a = Bun.serve({ hostname: "127.0.0.1", port: 0, reusePort: true, fetch: () => new Response("a") });
    const b = Bun.serve({ hostname: "127.0.0.1", port: a.port, reusePort: true, fetch: () => new Response("b") });
    try {
      assert.throws(() => setKeepAlive(a, PROFILE), (e: unknown) => {
        assert.ok(e instanceof AmbiguousSocketError);
        assert.equal(e.fds.length, 2);
        return true;
      });
      const fds = fdOf(b, { all: true });
      assert.equal(fds.length, 2);
      for (const fd of fds) setKeepAlive(fd, PROFILE);
      for (const fd of fds) assert.deepEqual(getKeepAlive(fd), EXPECTED);
    } finally {
      await a.stop(true);
      await b.stop(true);
    }
  });

  it(
    "refuses Unix-domain and UDP Bun handles with a TypeError, as docs/handles.md's table says",
    LIMIT,
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "sockopts-"));
      const path = join(dir, "s.sock");
      let accept!: (socket: BunSocket) => void;
      const acceptedP = new Promise<BunSocket>((resolve) => (accept = resolve));
      const listener = Bun.listen<undefined>({ unix: path, socket: { open: (socket) => accept(socket), data() {} } });
      let client: BunSocket | undefined;
      const udp = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0 });
      try {
        client = await Bun.connect<undefined>({ unix: path, socket: { data() {} } });
        const accepted = await acceptedP;
        const unixMessage =
          /^Cannot set keep-alive: the socket is a Unix-domain socket, and TCP options apply only to TCP sockets$/;
        for (const handle of [listener, client, accepted]) {
          // @ts-expect-error a Unix-domain listener has no port: refused at compile time and at run time
          assert.throws(() => setKeepAlive(handle, PROFILE), { name: "TypeError", message: unixMessage });
          // @ts-expect-error as above
          assert.throws(() => setKeepAlive(handle), { name: "TypeError", message: unixMessage });
        }
        // @ts-expect-error a UDP socket is no TCP handle: refused at compile time and at run time
        assert.throws(() => setKeepAlive(udp, PROFILE), {
          name: "TypeError",
          message:
            "Cannot set keep-alive: the Bun UDP socket is a UDP socket, and TCP options apply only to TCP sockets",
        });
        // SO_KEEPALIVE, which both kinds would accept, stayed off (read by a libc binding of the test's own).
        const SOL_SOCKET = 1;
        const SO_KEEPALIVE = 9;
        for (const handle of [listener, client, accepted]) {
          assert.equal(readIntOption((handle as unknown as { fd: number }).fd, SOL_SOCKET, SO_KEEPALIVE), 0);
        }
        assert.equal(readIntOption(udpFd(udp.port), SOL_SOCKET, SO_KEEPALIVE), 0);
      } finally {
        client?.end();
        listener.stop(true);
        udp.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it(
    "refuses objects built on a real Bun socket's prototype or around a real socket",
    LIMIT,
    async () => {
      const pair = await bunPair();
      try {
        const fd = tcpFd(pair.client.localPort, pair.listener.port);
        const lookAlikes: object[] = [
          Object.setPrototypeOf({ fd }, Object.getPrototypeOf(pair.client)),
          Object.create(pair.client),
          new Proxy(pair.client, {}),
          { _handle: new Proxy(pair.client, {}), setKeepAlive() {} },
          Object.setPrototypeOf({ fd }, Object.getPrototypeOf(pair.listener)),
        ];
        for (const handle of lookAlikes) {
          // Look-alikes reach sockopts from untyped JavaScript: the run-time check is what is tested.
          assert.throws(() => setKeepAlive(handle as SocketHandle, PROFILE), {
            name: "TypeError",
            message: /is not a socket sockopts can use/,
          });
        }
        assert.deepEqual(keepAliveState(fd), { on: 0, idleSeconds: keepAliveDefaults().idle / 1000, count: 9 });
        // The real socket still works.
        setKeepAlive(pair.client, PROFILE);
        assert.deepEqual(keepAliveState(fd), { on: 1, idleSeconds: 11, count: 4 });
      } finally {
        pair.close();
      }
    },
  );
});
