/// <reference types="npm:@types/bun@1.4.4" />
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { fdOf, getKeepAlive, setKeepAlive, SocketClosedError, type SocketHandle } from "../mod.ts";
import { kernelKeepAlive } from "./support/kernel_options.ts";
import { peerServer } from "./support/net.ts";
import { bunOnly, denoOnly } from "./support/runtime.ts";

const CYCLES = 1_000;
const OLD = { idle: 50_000, interval: 5_000, count: 5 };
// A count no other test uses: any socket carrying it was touched through a stale handle.
const STALE = { idle: 77_000, interval: 7_000, count: 77 };

interface Handle {
  close(): Promise<void>;
  readonly handle: SocketHandle;
}

/**
 * Resolves a handle, closes it, opens another connection (which the kernel tends to give the
 * same fd number), then calls through the old handle: it must fail as closed and leave whatever
 * socket now holds the number untouched.
 */
async function cycles(open: (port: number) => Promise<Handle>): Promise<number> {
  const server = await peerServer();
  let reused = 0;
  try {
    for (let i = 0; i < CYCLES; i++) {
      const a = await open(server.port);
      setKeepAlive(a.handle, OLD);
      const oldFd = fdOf(a.handle);
      await a.close();
      const b = await open(server.port);
      if (fdOf(b.handle) === oldFd) reused++;
      assert.throws(() => setKeepAlive(a.handle, STALE), SocketClosedError, `cycle ${i}`);
      assert.throws(() => getKeepAlive(a.handle), SocketClosedError, `cycle ${i}`);
      try {
        assert.notEqual(kernelKeepAlive(oldFd).count, STALE.count, `cycle ${i}: fd ${oldFd} was touched`);
      } catch (error) {
        // The number may be free again, or hold a non-TCP fd: then nothing can have been touched.
        if (error instanceof assert.AssertionError) throw error;
      }
      assert.equal(kernelKeepAlive(fdOf(b.handle)).enable, false, `cycle ${i}: the new socket was touched`);
      await b.close();
    }
  } finally {
    await server.close();
  }
  return reused;
}

async function nodeSocket(port: number): Promise<Handle> {
  const socket = net.connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return {
    handle: socket,
    close: () =>
      new Promise<void>((resolve) => {
        socket.once("close", () => resolve());
        socket.destroy();
      }),
  };
}

describe(`fd reuse: ${CYCLES} close/reopen cycles`, () => {
  it("never lets a closed node:net socket reach the socket that took its number", async () => {
    const reused = await cycles(nodeSocket);
    assert.ok(reused > CYCLES / 2, `the fd number was reused in only ${reused} of ${CYCLES} cycles`);
  });

  it("never lets a closed Deno.Conn reach the socket that took its number", { skip: denoOnly }, async () => {
    const reused = await cycles(async (port) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      return {
        handle: conn,
        close: () => {
          conn.close();
          return Promise.resolve();
        },
      };
    });
    assert.ok(reused > CYCLES / 2, `the fd number was reused in only ${reused} of ${CYCLES} cycles`);
  });

  it("never lets a closed Bun socket reach the socket that took its number", { skip: bunOnly }, async () => {
    const reused = await cycles(async (port) => {
      let closed!: () => void;
      const done = new Promise<void>((resolve) => (closed = resolve));
      const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {}, close: () => closed() } });
      return {
        handle: socket,
        close: () => {
          socket.end();
          return done;
        },
      };
    });
    assert.ok(reused > CYCLES / 2, `the fd number was reused in only ${reused} of ${CYCLES} cycles`);
  });
});
