/**
 * Windows: keep-alive through the public API on every handle each runtime has (its own sockets,
 * listeners and servers, and node:net's), read back through Winsock and, under Wine, from the
 * Linux socket beneath (tests/support/kernel_oracle.ts). Run by scripts/test_windows.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  deadPeerPlan,
  fdOf,
  getKeepAlive,
  getKeepAliveInterval,
  getKeepAliveProbes,
  getUserTimeout,
  setKeepAlive,
  setKeepAliveInterval,
  setKeepAliveProbes,
  setUserTimeout,
  type SocketHandle,
  UnsupportedError,
} from "../../mod.ts";
import { kernel, only, pairMakers, runtime, underWine } from "./support.ts";
import { ca, cert, key } from "../support/tls.ts";

const LIMIT = { timeout: 60_000 };

describe(`Windows keep-alive (${runtime})`, () => {
  for (const make of pairMakers()) {
    it(`sets and reads keep-alive on both ends of a connection and its listener (${make.name})`, LIMIT, async () => {
      const pair = await make();
      try {
        const ends = [
          { handle: pair.client, local: pair.clientPort, remote: pair.serverPort, idle: 61_000 },
          { handle: pair.server, local: pair.serverPort, remote: pair.clientPort, idle: 62_000 },
          { handle: pair.listener, local: pair.serverPort, remote: 0, idle: 63_000 },
        ];
        for (const end of ends) {
          setKeepAlive(end.handle, { idle: end.idle, interval: 7_000, count: 4 });
          const wanted = { enable: true, idle: end.idle, interval: 7_000, count: 4 };
          assert.deepEqual(getKeepAlive(end.handle), wanted, `${pair.kind} ${end.local}->${end.remote}`);
          const k = await kernel(end.local, end.remote);
          if (k !== null) assert.deepEqual(k.keepAlive, wanted, `the Linux socket of ${pair.kind} ${end.local}`);
        }
        // Each end is its own SOCKET.
        assert.equal(new Set(ends.map((end) => fdOf(end.handle))).size, 3);

        setKeepAliveInterval(pair.client, 9_500); // rounds up to 10 s
        setKeepAliveProbes(pair.client, 6);
        assert.equal(getKeepAliveInterval(pair.client), 10_000);
        assert.equal(getKeepAliveProbes(pair.client), 6);
        setKeepAlive(pair.server, { enable: false });
        const [client, server] = [
          await kernel(pair.clientPort, pair.serverPort),
          await kernel(pair.serverPort, pair.clientPort),
        ];
        if (client !== null && server !== null) {
          assert.deepEqual(client.keepAlive, { enable: true, idle: 61_000, interval: 10_000, count: 6 });
          assert.equal(server.keepAlive.enable, false);
        }
      } finally {
        await pair.close();
      }
    });
  }

  it(
    "detectWithin and setUserTimeout: TCP_MAXRTMS where Windows has it, UnsupportedError under Wine",
    LIMIT,
    async () => {
      const [make] = pairMakers();
      const pair = await make();
      try {
        setKeepAlive(pair.client, { idle: 50_000, interval: 5_000, count: 5 });
        if (underWine) {
          // Wine implements neither TCP_MAXRTMS nor TCP_MAXRT: the user timeout is refused as
          // unsupported, before keep-alive is touched.
          for (
            const call of [
              () => setUserTimeout(pair.client, 20_000),
              () => setKeepAlive(pair.client, { detectWithin: 30_000 }),
            ]
          ) {
            assert.throws(call, (error: unknown) => {
              assert.ok(error instanceof UnsupportedError, String(error));
              assert.equal(error.os, "windows");
              assert.equal(error.option, "TCP_USER_TIMEOUT");
              assert.match(error.message, /neither TCP_MAXRTMS nor TCP_MAXRT/);
              return true;
            });
          }
          assert.throws(() => getUserTimeout(pair.client), UnsupportedError);
          const k = await kernel(pair.clientPort, pair.serverPort);
          assert.deepEqual(k!.keepAlive, { enable: true, idle: 50_000, interval: 5_000, count: 5 });
          assert.equal(k!.userTimeout, 0);
        } else {
          setUserTimeout(pair.client, 20_000);
          assert.equal(getUserTimeout(pair.client), 20_000);
          setKeepAlive(pair.client, { detectWithin: 30_000 });
          const plan = deadPeerPlan(30_000);
          assert.equal(getUserTimeout(pair.client), plan.userTimeout);
          assert.deepEqual(getKeepAlive(pair.client), {
            enable: true,
            idle: plan.idle,
            interval: plan.interval,
            count: plan.count,
          });
        }
      } finally {
        await pair.close();
      }
    },
  );

  it("Deno.TlsConn and Deno.serve", { ...LIMIT, skip: only("deno") }, async () => {
    const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert, key });
    const accepted = listener.accept();
    const client = await Deno.connectTls({ hostname: "127.0.0.1", port: listener.addr.port, caCerts: [ca] });
    const server = await accepted;
    await Promise.all([client.handshake(), server.handshake()]);
    const served = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("ok"));
    try {
      setKeepAlive(client, { idle: 71_000, interval: 2_000, count: 3 });
      setKeepAlive(listener, { idle: 72_000 });
      setKeepAlive(served, { idle: 73_000 });
      const k = await kernel(client.localAddr.port, listener.addr.port);
      assert.deepEqual(k?.keepAlive ?? getKeepAlive(client), { enable: true, idle: 71_000, interval: 2_000, count: 3 });
      assert.equal((await kernel(listener.addr.port, 0))?.keepAlive.idle ?? getKeepAlive(listener).idle, 72_000);
      assert.equal((await kernel(served.addr.port, 0))?.keepAlive.idle ?? getKeepAlive(served).idle, 73_000);
      assert.equal(getKeepAlive(served).idle, 73_000);
    } finally {
      client.close();
      server.close();
      listener.close();
      await served.shutdown();
    }
  });

  it("Bun.serve", { ...LIMIT, skip: only("bun") }, async () => {
    const bun = (globalThis as unknown as {
      Bun: { serve(o: unknown): { port: number; stop(force?: boolean): Promise<void> } };
    }).Bun;
    const served = bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("ok") });
    const handle = served as unknown as SocketHandle;
    try {
      setKeepAlive(handle, { idle: 74_000, interval: 4_000, count: 2 });
      assert.deepEqual(getKeepAlive(handle), { enable: true, idle: 74_000, interval: 4_000, count: 2 });
      const k = await kernel(served.port, 0);
      if (k !== null) assert.deepEqual(k.keepAlive, { enable: true, idle: 74_000, interval: 4_000, count: 2 });
    } finally {
      await served.stop(true);
    }
  });
});
