import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { configureSockets, getKeepAlive, getUserTimeout, tcpSockets } from "../mod.ts";
import { close as closeDriver, query } from "./fixtures/hidden_driver.ts";
import { listenerFd, tcpFd } from "./support/proc.ts";
import { keepAliveDefaults } from "./support/proc.ts";
import { type Peer, peerServer } from "./support/net.ts";

const PROFILE = { idle: 21_000, interval: 3_000, count: 4 };

/** A line-echo "database" server on loopback. */
function database(): Promise<Peer> {
  return peerServer((socket) => socket.on("data", (data) => socket.write(`ok ${String(data).trim()}\n`)));
}

describe("sockets hidden inside a driver", () => {
  it("tcpSockets lists this process's TCP sockets with addresses and state", async () => {
    const db = await database();
    try {
      assert.equal(await query(db.port, "select 1"), "ok select 1");
      const sockets = tcpSockets();
      const listener = sockets.find((s) => s.listening && s.local.port === db.port);
      assert.ok(listener, "the server's listener is listed");
      assert.equal(listener.fd, listenerFd(db.port));
      assert.equal(listener.state, "LISTEN");
      assert.equal(listener.remote, null);
      assert.deepEqual(listener.local, { address: "127.0.0.1", port: db.port, family: "IPv4" });
      const client = sockets.find((s) => s.remote?.port === db.port);
      assert.ok(client, "the driver's hidden connection is listed");
      assert.equal(client.state, "ESTABLISHED");
      assert.equal(client.listening, false);
      assert.equal(client.fd, tcpFd(client.local.port, db.port));
      const accepted = sockets.find((s) => s.local.port === db.port && s.remote?.port === client.local.port);
      assert.ok(accepted, "the server side is listed too");
      // Only TCP: nothing with a state outside TCP's, and every fd appears once.
      assert.equal(new Set(sockets.map((s) => s.fd)).size, sockets.length);
    } finally {
      closeDriver();
      await db.close();
    }
  });

  it("configureSockets reaches the driver's connection and nothing else", async () => {
    const db = await database();
    try {
      await query(db.port, "warm up");
      const changed = configureSockets({ remotePort: db.port }, { keepAlive: PROFILE, userTimeout: 9_000 });
      assert.equal(changed.length, 1, "exactly the driver's connection matched");
      const [socket] = changed;
      assert.deepEqual(socket.keepAlive, { enable: true, ...PROFILE });
      assert.equal(socket.userTimeout, 9_000);
      // Checked independently, on the fd tcpSockets reports.
      const fd = tcpSockets().find((s) => s.remote?.port === db.port)!.fd;
      assert.equal(fd, socket.fd);
      assert.deepEqual(getKeepAlive(fd), { enable: true, ...PROFILE });
      assert.equal(getUserTimeout(fd), 9_000);
      // The server's side of the same connection was not touched.
      assert.deepEqual(getKeepAlive(tcpFd(db.port, socket.local.port)), { enable: false, ...keepAliveDefaults() });
      assert.equal(await query(db.port, "still works"), "ok still works");
    } finally {
      closeDriver();
      await db.close();
    }
  });

  it("filters by local port, remote host and listening", async () => {
    const db = await database();
    try {
      await query(db.port, "x");
      const listeners = configureSockets({ localPort: db.port, listening: true }, { keepAlive: { idle: 5_000 } });
      assert.deepEqual(listeners.map((s) => s.fd), [listenerFd(db.port)]);
      const byHost = configureSockets({ remoteHost: "127.0.0.1", remotePort: db.port }, { keepAlive: { count: 2 } });
      assert.equal(byHost.length, 1);
      assert.equal(configureSockets({ remoteHost: "::1", remotePort: db.port }, { keepAlive: { count: 2 } }).length, 0);
    } finally {
      closeDriver();
      await db.close();
    }
  });

  it("checks the filter and settings before touching any socket", () => {
    assert.throws(() => configureSockets({ remotePort: 70_000 }, { keepAlive: PROFILE }), {
      name: "RangeError",
      message: "Cannot configure sockets: remotePort 70000 is not a port (expected an integer 0..65535)",
    });
    assert.throws(() => configureSockets({ remoteHost: "db.internal" }, { keepAlive: PROFILE }), {
      name: "TypeError",
      message: 'Cannot configure sockets: remoteHost must be an IP address, got string "db.internal"',
    });
    assert.throws(() => configureSockets({ port: 1 } as never, { keepAlive: PROFILE }), {
      name: "TypeError",
      message:
        'Cannot configure sockets: unknown filter field "port" (expected remotePort, remoteHost, localPort, listening, all)',
    });
    assert.throws(() => configureSockets({ all: true }, {}), /give detectWithin, or keepAlive, userTimeout or both/);
    assert.throws(() => configureSockets(null as never, { keepAlive: PROFILE }), /expected a filter object, got null/);
    assert.throws(() => configureSockets({ all: true }, { keepAlive: { count: 500 } }), {
      name: "RangeError",
      message: "Cannot set TCP_KEEPCNT: 500 is outside 1..127",
    });
    assert.throws(() => configureSockets({ all: true }, { userTimeout: -1 }), RangeError);
  });
});
