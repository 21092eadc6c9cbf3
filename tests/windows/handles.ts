/**
 * Windows: handles that closed get SocketClosedError, and never reach the socket that took their
 * handle value; UDP handles are refused. Windows hands a freed handle value to the next object at
 * once, so a closed connection's value is usually a new socket's within a few lines: the lookups
 * must re-check the socket's addresses (no SO_COOKIE here). Run by scripts/test_windows.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { fdOf, getKeepAlive, setKeepAlive, SocketClosedError, tcpSockets } from "../../mod.ts";
import { kernel, pairMakers, runtime } from "./support.ts";

const LIMIT = { timeout: 60_000 };

function closedError(error: unknown): boolean {
  assert.ok(error instanceof SocketClosedError, String(error));
  assert.equal(error.code, "EBADF");
  assert.equal(error.errno, 10009); // WSAEBADF
  return true;
}

describe(`Windows handles (${runtime})`, () => {
  for (const make of pairMakers()) {
    it(
      `a closed handle throws SocketClosedError and never reaches the socket that took its value (${make.name})`,
      LIMIT,
      async () => {
        const first = await make();
        setKeepAlive(first.client, { idle: 41_000 });
        const handle = fdOf(first.client);
        await first.close();
        // New connections right away: Windows reuses the freed values.
        const second = await make();
        const third = await make();
        try {
          const values = [second, third].flatMap((p) => [p.client, p.server, p.listener].map((h) => fdOf(h)));
          const reused = values.includes(handle);
          for (const h of [second, third].flatMap((p) => [p.client, p.server])) setKeepAlive(h, { idle: 42_000 });
          assert.throws(() => getKeepAlive(first.client), closedError);
          assert.throws(() => setKeepAlive(first.client, { idle: 43_000 }), closedError);
          assert.throws(() => setKeepAlive(first.listener, { idle: 43_000 }), closedError);
          for (const pair of [second, third]) {
            assert.equal(getKeepAlive(pair.client).idle, 42_000);
            const k = await kernel(pair.clientPort, pair.serverPort);
            if (k !== null) assert.equal(k.keepAlive.idle, 42_000, "the new socket kept its own settings");
          }
          // The closed one's handle is no longer listed as a socket of this process, or is another's.
          const row = tcpSockets().find((s) => s.fd === handle);
          assert.ok(row === undefined || row.local.port !== first.clientPort);
          console.log(`${make.name}: handle ${handle} ${reused ? "was reused by a new socket" : "was not reused"}`);
        } finally {
          await second.close();
          await third.close();
        }
      },
    );
  }

  it("refuses a UDP socket with a TypeError, before any call", LIMIT, async () => {
    const socket = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    try {
      assert.throws(() => setKeepAlive(socket as never, { idle: 10_000 }), {
        name: "TypeError",
        message: /UDP socket, and TCP options apply only to TCP sockets/,
      });
    } finally {
      socket.close();
    }
  });
});
