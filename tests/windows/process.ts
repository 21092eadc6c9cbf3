/**
 * Windows: tcpSockets, configureSockets and keepConfigured from the process's own handle table
 * (the socket handles platforms/windows/handles.ts lists), each socket checked against the Linux
 * socket beneath under Wine. Run by scripts/test_windows.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { configureSockets, fdOf, getKeepAlive, keepConfigured, setKeepAlive, tcpSockets } from "../../mod.ts";
import { kernel, netPair, pairMakers, runtime } from "./support.ts";

const LIMIT = { timeout: 60_000 };

describe(`Windows process sockets (${runtime})`, () => {
  it("tcpSockets lists this process's listener and both ends, at the handles fdOf finds", LIMIT, async () => {
    const pairs = await Promise.all(pairMakers().map((make) => make()));
    try {
      const rows = tcpSockets();
      for (const pair of pairs) {
        const listener = rows.find((r) => r.local.port === pair.serverPort && r.listening);
        const client = rows.find((r) => r.local.port === pair.clientPort && r.remote?.port === pair.serverPort);
        const server = rows.find((r) => r.local.port === pair.serverPort && r.remote?.port === pair.clientPort);
        assert.ok(listener && client && server, `${pair.kind}: ${JSON.stringify(rows.map((r) => r.localText))}`);
        assert.equal(listener.fd, fdOf(pair.listener));
        assert.equal(client.fd, fdOf(pair.client));
        assert.equal(server.fd, fdOf(pair.server));
        assert.equal(listener.state, "LISTEN");
        assert.equal(client.state, "ESTABLISHED");
        assert.equal(client.localText, `127.0.0.1:${pair.clientPort}`);
        assert.equal(client.remoteText, `127.0.0.1:${pair.serverPort}`);
        assert.equal(client.local.family, "IPv4");
      }
    } finally {
      for (const pair of pairs) await pair.close();
    }
  });

  it("finds and lists IPv6 sockets too", LIMIT, async () => {
    const net = await import("node:net");
    const accepted = Promise.withResolvers<import("node:net").Socket>();
    const server = net.createServer((socket) => accepted.resolve(socket));
    await new Promise<void>((resolve) => server.listen(0, "::1", resolve));
    const port = (server.address() as import("node:net").AddressInfo).port;
    const client = net.connect(port, "::1");
    await new Promise((resolve) => client.once("connect", resolve));
    const end = await accepted.promise;
    try {
      setKeepAlive(client, { idle: 36_000 });
      setKeepAlive(server, { idle: 37_000 });
      assert.equal(getKeepAlive(client).idle, 36_000);
      assert.equal(getKeepAlive(server).idle, 37_000);
      const row = tcpSockets().find((r) => r.fd === fdOf(client));
      assert.equal(row?.local.family, "IPv6");
      assert.equal(row?.remoteText, `[::1]:${port}`);
    } finally {
      client.destroy();
      end.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("configureSockets sets keep-alive on every matching socket, runtime-owned ones included", LIMIT, async () => {
    const pair = await netPair();
    try {
      const result = configureSockets({ remotePort: pair.serverPort }, {
        keepAlive: { idle: 33_000, interval: 3_000, count: 3 },
      });
      assert.equal(result.length, 1);
      assert.equal(result[0].fd, fdOf(pair.client));
      assert.deepEqual(result[0].keepAlive, { enable: true, idle: 33_000, interval: 3_000, count: 3 });
      const k = await kernel(pair.clientPort, pair.serverPort);
      if (k !== null) assert.deepEqual(k.keepAlive, { enable: true, idle: 33_000, interval: 3_000, count: 3 });
      // The other end did not match the filter and was left alone.
      assert.equal(getKeepAlive(pair.server).enable, false);
    } finally {
      await pair.close();
    }
  });

  it("keepConfigured configures a connection opened after it started", LIMIT, async () => {
    const first = await netPair();
    const policy = keepConfigured({ localPort: first.serverPort, listening: false }, {
      keepAlive: { idle: 44_000, interval: 4_000, count: 4 },
    }, { period: 100 });
    try {
      // The accepted end of a second connection to the same listener appears later.
      const net = await import("node:net");
      const accepted = Promise.withResolvers<import("node:net").Socket>();
      (first.listener as import("node:net").Server).once("connection", (socket) => accepted.resolve(socket));
      const late = net.connect(first.serverPort, "127.0.0.1");
      await new Promise((resolve) => late.once("connect", resolve));
      const server = await accepted.promise;
      try {
        policy.refresh();
        const wanted = { enable: true, idle: 44_000, interval: 4_000, count: 4 };
        assert.deepEqual(getKeepAlive(server), wanted);
        assert.deepEqual(getKeepAlive(first.server), wanted);
        const k = await kernel(first.serverPort, late.localPort!);
        if (k !== null) assert.deepEqual(k.keepAlive, wanted);
        assert.ok(policy.stats.configured >= 2, JSON.stringify(policy.stats));
      } finally {
        late.destroy();
        server.destroy();
      }
    } finally {
      policy.stop();
      await first.close();
    }
  });
});
