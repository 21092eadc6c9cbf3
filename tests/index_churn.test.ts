import { describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { fdOf, setKeepAlive, SocketClosedError } from "../mod.ts";
import { connectTcp } from "./support/net.ts";
import { tcpFds } from "./support/proc.ts";

// Every test here opens sockets: a hang fails that test after this long instead of the run.
const LIMIT = { timeout: 60_000 };

const OPEN = 200;

function closeSocket(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    socket.once("close", () => resolve());
    socket.destroy();
  });
}

describe("the fd index under churn", () => {
  it("finds every new connection's own fd while others close and their numbers are reused", LIMIT, async () => {
    const server = net.createServer((socket) => {
      socket.on("error", () => {});
      socket.on("end", () => socket.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    let live: net.Socket[] = [];
    try {
      for (let i = 0; i < OPEN; i++) live.push(await connectTcp(port));
      const expect = (socket: net.Socket, fds: Map<string, number>, why: string) =>
        assert.equal(fdOf(socket), fds.get(`${socket.localPort}:${port}`), why);
      let fds = tcpFds();
      for (const socket of live) expect(socket, fds, "first lookup");
      for (let round = 0; round < 5; round++) {
        // Close every other connection, then open as many: the new ones take the freed numbers.
        const closing = live.filter((_, i) => (i + round) % 2 === 0);
        live = live.filter((_, i) => (i + round) % 2 !== 0);
        await Promise.all(closing.map(closeSocket));
        for (const old of closing) assert.throws(() => setKeepAlive(old, { idle: 1_000 }), SocketClosedError);
        const opened: net.Socket[] = [];
        for (let i = 0; i < closing.length; i++) opened.push(await connectTcp(port));
        fds = tcpFds();
        // Each new connection is looked up as a server would: one at a time, right after it opened.
        for (const socket of opened) expect(socket, fds, `round ${round}: new connection`);
        live.push(...opened);
        for (const socket of live) expect(socket, fds, `round ${round}`);
      }
    } finally {
      await Promise.all(live.map(closeSocket));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
