/// <reference types="npm:@types/bun@1.4.4" />
/**
 * Close/reopen cycles for accepted connections, TLS connections, listeners and servers: the new
 * socket usually takes the old one's fd number (and listeners their port too), so a call through
 * the old handle must fail as closed and leave the new socket as it was. Every other cycle the old
 * handle was never used before it closed. The new socket is read through the test's own
 * getsockopt binding and /proc, never through sockopts.
 *
 * Deno runs each kind three ways: as shipped; with Deno's resource check off, so only the
 * confirmation of Deno's fd hint and the identity re-check stand in the way; and with the identity
 * re-check forced to compare addresses, as on systems without SO_COOKIE.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import tls from "node:tls";
import { setKeepAlive, SocketClosedError, type SocketHandle } from "../mod.ts";
import { forceAddressIdentity } from "../src/handles/identity.ts";
import { useDenoResourceCheck } from "../src/handles/deno.ts";
import { kernelHasCookie, kernelKeepAlive } from "./support/kernel_options.ts";
import { type Peer, peerServer } from "./support/net.ts";
import { listenerFd, tcpFd } from "./support/proc.ts";
import { ca, cert, key } from "./support/tls.ts";
import { bunOnly, denoOnly } from "./support/runtime.ts";

const CYCLES = 40;
const HOST = "127.0.0.1";
const OLD = { idle: 50_000, interval: 5_000, count: 5 };
// A count no other test uses: a socket carrying it was touched through a stale handle.
const STALE = { idle: 77_000, interval: 7_000, count: 77 };

interface Opened {
  readonly handle: SocketHandle;
  /** The fd the kernel lists for the socket, from /proc. */
  readonly fd: number;
  /** The listening port, for listeners: the next one opens on it again. */
  readonly port?: number;
  close(): Promise<void>;
}

/** Opens a socket of one kind; a listener kind re-listens on `port` when given. */
type Open = (port: number | undefined) => Promise<Opened>;

/**
 * @param alwaysUse Use every handle before it closes. Without Deno's resource check nothing can
 *   tell a listener never used while open from the new one on its port (a residual case in docs/handles.md).
 */
async function cycles(open: Open, alwaysUse = false): Promise<number> {
  let reused = 0;
  let port: number | undefined;
  for (let i = 0; i < CYCLES; i++) {
    const a = await open(port);
    if (alwaysUse || i % 2 === 0) setKeepAlive(a.handle, OLD);
    await a.close();
    const b = await open(a.port);
    port = b.port;
    try {
      if (b.fd === a.fd) reused++;
      assert.throws(() => setKeepAlive(a.handle, STALE), SocketClosedError, `cycle ${i}`);
      assert.equal(kernelKeepAlive(b.fd).enable, false, `cycle ${i}: the new socket (fd ${b.fd}) was touched`);
      setKeepAlive(b.handle, OLD);
      assert.deepEqual(kernelKeepAlive(b.fd), { enable: true, count: OLD.count }, `cycle ${i}`);
    } finally {
      await b.close();
    }
  }
  return reused;
}

/** A listener kind for a node:net-style server: each open listens on loopback, on `port` if given. */
function serverKind(make: () => net.Server): Promise<Kind> {
  return Promise.resolve({
    open: async (port) => {
      const server = make();
      await new Promise<void>((resolve) => server.listen(port ?? 0, HOST, resolve));
      const bound = (server.address() as net.AddressInfo).port;
      return {
        handle: server,
        fd: listenerFd(bound),
        port: bound,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
      };
    },
    done: () => Promise.resolve(),
  });
}

/** Runs `body` with the test switches set, restoring them after. */
async function withSwitches(mode: Mode, body: () => Promise<void>): Promise<void> {
  useDenoResourceCheck(mode !== "no resource check");
  forceAddressIdentity(mode === "address identity");
  try {
    await body();
  } finally {
    useDenoResourceCheck(true);
    forceAddressIdentity(false);
  }
}

type Mode = "as shipped" | "no resource check" | "address identity";

function event(emitter: { once(name: string, listener: () => void): unknown }, name: string): Promise<void> {
  return new Promise<void>((resolve) => emitter.once(name, () => resolve()));
}

/** A node:tls listener whose accepted sockets the test reads, for connection kinds. */
function tlsPeer(): Promise<Peer> {
  return peerServer(undefined, tls.createServer({ cert, key }), "secureConnection");
}

async function nodeClient(port: number, secure: boolean): Promise<net.Socket> {
  const socket = secure ? tls.connect({ port, host: HOST, ca }) : net.connect(port, HOST);
  socket.on("error", () => {});
  await event(socket, secure ? "secureConnect" : "connect");
  return socket;
}

function destroyed(socket: net.Socket): Promise<void> {
  const closed = event(socket, "close");
  socket.destroy();
  return closed;
}

interface Kind {
  open: Open;
  done(): Promise<void>;
}

const nodeKinds: Record<string, () => Promise<Kind>> = {
  "accepted node:net socket": async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    const port = (server.address() as net.AddressInfo).port;
    return {
      open: async () => {
        const accepted = new Promise<net.Socket>((resolve) => server.once("connection", resolve));
        const client = await nodeClient(port, false);
        const socket = await accepted;
        return {
          handle: socket,
          fd: tcpFd(port, client.localPort!),
          close: async () => void await Promise.all([destroyed(socket), destroyed(client)]),
        };
      },
      done: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  },
  "node:tls client socket": async () => {
    const peer = await tlsPeer();
    return {
      open: async () => {
        const socket = await nodeClient(peer.port, true);
        return { handle: socket, fd: tcpFd(socket.localPort!, peer.port), close: () => destroyed(socket) };
      },
      done: () => peer.close(),
    };
  },
  "node:net server": () => serverKind(() => net.createServer()),
  "node:http server": () => serverKind(() => http.createServer((_, res) => res.end("ok"))),
};

describe(`fd reuse (${CYCLES} cycles): node:net and node:tls kinds, both runtimes`, { timeout: 120_000 }, () => {
  for (const [name, make] of Object.entries(nodeKinds)) {
    it(`never lets a closed ${name} reach the socket that took its number`, { timeout: 60_000 }, async () => {
      const kind = await make();
      try {
        const reused = await cycles(kind.open);
        assert.ok(reused > CYCLES / 2, `the fd number was reused in only ${reused} of ${CYCLES} cycles`);
      } finally {
        await kind.done();
      }
    });
  }
});

const port = (addr: Deno.Addr) => (addr as Deno.NetAddr).port;

const denoKinds: Record<string, () => Promise<Kind>> = {
  "accepted Deno.Conn": () => {
    const listener = Deno.listen({ hostname: HOST, port: 0 });
    return Promise.resolve({
      open: async () => {
        const [client, accepted] = await Promise.all([
          Deno.connect({ hostname: HOST, port: port(listener.addr) }),
          listener.accept(),
        ]);
        return {
          handle: accepted,
          fd: tcpFd(port(listener.addr), port(client.localAddr)),
          close: () => Promise.resolve(void (accepted.close(), client.close())),
        };
      },
      done: () => Promise.resolve(listener.close()),
    });
  },
  "Deno.listen listener": () =>
    Promise.resolve({
      open: (at) => {
        const listener = Deno.listen({ hostname: HOST, port: at ?? 0 });
        const bound = port(listener.addr);
        return Promise.resolve({
          handle: listener,
          fd: listenerFd(bound),
          port: bound,
          close: () => Promise.resolve(listener.close()),
        });
      },
      done: () => Promise.resolve(),
    }),
  "Deno.serve server": () =>
    Promise.resolve({
      open: (at) => {
        const server = Deno.serve({ hostname: HOST, port: at ?? 0, onListen() {} }, () => new Response("ok"));
        const bound = port(server.addr);
        return Promise.resolve({ handle: server, fd: listenerFd(bound), port: bound, close: () => server.shutdown() });
      },
      done: () => Promise.resolve(),
    }),
};

const modes: Mode[] = ["as shipped", "no resource check", "address identity"];

// Without SO_COOKIE (qemu-user refuses it) every mode re-checks by addresses, which cannot tell a
// closed listener from the next one on its port when the resource check is off too, nor a
// stopped Bun.serve server: the residual cases of docs/handles.md, skipped here and said so.
const noCookies = await (async () => {
  const probe = net.createServer();
  await new Promise<void>((done) => probe.listen(0, "127.0.0.1", done));
  try {
    return kernelHasCookie(listenerFd((probe.address() as net.AddressInfo).port))
      ? false
      : "SO_COOKIE is refused here (an emulator gap), so only addresses re-check identity";
  } finally {
    probe.close();
  }
})();

describe(`fd reuse (${CYCLES} cycles): Deno kinds`, { skip: denoOnly, timeout: 300_000 }, () => {
  for (const [name, make] of Object.entries(denoKinds)) {
    for (const mode of modes) {
      const listensNoCheck = (name.endsWith("listener") || name.endsWith("server")) && mode === "no resource check";
      it(
        `never lets a closed ${name} reach the socket that took its number (${mode})`,
        { timeout: 60_000, skip: listensNoCheck && noCookies },
        () =>
          withSwitches(mode, async () => {
            const kind = await make();
            try {
              const listens = name.endsWith("listener") || name.endsWith("server");
              const reused = await cycles(kind.open, listens && mode === "no resource check");
              assert.ok(reused > CYCLES / 2, `the fd number was reused in only ${reused} of ${CYCLES} cycles`);
            } finally {
              await kind.done();
            }
          }),
      );
    }
  }
});

const bunKinds: Record<string, () => Promise<Kind>> = {
  "accepted Bun socket": () => {
    const accepted: Bun.Socket[] = [];
    const listener = Bun.listen({
      hostname: HOST,
      port: 0,
      socket: { open: (socket) => void accepted.push(socket), data() {}, error() {} },
    });
    return Promise.resolve({
      open: async () => {
        const client = await nodeClient(listener.port, false);
        while (accepted.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
        const socket = accepted.shift()!;
        return {
          handle: socket,
          fd: tcpFd(listener.port, client.localPort!),
          close: async () => {
            const closed = event(client, "close");
            socket.end();
            await closed;
          },
        };
      },
      done: () => Promise.resolve(listener.stop(true)),
    });
  },
  "Bun TLS socket": async () => {
    const peer = await tlsPeer();
    return {
      open: async () => {
        let closed!: () => void;
        const done = new Promise<void>((resolve) => (closed = resolve));
        const socket = await Bun.connect({
          hostname: HOST,
          port: peer.port,
          tls: { ca },
          socket: { data() {}, close: () => closed(), error() {} },
        });
        return {
          handle: socket,
          fd: tcpFd(socket.localPort, peer.port),
          close: () => (socket.end(), done),
        };
      },
      done: () => peer.close(),
    };
  },
  "Bun.listen listener": () =>
    Promise.resolve({
      open: (at) => {
        const listener = Bun.listen({ hostname: HOST, port: at ?? 0, socket: { data() {} } });
        return Promise.resolve({
          handle: listener,
          fd: listenerFd(listener.port),
          port: listener.port,
          close: () => Promise.resolve(listener.stop(true)),
        });
      },
      done: () => Promise.resolve(),
    }),
  "Bun.serve server": () =>
    Promise.resolve({
      open: (at) => {
        const server = Bun.serve({ hostname: HOST, port: at ?? 0, fetch: () => new Response("ok") });
        const bound = server.port!;
        // Read before stop(): Bun keeps this address, port and all, after the server stops.
        void (server as unknown as { address: unknown }).address;
        return Promise.resolve({ handle: server, fd: listenerFd(bound), port: bound, close: () => server.stop(true) });
      },
      done: () => Promise.resolve(),
    }),
};

describe(`fd reuse (${CYCLES} cycles): Bun kinds`, { skip: bunOnly, timeout: 300_000 }, () => {
  for (const [name, make] of Object.entries(bunKinds)) {
    for (const mode of ["as shipped", "address identity"] as const) {
      // Addresses cannot tell a stopped Bun.serve server from the next one on its port and fd
      // number, and Bun shows no sign of stop(): docs/handles.md's residual case without SO_COOKIE.
      if (name === "Bun.serve server" && mode === "address identity") continue;
      it(
        `never lets a closed ${name} reach the socket that took its number (${mode})`,
        { timeout: 60_000, skip: name === "Bun.serve server" && noCookies },
        () =>
          withSwitches(mode, async () => {
            const kind = await make();
            try {
              // A Bun.serve server stopped before its first use, asked for a fixed port, is the
              // docs/handles.md's residual case: nothing Bun shows tells it from the next server there.
              const reused = await cycles(kind.open, name === "Bun.serve server");
              assert.ok(reused > CYCLES / 2, `the fd number was reused in only ${reused} of ${CYCLES} cycles`);
            } finally {
              await kind.done();
            }
          }),
      );
    }
  }
});

describe("Bun.serve stopped before its first use", { skip: bunOnly }, () => {
  it("a server asked for any port is closed, though its cached address names the next server's port", {
    timeout: 10_000,
  }, async () => {
    const old = Bun.serve({ hostname: HOST, port: 0, fetch: () => new Response("old") });
    const bound = old.port!;
    assert.equal((old as unknown as { address: { port: number } }).address.port, bound); // Bun caches this, port and all, past stop()
    await old.stop(true);
    const current = Bun.serve({ hostname: HOST, port: bound, fetch: () => new Response("new") });
    try {
      const fd = listenerFd(bound);
      assert.throws(() => setKeepAlive(old, STALE), SocketClosedError);
      assert.equal(kernelKeepAlive(fd).enable, false, "the new server was touched");
    } finally {
      await current.stop(true);
    }
  });
});
