/**
 * Node handles in the states Node users meet them: a socket still connecting (net.connect's next
 * tick, an http.Agent socket in `req.on("socket")`), a socket whose `_handle` was replaced, and a
 * cluster worker's server whose listening socket lives in the primary.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { join } from "node:path";
import { getKeepAlive, getKeepAliveInterval, setKeepAlive } from "../mod.ts";
import { root, run } from "./support/exec.ts";
import { tcpFd } from "./support/proc.ts";
import { tcpPair } from "./support/net.ts";
import { nodeOnly, runtimeName } from "./support/runtime.ts";

const PROFILE = { idle: 19_000, interval: 3_000, count: 5 };
const EXPECTED = { enable: true, ...PROFILE };
const LIMIT = { timeout: 60_000 };

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port))
  );
}

describe("a node:net socket still connecting, under Node", { skip: nodeOnly }, () => {
  it("is configured once libuv has opened its socket, and keeps the values through the handshake", LIMIT, async () => {
    const server = net.createServer((s) => s.on("error", () => {}));
    const port = await listen(server);
    const client = net.connect(port, "127.0.0.1");
    try {
      // No socket yet: net.connect() opens it on the next tick.
      assert.throws(() => setKeepAlive(client, PROFILE), { code: "ENOTCONN", message: /still connecting/ });
      await new Promise((resolve) => process.nextTick(resolve));
      assert.equal(client.connecting, true);
      setKeepAlive(client, PROFILE);
      await new Promise((resolve) => client.once("connect", resolve));
      // Read back through the fd /proc names, not through the handle.
      assert.deepEqual(getKeepAlive(tcpFd(client.localPort!, port)), EXPECTED);
    } finally {
      client.destroy();
      server.close();
    }
  });

  it("is not configured while it tries several addresses in turn, each with a socket of its own", LIMIT, async () => {
    const server = net.createServer((s) => s.on("error", () => {}));
    const port = await listen(server);
    // A name with an IPv6 and an IPv4 address, the server on IPv4 only: autoSelectFamily tries
    // ::1 first, in a socket that then closes, and connects through a new one.
    const client = net.connect({
      host: "db.example",
      port,
      autoSelectFamily: true,
      lookup: (_host, _options, callback) =>
        (callback as (error: null, addresses: { address: string; family: number }[]) => void)(null, [
          { address: "::1", family: 6 },
          { address: "127.0.0.1", family: 4 },
        ]),
    });
    try {
      await new Promise((resolve) => process.nextTick(resolve));
      assert.equal(client.connecting, true);
      assert.throws(() => setKeepAlive(client, PROFILE), {
        name: "SockoptError",
        code: "ENOTCONN",
        message: /trying its addresses one after another \(autoSelectFamily; 1 tried so far\)/,
      });
      await new Promise((resolve) => client.once("connect", resolve));
      setKeepAlive(client, PROFILE);
      assert.deepEqual(getKeepAlive(tcpFd(client.localPort!, port)), EXPECTED);
    } finally {
      client.destroy();
      server.close();
    }
  });

  it('configures an http.Agent socket in req.on("socket"), before it connects', LIMIT, async () => {
    const server = http.createServer((_req, res) => res.end("ok"));
    const port = await listen(server);
    // Without keepAlive: an agent that keeps sockets alive calls socket.setKeepAlive(true, 1000) on
    // them itself, after this hook (call sockopts after the runtime's own setKeepAlive).
    const agent = new http.Agent();
    try {
      const seen = await new Promise<{ connecting: boolean; fd: number }>((resolve, reject) => {
        let connecting = false;
        const req = http.get({ host: "127.0.0.1", port, agent }, (res) => {
          res.resume();
          res.on("end", () => resolve({ connecting, fd: tcpFd(req.socket!.localPort!, port) }));
        });
        req.on("error", reject);
        req.on("socket", (socket) => {
          connecting = (socket as net.Socket).connecting;
          try {
            setKeepAlive(socket, PROFILE);
          } catch (error) {
            req.destroy();
            reject(error);
          }
        });
      });
      assert.equal(seen.connecting, true, "the hook ran before the connection was established");
      assert.deepEqual(getKeepAlive(seen.fd), EXPECTED);
    } finally {
      agent.destroy();
      server.close();
    }
  });
});

describe(`a node:net socket whose _handle was replaced, under ${runtimeName}`, () => {
  it("is diagnosed as holding no usable fd, not as a Unix-domain socket", LIMIT, async () => {
    const pair = await tcpPair();
    const own = (pair.client as unknown as { _handle: unknown })._handle;
    try {
      (pair.client as unknown as { _handle: unknown })._handle = { fd: -99999 };
      assert.throws(() => getKeepAliveInterval(pair.client), {
        name: "SockoptError",
        code: "EBADF",
        syscall: null,
        message: new RegExp(
          "^Cannot get TCP_KEEPINTVL: the node:net socket has no usable file descriptor: its _handle is not " +
            "(Node\\.js|Bun|Deno)'s own socket handle \\(it reports fd -99999 and no addresses\\)$",
        ),
      });
    } finally {
      (pair.client as unknown as { _handle: unknown })._handle = own;
      await pair.close();
    }
  });
});

describe("a cluster worker's server, under Node", { skip: nodeOnly }, () => {
  const child = join(root, "tests", "fixtures", "cluster_child.ts");

  it("under round-robin: says the listener lives in the primary, and the recipe it names works", LIMIT, async () => {
    const { stdout } = await run("node", [child, "rr"], { cwd: root, timeout: 30_000 });
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!);
    assert.equal(result.server.ok, false);
    assert.equal(result.server.name, "SockoptError");
    assert.equal(result.server.code, "ENOTCONN");
    assert.match(result.server.message, /^Cannot set keep-alive: the node:net server has no socket in this process: /);
    assert.ok(
      result.server.message.includes(`the listening socket lives in the primary process (pid ${result.pid})`),
      result.server.message,
    );
    assert.ok(result.server.message.includes(`configureSockets({ localPort: ${result.port}, listening: true }, …)`));
    assert.ok(result.server.message.includes("cluster.schedulingPolicy = cluster.SCHED_NONE"));
    // The recipe: the primary configured its listener, and the worker's accepted connection inherited it.
    assert.equal(result.primaryConfigured, 1);
    assert.deepEqual(result.accepted, {
      ok: true,
      inherited: { enable: true, idle: 17_000, interval: 3_000, count: 4 },
    });
  });

  it("under SCHED_NONE: the worker holds the listener, and setKeepAlive(server) configures it", LIMIT, async () => {
    const { stdout } = await run("node", [child, "none"], { cwd: root, timeout: 30_000 });
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!);
    assert.deepEqual(result.server, { ok: true });
    assert.deepEqual(result.accepted, {
      ok: true,
      inherited: { enable: true, idle: 17_000, interval: 3_000, count: 4 },
    });
  });
});
