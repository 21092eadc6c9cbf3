// The right error kind for handles that are open but cannot be configured, and none for one that
// holds a socket again (issue 20, item 8): TLS over a JavaScript stream has no socket of its own
// (not "closed", not "Unix-domain"), and a node:net socket reconnected with socket.connect() is
// configured, never reported closed. Read back through tests/support/kernel.ts.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { Duplex } from "node:stream";
import tls from "node:tls";
import { getKeepAlive, setKeepAlive, SocketClosedError } from "../mod.ts";
import { keepAliveState } from "./support/kernel.ts";
import { peerServer } from "./support/net.ts";
import { listenerFd, tcpFd } from "./support/proc.ts";
import { ca, cert, key } from "./support/tls.ts";

const LIMIT = { timeout: 30_000 };

/** Resolves once `emitter` emits `event`, rejecting on "error". */
function once(emitter: NodeJS.EventEmitter, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    emitter.once(event, () => resolve());
    emitter.once("error", reject);
  });
}

describe("error kinds", () => {
  it(
    "TLS over a JavaScript Duplex says it has no socket of its own while open, closed once destroyed",
    LIMIT,
    async () => {
      const server = tls.createServer({ key, cert });
      const peer = await peerServer(() => {}, server, "secureConnection");
      const raw = net.connect(peer.port, "127.0.0.1");
      await once(raw, "connect");
      // A Duplex that is no node:net socket, carrying the TLS bytes over `raw`.
      const stream = new Duplex({
        read() {},
        write(chunk, _encoding, done) {
          raw.write(chunk, done);
        },
      });
      raw.on("data", (chunk) => stream.push(chunk));
      const overStream = tls.connect({ socket: stream as net.Socket, ca, servername: "localhost" });
      try {
        await once(overStream, "secureConnect");
        const rawFd = tcpFd(raw.localPort!, peer.port);
        for (const call of [() => setKeepAlive(overStream, { idle: 5_000 }), () => getKeepAlive(overStream)]) {
          assert.throws(call, (e: unknown) => {
            assert.ok(e instanceof TypeError, String(e));
            assert.match(
              e.message,
              /^Cannot [gs]et keep-alive: the node:tls socket has no socket of its own: it runs over a JavaScript stream/,
            );
            return true;
          });
        }
        assert.equal(keepAliveState(rawFd).on, 0, "the socket beneath is untouched");
        setKeepAlive(raw, { idle: 5_000 });
        assert.equal(keepAliveState(rawFd).idleSeconds, 5, "the socket beneath is configured through its own handle");
        overStream.destroy();
        assert.throws(() => setKeepAlive(overStream, { idle: 5_000 }), SocketClosedError);
      } finally {
        overStream.destroy();
        raw.destroy();
        await peer.close();
      }
    },
  );

  it("a node:net socket reconnected with socket.connect() is configured, not reported closed", LIMIT, async () => {
    const peer = await peerServer();
    const socket = net.connect(peer.port, "127.0.0.1");
    try {
      await once(socket, "connect");
      for (let round = 1; round <= 3; round++) {
        // Used on this connection, so sockopts knows its socket; then closed and connected again.
        setKeepAlive(socket, { idle: 5_000 });
        assert.equal(keepAliveState(tcpFd(socket.localPort!, peer.port)).idleSeconds, 5, `round ${round}`);
        socket.destroy();
        await once(socket, "close");
        // Asked about while closed only in the last round: that answer must not stick either.
        if (round === 3) assert.throws(() => setKeepAlive(socket, { idle: 6_000 }), SocketClosedError);
        socket.connect(peer.port, "127.0.0.1");
        await once(socket, "connect");
        const fd = tcpFd(socket.localPort!, peer.port);
        for (let call = 1; call <= 2; call++) {
          setKeepAlive(socket, { idle: (6 + call) * 1000 });
          assert.equal(keepAliveState(fd).idleSeconds, 6 + call, `round ${round}, call ${call} on the new connection`);
        }
      }
    } finally {
      socket.destroy();
      await peer.close();
    }
  });
  it("a node:net server listening again after close() is configured, not reported closed", LIMIT, async () => {
    const server = net.createServer();
    const listen = () =>
      new Promise<number>((resolve) =>
        server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port))
      );
    try {
      for (let round = 1; round <= 2; round++) {
        const port = await listen();
        setKeepAlive(server, { idle: (4 + round) * 1000 });
        assert.equal(keepAliveState(listenerFd(port)).idleSeconds, 4 + round, `round ${round}: its listener`);
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      assert.throws(() => setKeepAlive(server, { idle: 9_000 }), SocketClosedError, "closed while not listening");
    } finally {
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
