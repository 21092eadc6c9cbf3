/**
 * keepConfigured finds its own process's new sockets on the next tick, not at its 30 s full scan:
 * a listener started after it (and the connections that listener accepts, whose local port only a
 * listener of unknown owner listened on) and a connection handed over with SCM_RIGHTS (no fd held
 * it when a tick first saw it, so it was taken for another process's).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { closeSync, openSync, readdirSync } from "node:fs";
import { deadPeerPlan, keepConfigured } from "../mod.ts";
import { closeFd, rawConnect, receiveFd, sendFd, unixPair } from "./support/fd_passing.ts";
import { keepAliveState } from "./support/kernel.ts";
import { connectTcp } from "./support/net.ts";
import { listenerFd, tcpFd } from "./support/proc.ts";

const BOUND = 20_000;
const PLAN = deadPeerPlan(BOUND);
const CONFIGURED = { on: 1, idleSeconds: PLAN.idle / 1000, count: PLAN.count };

/** A port free a moment ago: listening on port 0 and closing again. */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A server that accepts and holds connections, resolving each accepted socket. */
function acceptor(): { server: net.Server; accepted: net.Socket[]; next(): Promise<net.Socket> } {
  const accepted: net.Socket[] = [];
  const waiting: ((s: net.Socket) => void)[] = [];
  const server = net.createServer((s) => {
    s.on("error", () => {});
    accepted.push(s);
    waiting.shift()?.(s);
  });
  return {
    server,
    accepted,
    next: () => new Promise<net.Socket>((resolve) => waiting.push(resolve)),
  };
}

describe("keepConfigured: the process's own new sockets, found on the next tick", () => {
  it("configures a listener started after it, at the number of a file closed since, then each connection it accepts", async () => {
    const port = await freePort();
    // Its sockets are the listener and the accepted ends: local port `port`.
    using policy = keepConfigured({ localPort: port }, { detectWithin: BOUND }, { period: 0 });
    assert.equal(policy.report.configured.length, 0, "nothing listens on the port yet");
    const { server, accepted, next } = acceptor();
    const clients: net.Socket[] = [];
    const files: number[] = [];
    try {
      // Every free number below the highest fd filled, then files a tick reads, closed since: the
      // listener lands on a number a tick reads again only while it looks for a socket it wants.
      const highest = Math.max(...readdirSync("/proc/self/fd").map(Number));
      for (let fd = openSync("/dev/null", "r"); fd < highest; fd = openSync("/dev/null", "r")) files.push(fd);
      const closedSince = Array.from({ length: 4 }, () => openSync("/dev/null", "r"));
      policy.refresh();
      for (const fd of closedSince) closeSync(fd);
      await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
      const listener = listenerFd(port);
      assert.ok(closedSince.includes(listener), `the listener took a closed file's number (${listener})`);
      const found = policy.refresh();
      assert.deepEqual(
        found.configured.map((s) => s.fd),
        [listener],
        `not another process's: ${JSON.stringify(found)}`,
      );
      assert.deepEqual(keepAliveState(listener), CONFIGURED);
      // Each connection it accepts, on the next refresh (their local port is this process's listener's).
      for (let i = 0; i < 2; i++) {
        const arrived = next();
        clients.push(await connectTcp(port));
        const fd = tcpFd(port, (await arrived).remotePort!);
        assert.deepEqual(policy.refresh().configured.map((s) => s.fd), [fd], `connection ${i + 1}`);
        assert.deepEqual(keepAliveState(fd), CONFIGURED);
      }
      // The client ends (remote port `port`) match no filter field and keep the kernel's defaults.
      assert.equal(keepAliveState(tcpFd(clients[0].localPort!, port)).on, 0);
      assert.equal(policy.stats.configured, 3);
    } finally {
      for (const s of [...clients, ...accepted]) s.destroy();
      for (const fd of files) closeSync(fd);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("configures a new listener and the connection it accepted, both found by one tick", async () => {
    const port = await freePort();
    using policy = keepConfigured({ localPort: port }, { detectWithin: BOUND }, { period: 0 });
    const { server, accepted, next } = acceptor();
    let client: net.Socket | undefined;
    try {
      await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
      const arrived = next();
      client = await connectTcp(port);
      const fds = [listenerFd(port), tcpFd(port, (await arrived).remotePort!)].sort((a, b) => a - b);
      const report = policy.refresh();
      assert.deepEqual(report.configured.map((s) => s.fd).sort((a, b) => a - b), fds, JSON.stringify(report));
      for (const fd of fds) assert.deepEqual(keepAliveState(fd), CONFIGURED);
    } finally {
      client?.destroy();
      for (const s of accepted) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("configures a connection at the highest fd number, freed by a connection closed since", async () => {
    const { server, accepted, next } = acceptor();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    const files: number[] = [];
    const clients: net.Socket[] = [];
    try {
      // The accepted ends: each takes its number after its client's, the highest of all.
      using policy = keepConfigured({ localPort: port, listening: false }, { detectWithin: BOUND }, { period: 0 });
      const highest = Math.max(...readdirSync("/proc/self/fd").map(Number));
      for (let fd = openSync("/dev/null", "r"); fd < highest; fd = openSync("/dev/null", "r")) files.push(fd);
      const accept = async () => {
        const arrived = next();
        clients.push(await connectTcp(port));
        return tcpFd(port, (await arrived).remotePort!);
      };
      const first = await accept();
      assert.deepEqual(policy.refresh().configured.map((s) => s.fd), [first]);
      assert.equal(
        first,
        Math.max(...readdirSync("/proc/self/fd").map(Number)) - 1,
        "the highest number (the listing's own fd aside)",
      );
      await Promise.all(
        [clients.pop()!, accepted.pop()!].map((s) =>
          new Promise<void>((resolve) => (s.once("close", () => resolve()), s.destroy()))
        ),
      );
      assert.equal(policy.refresh().gone, 1);
      // The next accepted end gets that number back: the lowest free, and still the highest read.
      const second = await accept();
      assert.equal(second, first, "the same number");
      const report = policy.refresh();
      assert.deepEqual(
        report.configured.map((s) => s.fd),
        [second],
        `not another process's: ${JSON.stringify(report)}`,
      );
      assert.deepEqual(keepAliveState(second), CONFIGURED);
    } finally {
      for (const s of [...clients, ...accepted]) s.destroy();
      for (const fd of files) closeSync(fd);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("configures a connection handed over with SCM_RIGHTS, though no fd held it when a tick first saw it", async () => {
    const { server, accepted, next } = acceptor();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    const [there, here] = unixPair();
    let received = -1;
    try {
      using policy = keepConfigured({ remotePort: port }, { detectWithin: BOUND }, { period: 0 });
      // A connection that only a message in flight holds: sent over the pair, its own fd closed.
      const arrived = next();
      const fd = rawConnect(port);
      sendFd(there, fd);
      closeFd(fd);
      await arrived;
      const before = policy.refresh();
      assert.equal(before.configured.length, 0, "no fd of this process holds it yet");
      // Handed over: it lands at the lowest free number, and is this process's from now on.
      received = receiveFd(here);
      const report = policy.refresh();
      assert.deepEqual(report.configured.map((s) => s.fd), [received], JSON.stringify(report));
      assert.deepEqual(keepAliveState(received), CONFIGURED);
      assert.equal(policy.refresh().configured.length, 0, "configured once");
      assert.equal(policy.stats.tracked, 1);
    } finally {
      if (received >= 0) closeFd(received);
      closeFd(there);
      closeFd(here);
      for (const s of accepted) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
