import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import {
  AmbiguousSocketError,
  fdOf,
  getKeepAlive,
  getUserTimeout,
  setKeepAlive,
  setUserTimeout,
  SocketClosedError,
} from "../mod.ts";
import { keepAliveDefaults, listenerFd, tcpFd } from "./support/proc.ts";
import { ca, cert, key } from "./support/tls.ts";
import { denoOnly } from "./support/runtime.ts";

const PROFILE = { idle: 12_000, interval: 3_000, count: 5 };
const EXPECTED = { enable: true, ...PROFILE };

const port = (addr: Deno.Addr) => (addr as Deno.NetAddr).port;

describe("Deno handles", { skip: denoOnly }, () => {
  it("configures both ends of a Deno.connect / accept() connection, and only the one named", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const client = await Deno.connect({ hostname: "127.0.0.1", port: port(listener.addr) });
    const accepted = await listener.accept();
    try {
      const clientFd = tcpFd(port(client.localAddr), port(listener.addr));
      const acceptedFd = tcpFd(port(listener.addr), port(client.localAddr));
      assert.equal(fdOf(client), clientFd);
      assert.equal(fdOf(accepted), acceptedFd);
      setKeepAlive(client, PROFILE);
      setUserTimeout(client, 7_000);
      assert.deepEqual(getKeepAlive(clientFd), EXPECTED);
      assert.equal(getUserTimeout(clientFd), 7_000);
      assert.deepEqual(getKeepAlive(acceptedFd), { enable: false, ...keepAliveDefaults() });
      setKeepAlive(accepted, { ...PROFILE, count: 2 });
      assert.deepEqual(getKeepAlive(accepted), { ...EXPECTED, count: 2 });
      assert.deepEqual(getKeepAlive(client), EXPECTED);
    } finally {
      client.close();
      accepted.close();
      listener.close();
    }
  });

  it("finds IPv6 connections", async () => {
    const listener = Deno.listen({ hostname: "::1", port: 0 });
    const client = await Deno.connect({ hostname: "::1", port: port(listener.addr) });
    const accepted = await listener.accept();
    try {
      setKeepAlive(client, PROFILE);
      assert.deepEqual(getKeepAlive(tcpFd(port(client.localAddr), port(listener.addr))), EXPECTED);
      assert.equal(fdOf(accepted), tcpFd(port(listener.addr), port(client.localAddr)));
    } finally {
      client.close();
      accepted.close();
      listener.close();
    }
  });

  it("resolves TLS connections to their TCP sockets: connectTls, startTls and a TLS listener", async () => {
    const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert, key });
    const server = (async () => {
      const conns: Deno.TlsConn[] = [];
      for (let i = 0; i < 2; i++) {
        const conn = await listener.accept();
        await conn.handshake();
        conns.push(conn);
      }
      return conns;
    })();
    const tls = await Deno.connectTls({ hostname: "127.0.0.1", port: port(listener.addr), caCerts: [ca] });
    await tls.handshake();
    const plain = await Deno.connect({ hostname: "127.0.0.1", port: port(listener.addr) });
    const started = await Deno.startTls(plain, { hostname: "127.0.0.1", caCerts: [ca] });
    await started.handshake();
    const [first, second] = await server;
    try {
      for (const [conn, count] of [[tls, 2], [started, 3], [first, 4], [second, 6]] as const) {
        setKeepAlive(conn, { ...PROFILE, count });
        const fd = tcpFd(port(conn.localAddr), port(conn.remoteAddr));
        assert.equal(fdOf(conn), fd);
        assert.deepEqual(getKeepAlive(fd), { ...EXPECTED, count });
      }
      setKeepAlive(listener, PROFILE);
      assert.deepEqual(getKeepAlive(listenerFd(port(listener.addr))), EXPECTED);
    } finally {
      for (const conn of [tls, started, first, second]) conn.close();
      listener.close();
    }
  });

  it("configures a Deno.listen listener, and its later connections inherit every value (Linux)", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      assert.equal(fdOf(listener), listenerFd(port(listener.addr)));
      setKeepAlive(listener, PROFILE);
      setUserTimeout(listener, 9_000);
      assert.deepEqual(getKeepAlive(listenerFd(port(listener.addr))), EXPECTED);
      const client = await Deno.connect({ hostname: "127.0.0.1", port: port(listener.addr) });
      const accepted = await listener.accept();
      assert.deepEqual(getKeepAlive(accepted), EXPECTED);
      assert.equal(getUserTimeout(accepted), 9_000);
      assert.deepEqual(getKeepAlive(client), { enable: false, ...keepAliveDefaults() });
      client.close();
      accepted.close();
    } finally {
      listener.close();
    }
  });

  it("configures the Deno.serve() server's listening socket, inherited by what it accepts", async () => {
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("ok"));
    try {
      setKeepAlive(server, PROFILE);
      setUserTimeout(server, 8_000);
      const serverPort = port(server.addr);
      assert.equal(fdOf(server), listenerFd(serverPort));
      const client = await Deno.connect({ hostname: "127.0.0.1", port: serverPort });
      await client.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
      await client.read(new Uint8Array(1024));
      const acceptedFd = tcpFd(serverPort, port(client.localAddr));
      assert.deepEqual(getKeepAlive(acceptedFd), EXPECTED);
      assert.equal(getUserTimeout(acceptedFd), 8_000);
      client.close();
    } finally {
      await server.shutdown();
    }
  });

  it("refuses two reuse-port listeners on one address unless every match is asked for", () => {
    const a = Deno.listen({ hostname: "127.0.0.1", port: 0, reusePort: true });
    const b = Deno.listen({ hostname: "127.0.0.1", port: port(a.addr), reusePort: true });
    try {
      assert.throws(() => setKeepAlive(a, PROFILE), (e: unknown) => {
        assert.ok(e instanceof AmbiguousSocketError);
        assert.equal(e.fds.length, 2);
        assert.match(
          e.message,
          /^Cannot set keep-alive: 2 sockets match the Deno listener on 127\.0\.0\.1:\d+ \(fds \d+, \d+\)/,
        );
        return true;
      });
      const fds = fdOf(a, { all: true });
      assert.equal(fds.length, 2);
      for (const fd of fds) setKeepAlive(fd, PROFILE);
      for (const fd of fds) assert.deepEqual(getKeepAlive(fd), EXPECTED);
    } finally {
      a.close();
      b.close();
    }
  });

  it("refuses Unix-domain handles: TCP options do not apply", async () => {
    const path = join(tmpdir(), `sockopts-${crypto.randomUUID()}.sock`);
    const listener = Deno.listen({ transport: "unix", path });
    const client = await Deno.connect({ transport: "unix", path });
    const accepted = await listener.accept();
    try {
      assert.throws(() => setKeepAlive(listener, PROFILE), {
        name: "TypeError",
        message:
          "Cannot set keep-alive: the Deno listener is a Unix-domain socket, and TCP options apply only to TCP sockets",
      });
      assert.throws(() => getKeepAlive(client), {
        name: "TypeError",
        message:
          "Cannot get keep-alive: the Deno connection is a Unix-domain socket, and TCP options apply only to TCP sockets",
      });
      assert.throws(() => fdOf(accepted), /is a Unix-domain socket/);
    } finally {
      client.close();
      accepted.close();
      listener.close();
      rmSync(path, { force: true });
    }
  });

  it("reports a closed Deno connection as closed, before and after it was first used", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const used = await Deno.connect({ hostname: "127.0.0.1", port: port(listener.addr) });
    const unused = await Deno.connect({ hostname: "127.0.0.1", port: port(listener.addr) });
    const a1 = await listener.accept();
    const a2 = await listener.accept();
    setKeepAlive(used, PROFILE);
    used.close();
    unused.close();
    try {
      assert.throws(() => setKeepAlive(used, PROFILE), {
        name: "SocketClosedError",
        message: "Cannot set keep-alive: the Deno connection is closed",
      });
      assert.throws(() => getKeepAlive(unused), (e: unknown) => {
        assert.ok(e instanceof SocketClosedError);
        assert.match(
          e.message,
          /^Cannot get keep-alive: the Deno connection is closed \(no open socket in this process is 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+\)$/,
        );
        return true;
      });
    } finally {
      a1.close();
      a2.close();
      listener.close();
    }
  });
});
