/**
 * The lookup by inode (src/handles/inode_lookup.ts): sock_diag names the socket, statx finds its fd.
 * Every fd found is checked against /proc (tests/support/proc.ts), and the work counters show
 * which way each lookup went: just below the lowest free number, further down, or through the
 * fd directory for a socket above it.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { spawn } from "node:child_process";
import { closeSync, openSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fdOf, setKeepAlive, setsockoptRaw, SocketClosedError } from "../mod.ts";
import { findSockets, lookupWork } from "../src/handles/fd_index.ts";
import { useFdDirectory } from "../src/sys/fd_listing.ts";
import { findByInode } from "../src/handles/inode_lookup.ts";
import { sockDiagAvailable } from "../src/sys/sock_diag.ts";
import { useDenoResourceCheck } from "../src/handles/deno.ts";
import { kernelKeepAlive } from "./support/kernel_options.ts";
import { listenerFd, tcpFd } from "./support/proc.ts";
import { connectTcp } from "./support/net.ts";
import { denoOnly, scriptArgs } from "./support/runtime.ts";
import { root } from "./support/exec.ts";

// qemu-user refuses netlink sockets: there every lookup goes the index's way (tested below).
const noDiag: string | false = sockDiagAvailable() ? false : "no NETLINK_SOCK_DIAG on this host";
const LIMIT = { timeout: 60_000 };
const PADDING = 300;
const SOL_SOCKET = 1; // <asm-generic/socket.h>
const SO_BINDTODEVICE = 25; // <asm-generic/socket.h>
const HOST = "127.0.0.1";
// A count no other test uses: a socket carrying it was configured through a stale handle.
const STALE = { idle: 77_000, interval: 7_000, count: 77 };

/**
 * Opens /dev/null on every free number below the highest open fd, then `extra` more above: the
 * table is dense, so the lowest free number is just above the newest fd.
 */
function padFds(extra: number): number[] {
  const highest = Math.max(...readdirSync("/proc/self/fd").map(Number));
  const opened: number[] = [];
  for (let above = 0; above < extra;) {
    const fd = openSync("/dev/null", "r");
    opened.push(fd);
    if (fd > highest) above++;
  }
  return opened;
}

function closeAll(fds: number[]): void {
  for (const fd of fds) closeSync(fd);
}

const work = lookupWork;

function closeSocket(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.closed) return resolve();
    socket.once("close", () => resolve());
    socket.destroy();
  });
}

const connection = (socket: net.Socket) => ({
  kind: "connection" as const,
  local: { ip: HOST, port: socket.localPort! },
  remote: { ip: HOST, port: socket.remotePort! },
});

describe("the lookup by inode", { skip: noDiag }, () => {
  it("finds a socket below, far below and above the lowest free number", LIMIT, async () => {
    const padding = padFds(PADDING);
    const accepted: net.Socket[] = [];
    const server = net.createServer((socket) => accepted.push(socket.on("error", () => {})));
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    const port = (server.address() as net.AddressInfo).port;
    const clients: net.Socket[] = [];
    try {
      // The newest socket sits just below the lowest free number: a few probes, no listing.
      clients.push(await connectTcp(port));
      let before = work();
      assert.deepEqual(findByInode(connection(clients[0])), [tcpFd(clients[0].localPort!, port)]);
      let after = work();
      assert.equal(after.requests, before.requests + 1, "one sock_diag question");
      assert.equal(after.listings, before.listings, "no fd listing");
      assert.ok(after.probes - before.probes < 10, `${after.probes - before.probes} probes`);

      // A socket in a gap far below: probed down to, still without a listing.
      const gap = padding[padding.length - PADDING + 20];
      closeSync(gap);
      padding.splice(padding.indexOf(gap), 1);
      clients.push(await connectTcp(port));
      assert.equal(tcpFd(clients[1].localPort!, port), gap, "the new connection took the freed number");
      before = work();
      assert.deepEqual(findByInode(connection(clients[1])), [gap]);
      after = work();
      assert.equal(after.listings, before.listings, "no fd listing");
      assert.ok(after.probes - before.probes >= PADDING - 20, `${after.probes - before.probes} probes`);
      // Asked again: straight to the fd it was found at, not down past every other one.
      before = work();
      assert.deepEqual(findByInode(connection(clients[1])), [gap]);
      assert.equal(work().probes - before.probes, 1, "one probe");

      // A number below the socket freed after it opened: the numbers above it come from a listing.
      clients.push(await connectTcp(port));
      const freed = padding[padding.length - PADDING + 50];
      closeSync(freed);
      padding.splice(padding.indexOf(freed), 1);
      before = work();
      assert.deepEqual(findByInode(connection(clients[2])), [tcpFd(clients[2].localPort!, port)]);
      after = work();
      assert.equal(after.listings, before.listings + 1, "one fd listing");

      // The accepted ends and the listener, all at once and each by its own address.
      for (const socket of accepted) {
        const query = {
          kind: "connection" as const,
          local: { ip: HOST, port },
          remote: { ip: HOST, port: socket.remotePort! },
        };
        assert.deepEqual(findByInode(query), [tcpFd(port, socket.remotePort!)]);
      }
      assert.deepEqual(findByInode({ kind: "listener", ip: HOST, port }), [listenerFd(port)]);
      assert.deepEqual(findByInode({ kind: "listener", ip: undefined, port }), [listenerFd(port)]);
      assert.deepEqual(findByInode({ kind: "listener", ip: "10.9.8.7", port }), [], "another address");
    } finally {
      await Promise.all([...clients, ...accepted].map(closeSocket));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      closeAll(padding);
    }
  });

  it(
    "finds this process's listener among several on one port, another process holding one of them",
    LIMIT,
    async () => {
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen({ port: 0, host: HOST, reusePort: true }, resolve));
      const port = (server.address() as net.AddressInfo).port;
      const fixture = join(root, "tests", "fixtures", "reuse_port_child.ts");
      const child = spawn(process.execPath, scriptArgs(fixture, [String(port)]), {
        stdio: ["pipe", "pipe", "inherit"],
      });
      try {
        await new Promise<void>((resolve, reject) => {
          child.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("listening") && resolve());
          child.once("exit", (code) => reject(new Error(`the child exited with ${code} before listening`)));
        });
        const before = work();
        // Two listeners in the dump; only a whole listing can tell the other one is not held here.
        assert.deepEqual(findByInode({ kind: "listener", ip: HOST, port }), [listenerFd(port)]);
        const after = work();
        assert.equal(after.requests, before.requests + 1, "one sock_diag dump");
        assert.equal(after.listings, before.listings + 1, "one fd listing");
      } finally {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.stdin!.end();
        await exited;
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  );

  it("finds a dual-stack listener and its IPv4 connection, spelled as IPv4", LIMIT, async () => {
    const accepted: net.Socket[] = [];
    const server = net.createServer((socket) => accepted.push(socket.on("error", () => {})));
    await new Promise<void>((resolve) => server.listen(0, "::", resolve));
    const port = (server.address() as net.AddressInfo).port;
    const client = await connectTcp(port);
    try {
      while (accepted.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      // An AF_INET6 socket with IPv4-mapped ends: asked as AF_INET, which the kernel hashes it by.
      const query = {
        kind: "connection" as const,
        local: { ip: HOST, port },
        remote: { ip: HOST, port: client.localPort! },
      };
      assert.deepEqual(findByInode(query), [tcpFd(port, client.localPort!)]);
      assert.deepEqual(findByInode({ kind: "listener", ip: "*", port }), [listenerFd(port)]);
      assert.deepEqual(findByInode({ kind: "listener", ip: HOST, port }), [], "not bound to 127.0.0.1");
    } finally {
      await Promise.all([client, ...accepted].map(closeSocket));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it(
    "finds a connection bound to a device, which the exact question misses, by a dump of its ports",
    LIMIT,
    async () => {
      const server = net.createServer((socket) => socket.on("error", () => {}));
      await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
      const port = (server.address() as net.AddressInfo).port;
      const client = await connectTcp(port);
      try {
        const fd = tcpFd(client.localPort!, port);
        setsockoptRaw(fd, SOL_SOCKET, SO_BINDTODEVICE, new TextEncoder().encode("lo\0"));
        const before = work();
        assert.deepEqual(findByInode(connection(client)), [fd]);
        assert.equal(work().requests, before.requests + 2, "the exact question, then the dump");
      } finally {
        await closeSocket(client);
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  );

  it("answers nothing for a closed connection, even when its number and port went to others", LIMIT, async () => {
    const padding = padFds(PADDING);
    const accepted: net.Socket[] = [];
    const server = net.createServer((socket) => accepted.push(socket.on("error", () => {})));
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    const port = (server.address() as net.AddressInfo).port;
    const client = await connectTcp(port);
    const query = connection(client);
    const fd = tcpFd(query.local.port, port);
    let next: net.Socket | undefined;
    try {
      await closeSocket(client);
      await Promise.all(accepted.map(closeSocket));
      next = await connectTcp(port);
      // The kernel answers an exact question with no connection by the listener on the local
      // port: here the server's, asked for as the accepted end whose client is gone.
      const acceptedEnd = { ...query, local: { ip: HOST, port }, remote: query.local };
      const before = work();
      assert.deepEqual(findByInode(query), []);
      assert.deepEqual(findByInode(acceptedEnd), []);
      // Each an exact question, then a dump by both ports (which a device-bound socket needs).
      assert.equal(work().requests, before.requests + 4);
      // Through the index: sock_diag knows of none in this network namespace, which settles it
      // without a listing (a socket of another namespace is never this handle's).
      const asked = work();
      assert.deepEqual(findSockets(query, false), { fds: [], complete: true });
      assert.equal(work().requests, asked.requests + 2, "a question and a dump");
      assert.equal(work().listings, asked.listings, "no fd listing");
      assert.equal(tcpFd(next.localPort!, port), fd, "the next connection took the closed one's number");
    } finally {
      await Promise.all([next, ...accepted].map((s) => s && closeSocket(s)));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      closeAll(padding);
    }
  });
});

describe("without sock_diag", () => {
  it("cannot answer, and the index finds the socket by every fd's addresses", LIMIT, async () => {
    const server = net.createServer((socket) => socket.on("error", () => {}));
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    const port = (server.address() as net.AddressInfo).port;
    const client = await connectTcp(port);
    // A listing pointed at a directory (as tests of other systems do) turns sock_diag off.
    useFdDirectory("/proc/self/fd");
    try {
      const before = work();
      assert.equal(findByInode(connection(client)), undefined);
      assert.deepEqual(findSockets(connection(client), false), {
        fds: [tcpFd(client.localPort!, port)],
        complete: false,
      });
      assert.equal(work().requests, before.requests, "no sock_diag question");
    } finally {
      useFdDirectory(undefined);
      await closeSocket(client);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe("Deno handles' first lookup", { skip: denoOnly || noDiag }, () => {
  const port = (addr: Deno.Addr) => (addr as Deno.NetAddr).port;

  it(
    "finds Deno.connect, Deno.listen and Deno.serve among hundreds of fds by one sock_diag question each",
    LIMIT,
    async () => {
      const padding = padFds(PADDING);
      for (const host of [HOST, "::1"]) {
        const listener = Deno.listen({ hostname: host, port: 0 });
        const client = await Deno.connect({ hostname: host, port: port(listener.addr) });
        const ac = new AbortController();
        const server = Deno.serve({ hostname: host, port: 0, signal: ac.signal, onListen() {} }, () => new Response());
        try {
          const expected = [
            [client, tcpFd(port(client.localAddr), port(listener.addr))],
            [listener, listenerFd(port(listener.addr))],
            [server, listenerFd(server.addr.port)],
          ] as const;
          for (const [handle, fd] of expected) {
            const before = work();
            assert.equal(fdOf(handle), fd, host);
            const after = work();
            assert.equal(after.requests, before.requests + 1, `${host}: one sock_diag question`);
            assert.equal(after.listings, before.listings, `${host}: no fd listing`);
          }
        } finally {
          client.close();
          listener.close();
          ac.abort();
          await server.finished;
        }
      }
      closeAll(padding);
    },
  );

  it(
    "still finds a connection whose peer closed, and never the socket that took a closed one's number",
    LIMIT,
    async () => {
      const padding = padFds(PADDING);
      const listener = Deno.listen({ hostname: HOST, port: 0 });
      const other = Deno.listen({ hostname: HOST, port: 0 });
      const halfClosed = await Deno.connect({ hostname: HOST, port: port(listener.addr) });
      const gone = await Deno.connect({ hostname: HOST, port: port(listener.addr) });
      const accepted = [await listener.accept(), await listener.accept()];
      let next: Deno.TcpConn | undefined;
      useDenoResourceCheck(false);
      try {
        // Its peer closed: the connection sits in CLOSE_WAIT, still open and still its own.
        const peer = accepted.find((c) => port(c.remoteAddr) === port(halfClosed.localAddr))!;
        peer.close();
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(fdOf(halfClosed), tcpFd(port(halfClosed.localAddr), port(listener.addr)));

        // Closed before its first lookup, its number taken by a connection to another server.
        const fd = tcpFd(port(gone.localAddr), port(listener.addr));
        gone.close();
        next = await Deno.connect({ hostname: HOST, port: port(other.addr) });
        assert.equal(tcpFd(port(next.localAddr), port(other.addr)), fd, "the number was reused");
        const before = kernelKeepAlive(fd);
        const asked = work().requests;
        assert.throws(() => setKeepAlive(gone, STALE), SocketClosedError);
        assert.deepEqual(kernelKeepAlive(fd), before, "the socket that took the number was touched");
        assert.equal(work().requests, asked + 2, "sock_diag was asked first (a question, then a dump)");
      } finally {
        useDenoResourceCheck(true);
        for (const conn of [halfClosed, next, ...accepted]) {
          try {
            conn?.close();
          } catch {
            // closed above
          }
        }
        listener.close();
        other.close();
        closeAll(padding);
      }
    },
  );
});
