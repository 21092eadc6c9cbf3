import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import tls from "node:tls";
import { fdOf, getKeepAlive, isSupported, setKeepAlive, SocketClosedError, tcpSockets } from "../mod.ts";
import { nodeAdapter } from "../src/ffi/node.ts";
import { libcPlan, SYMBOLS } from "../src/ffi/symbols.ts";
import { linux } from "../platforms/linux/constants.ts";
import { binDir, oldNodeBinary, root, run } from "./support/exec.ts";
import { listenerFd, tcpFd } from "./support/proc.ts";
import { nodeOnly } from "./support/runtime.ts";
import { cert, key } from "./support/tls.ts";

const PROFILE = { idle: 13_000, interval: 2_000, count: 6 };
const EXPECTED = { enable: true, ...PROFILE };
const TIMEOUT = 120_000;

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port))
  );
}

function close(server: { close(callback: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe("Node.js through node:ffi", { skip: nodeOnly }, () => {
  it("is supported, and binds every symbol so that calls return their results", () => {
    assert.equal(isSupported(), true);
    const adapter = nodeAdapter()!;
    assert.equal(adapter.name, "node");
    const lib = adapter.open(
      libcPlan(linux.libc, { errno_location: linux.errnoAccessor, readdir: "readdir" }),
      "getsockopt",
    );
    // node:ffi accepts a Deno-style { parameters, result } table and then returns undefined from
    // every call: a result that comes back proves the table was translated.
    assert.ok(lib.symbols.fcntl(0, linux.F_GETFD, 0) >= 0);
    assert.equal(lib.symbols.fcntl(1 << 30, linux.F_GETFD, 0), -1);
    assert.equal(lib.errno(), linux.errno.EBADF);
    const ffi = process.getBuiltinModule("node:ffi") as {
      dlopen(path: string, table: object): { functions: Record<string, (...args: number[]) => unknown> };
    };
    // (With parameters, such a table fails on the first call instead: it declared none.)
    const untranslated = ffi.dlopen(linux.libc[0], { [linux.errnoAccessor]: SYMBOLS.errno_location }).functions;
    assert.equal(untranslated[linux.errnoAccessor](), undefined, "node:ffi now rejects Deno-style tables");
    assert.equal(typeof lib.symbols.errno_location(), "bigint");
    // Only malloc()ed memory is ever addressed: a JavaScript-owned buffer is refused, not pinned.
    const block = lib.allocate!(16);
    assert.deepEqual([...block], new Array(16).fill(0), "allocate() zeroes what malloc() returns");
    assert.equal(lib.pointerOf(block.subarray(4)), (lib.pointerOf(block) as unknown as bigint) + 4n);
    assert.throws(
      () => lib.pointerOf(new Uint8Array(16)),
      /Cannot take the address of memory that allocate\(\) did not/,
    );
  });

  it("keeps its native buffers stable: 200000 set/get rounds while the heap churns and collects", async () => {
    const child = join("tests", "fixtures", "node_memory_child.ts");
    const { stdout } = await run(process.execPath, ["--expose-gc", child, "200000"], { cwd: root, timeout: TIMEOUT });
    assert.deepEqual(JSON.parse(stdout.trim().split("\n").at(-1)!), { rounds: 200_000, wrong: 0 });
  });

  it("keeps node:ffi's ExperimentalWarning out of the log, and the program's own warnings in it", async () => {
    const child = join("tests", "fixtures", "node_warning_child.ts");
    const { stdout, stderr } = await run(process.execPath, [child], { cwd: root, timeout: TIMEOUT });
    assert.match(stdout, /^interval 2000$/m);
    assert.doesNotMatch(stderr, /FFI is an experimental feature/);
    assert.match(stderr, /ExperimentalWarning: the program's own warning, before sockopts/);
    assert.match(stderr, /ExperimentalWarning: the program's own warning, after sockopts/);
  });

  it("names the flag when node:ffi is turned off", async () => {
    const code = 'import("./mod.ts").then((m) => { console.log(m.isSupported()); try { m.setKeepAlive(0, {}); }' +
      " catch (e) { console.log(e.name, e.message); } });";
    const { stdout } = await run(process.execPath, ["--no-experimental-ffi", "-e", code], {
      cwd: root,
      timeout: TIMEOUT,
    });
    assert.match(stdout, /^false$/m);
    assert.match(stdout, /^UnsupportedError Unsupported runtime: .*Node\.js 26\.\d+\.\d+ .*--no-experimental-ffi/m);
  });
});

describe("Node.js under the permission model", { skip: nodeOnly }, () => {
  const code =
    'import("./mod.ts").then((m) => { try { m.getKeepAlive(1000000); } catch (e) { console.log(e.name, e.message); } });';

  it("throws PermissionError naming --allow-ffi without it, and runs with it", async () => {
    const denied = await run(process.execPath, ["--permission", "--allow-fs-read=*", "-e", code], {
      cwd: root,
      timeout: TIMEOUT,
    });
    assert.match(
      denied.stdout,
      /^PermissionError Cannot load libc for getKeepAlive: Node\.js under the permission model needs --allow-ffi \(libc\.so\.6\)$/m,
    );
    const allowed = await run(process.execPath, ["--permission", "--allow-fs-read=*", "--allow-ffi", "-e", code], {
      cwd: root,
      timeout: TIMEOUT,
    });
    assert.match(allowed.stdout, /^SockoptError Cannot get TCP_KEEPIDLE on fd 1000000: EBADF/m);
  });
});

describe("Node.js older than 26", { skip: nodeOnly }, () => {
  let dir = "";
  let oldNode: string | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "sockopts-oldnode-"));
    oldNode = oldNodeBinary();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("throws UnsupportedError naming the Node.js version and flag it needs", async (t) => {
    if (oldNode === undefined) {
      console.warn("!!! node_runtime: SKIPPED the Node < 26 test: no Node older than 26 on this machine !!!");
      return t.skip("no Node older than 26");
    }
    const bundle = join(dir, "sockopts.mjs");
    await run(join(binDir, "esbuild"), ["mod.ts", "--bundle", "--format=esm", `--outfile=${bundle}`], {
      cwd: root,
      timeout: TIMEOUT,
    });
    const script = join(dir, "main.mjs");
    writeFileSync(
      script,
      'import * as m from "./sockopts.mjs";\nconsole.log(m.isSupported());\n' +
        "try { m.setKeepAlive(0, {}); } catch (e) { console.log(e.name, e.message); }\n",
    );
    const { stdout } = await run(oldNode, [script], { cwd: dir, timeout: TIMEOUT });
    assert.match(stdout, /^false$/m);
    assert.match(
      stdout,
      /^UnsupportedError Unsupported runtime: sockopts needs Deno, Bun, or Node\.js 26\.9 or later \(26\.1 to 26\.8 with --experimental-ffi\), and this is Node\.js \d+\./m,
    );
  });
});

describe("Node.js handles", { skip: nodeOnly }, () => {
  it("configure an http2 server's listener and the sockets an http.Agent opens", async () => {
    const h2 = http2.createServer();
    const h2Port = await listen(h2 as unknown as net.Server);
    const server = http.createServer((_request, response) => response.end("ok"));
    const port = await listen(server);
    const agent = new http.Agent({ keepAlive: true });
    try {
      setKeepAlive(h2, PROFILE);
      assert.equal(fdOf(h2), listenerFd(h2Port));
      assert.deepEqual(getKeepAlive(listenerFd(h2Port)), EXPECTED);
      const configured = new Promise<net.Socket>((resolve, reject) => {
        const request = http.get({ host: "127.0.0.1", port, agent }, (response) => {
          response.resume();
          response.on("end", () => resolve(request.socket!));
        });
        request.on("socket", (socket) => {
          socket.once("connect", () => {
            try {
              setKeepAlive(socket, PROFILE);
            } catch (error) {
              reject(error);
            }
          });
        });
        request.on("error", reject);
      });
      const socket = await configured;
      assert.equal(fdOf(socket), tcpFd(socket.localPort!, port));
      assert.deepEqual(getKeepAlive(tcpFd(socket.localPort!, port)), EXPECTED);
      // The agent keeps it as a free socket; sockopts still reaches it there.
      const free = Object.values(agent.freeSockets).flat();
      assert.equal(free.length, 1);
      assert.deepEqual(getKeepAlive(free[0]!), EXPECTED);
      assert.ok(tcpSockets().some((each) => each.fd === fdOf(socket)));
    } finally {
      agent.destroy();
      await close(server);
      await close(h2);
    }
  });

  it("believe only Node's own _handle.fd, and refuse a TLS socket over a stream that is not a socket", async () => {
    const server = net.createServer((socket) => socket.on("error", () => {}));
    const port = await listen(server);
    const client = net.connect(port, "127.0.0.1");
    await new Promise<void>((resolve) => client.once("connect", resolve));
    const native = (client as unknown as { _handle: object })._handle;
    try {
      // An fd put on the native handle by someone else is not believed, whatever its value: the
      // socket is found by its addresses instead, and it is this connection that gets configured.
      for (const bad of [-1, 2147483648, 3.5, 0]) {
        Object.defineProperty(native, "fd", { value: bad, configurable: true });
        setKeepAlive(client, { ...PROFILE, count: 2 });
        assert.deepEqual(getKeepAlive(tcpFd(client.localPort!, port)), { ...EXPECTED, count: 2 });
        setKeepAlive(tcpFd(client.localPort!, port), { enable: false });
      }
      delete (native as { fd?: unknown }).fd;
      setKeepAlive(client, PROFILE);
      assert.deepEqual(getKeepAlive(tcpFd(client.localPort!, port)), EXPECTED);
      const overStream = new tls.TLSSocket(new PassThrough() as unknown as net.Socket, { isServer: true, key, cert });
      assert.throws(() => setKeepAlive(overStream, PROFILE), {
        name: "TypeError",
        message:
          /^Cannot set keep-alive: the node:tls socket has no socket of its own: it runs over a JavaScript stream/,
      });
      overStream.destroy();
    } finally {
      client.destroy();
      await close(server);
    }
    assert.throws(() => setKeepAlive(client, PROFILE), SocketClosedError);
    assert.throws(() => fdOf(server), SocketClosedError);
  });
});
