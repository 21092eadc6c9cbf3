/**
 * `sockopts/net-keepalive` (src/compat/net_keepalive.ts) as a drop-in for net-keepalive: its own
 * unit and integration tests (tests/fixtures/net_keepalive, unchanged, under mocha and should, the
 * tcpdump test counting keep-alive packets on the wire), then what those tests do not pin: the
 * errors' fields, truncation, the kernel's own refusals, a socket still connecting, the default
 * export as a plain object test doubles can replace, and Windows' and FreeBSD's behaviour.
 * Declarations (tsd) and the packed package: tests/package_node.test.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AssertionError } from "node:assert";
import net from "node:net";
import { join } from "node:path";
import NetKeepAlive, * as Named from "../src/compat/net_keepalive.ts";
import { getKeepAlive, getUserTimeout, setKeepAlive } from "../mod.ts";
import { root, run } from "./support/exec.ts";
import { netKeepAliveSandbox, noTcpdump, runNetKeepAliveSuite } from "./support/net_keepalive.ts";
import { tcpPair } from "./support/net.ts";
import { isDeno, nodeOnly, runtimeName } from "./support/runtime.ts";

const fixture = join(root, "tests", "fixtures", "net_keepalive");
const entry = join(root, "src", "compat", "net_keepalive.ts");
const LIMIT = { timeout: 150_000 };
const skipSuite: string | false = isDeno ? "mocha runs under Node and Bun" : netKeepAliveSandbox;

describe(`net-keepalive's own tests against sockopts/net-keepalive under ${runtimeName}`, { skip: skipSuite }, () => {
  it("test/unit: every test passes (the three Windows-only ones are pending)", LIMIT, async () => {
    const result = await runNetKeepAliveSuite(process.execPath, fixture, ["test/unit"], entry);
    assert.equal(result.failing, 0, result.output);
    assert.equal(result.passing, 15, result.output);
    assert.equal(result.pending, 3, result.output);
  });

  it(
    "test/integration: tcpdump sees the keep-alive probes set through it on the wire",
    { ...LIMIT, skip: noTcpdump },
    async () => {
      const result = await runNetKeepAliveSuite(process.execPath, fixture, ["test/integration"], entry);
      assert.equal(result.failing, 0, result.output);
      assert.equal(result.passing, 1, result.output);
      // The test itself passes even when tcpdump times out empty-handed: count what it captured.
      assert.match(result.output, /^10 packets captured$/m, result.output);
    },
  );
});

function rejects(fn: () => unknown, message: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof AssertionError, `an AssertionError, got ${String(error)}`);
    assert.equal(error.code, "ERR_ASSERTION");
    // Node 26's assert appends the values compared after the caller's message, as it does for
    // net-keepalive's own calls; net-keepalive's tests match the start.
    assert.equal(error.message.split("\n")[0], message);
    return true;
  });
}

describe(`sockopts/net-keepalive beyond net-keepalive's tests, under ${runtimeName}`, () => {
  it("returns true, truncates as net-keepalive does, and passes what it truncates to the kernel", async () => {
    const pair = await tcpPair();
    const s = pair.client;
    try {
      assert.equal(NetKeepAlive.setKeepAliveInterval(s, 2999), true);
      assert.equal(NetKeepAlive.getKeepAliveInterval(s), 2000, "~~(2999 / 1000) = 2 s");
      assert.equal(NetKeepAlive.setKeepAliveProbes(s, 1.5), true);
      assert.equal(NetKeepAlive.getKeepAliveProbes(s), 1, "~~1.5 = 1");
      assert.equal(NetKeepAlive.setUserTimeout(s, 2500.9), true);
      assert.equal(NetKeepAlive.getUserTimeout(s), 2500);
      assert.equal(NetKeepAlive.setUserTimeout(s, Number.NaN), true, "~~NaN = 0: the system default");
      assert.equal(getUserTimeout(s), 0);
      // 999 ms truncates to 0 s, which Linux refuses: Node's errno Error, as net-keepalive threw.
      assert.throws(() => NetKeepAlive.setKeepAliveInterval(s, 999), (error: unknown) => {
        const e = error as Error & { code: string; errno: number; syscall: string };
        assert.equal(e.name, "Error");
        assert.deepEqual([e.message, e.code, e.errno, e.syscall], ["setsockopt EINVAL", "EINVAL", -22, "setsockopt"]);
        return true;
      });
      assert.equal(getKeepAlive(s).interval, 2000, "the refused call changed nothing");
    } finally {
      await pair.close();
    }
  });

  it("asserts as net-keepalive does, before looking at the socket", async () => {
    const pair = await tcpPair();
    try {
      const call = NetKeepAlive.setKeepAliveProbes as (...args: unknown[]) => boolean;
      rejects(() => call(pair.client, 3, "extra"), "setKeepAliveProbes requires two arguments");
      rejects(
        () => call(new net.Server(), 3),
        "setKeepAliveProbes expects an instance of socket as its first argument",
      );
      rejects(() => call(7, 3), "setKeepAliveProbes expects an instance of socket as its first argument");
      rejects(() => call(pair.client, "3"), "setKeepAliveProbes requires cnt to be a Number");
      rejects(() => call(new net.Socket(), 3), "Unable to get socket fd");
      const get = NetKeepAlive.getUserTimeout as (...args: unknown[]) => number;
      rejects(() => get(), "getUserTimeout requires one arguments");
      pair.client.destroy();
      rejects(() => NetKeepAlive.getKeepAliveProbes(pair.client), "Unable to get socket fd");
    } finally {
      await pair.close();
    }
  });

  it("a replaced _handle: EBADF for a number no fd has, never a number that could be another socket's", async () => {
    const pair = await tcpPair();
    const socket = pair.client as unknown as { _handle: unknown };
    const own = socket._handle;
    try {
      socket._handle = { fd: -99999 };
      assert.throws(() => NetKeepAlive.setKeepAliveProbes(pair.client, 3), {
        message: "setsockopt EBADF",
        code: "EBADF",
        errno: -9,
        syscall: "setsockopt",
      });
      // net-keepalive would have set TCP_KEEPCNT on whatever fd 1 is: refused, with the reason.
      socket._handle = { fd: 1 };
      assert.throws(() => NetKeepAlive.setKeepAliveProbes(pair.client, 3), {
        name: "SockoptError",
        message: /has no usable file descriptor/,
      });
    } finally {
      socket._handle = own;
      await pair.close();
    }
  });

  it("the default export is the named functions as one plain object a test double can replace", () => {
    const names = [
      "setKeepAliveInterval",
      "getKeepAliveInterval",
      "setKeepAliveProbes",
      "getKeepAliveProbes",
      "setUserTimeout",
      "getUserTimeout",
    ] as const;
    assert.deepEqual(Object.keys(NetKeepAlive), [...names]);
    for (const name of names) assert.equal(NetKeepAlive[name], Named[name]);
    const original = NetKeepAlive.setKeepAliveProbes;
    try {
      NetKeepAlive.setKeepAliveProbes = () => false; // what sinon.stub(NetKeepAlive, …) does
      assert.equal(NetKeepAlive.setKeepAliveProbes(new net.Socket(), 1), false);
    } finally {
      NetKeepAlive.setKeepAliveProbes = original;
    }
  });
});

describe("sockopts/net-keepalive under Node, in the states net-keepalive users meet", { skip: nodeOnly }, () => {
  it("configures a socket still connecting, as net-keepalive did", async () => {
    const server = net.createServer((s) => s.on("error", () => {}));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
    try {
      await new Promise((resolve) => process.nextTick(resolve));
      assert.equal(client.connecting, true);
      assert.equal(NetKeepAlive.setKeepAliveProbes(client, 4), true);
      await new Promise((resolve) => client.once("connect", resolve));
      assert.equal(getKeepAlive(client).count, 4);
    } finally {
      client.destroy();
      server.close();
    }
  });

  it("configures an autoSelectFamily attempt's socket, as net-keepalive did, where the main API waits", async () => {
    const server = net.createServer((s) => s.on("error", () => {}));
    await new Promise<void>((resolve) => server.listen(0, "::1", resolve));
    // Both families, the server on ::1, tried first: the first attempt is the one that connects.
    const client = net.connect({
      host: "db.example",
      port: (server.address() as net.AddressInfo).port,
      autoSelectFamily: true,
      lookup: (_host, _options, callback) =>
        (callback as (error: null, addresses: { address: string; family: number }[]) => void)(null, [
          { address: "::1", family: 6 },
          { address: "127.0.0.1", family: 4 },
        ]),
    });
    try {
      await new Promise((resolve) => process.nextTick(resolve));
      assert.ok(client.connecting && Array.isArray(client.autoSelectFamilyAttemptedAddresses));
      assert.throws(() => setKeepAlive(client, { count: 4 }), { code: "ENOTCONN" });
      assert.equal(NetKeepAlive.setKeepAliveProbes(client, 4), true);
      await new Promise((resolve) => client.once("connect", resolve));
      assert.equal(getKeepAlive(client).count, 4);
    } finally {
      client.destroy();
      server.close();
    }
  });

  for (
    const [platform, expected] of [
      ["win32", { set: [false, false, false], get: [0, 0, 0] }],
      ["freebsd", { userTimeout: "setUserTimeout called on unsupported platform" }],
    ] as const
  ) {
    it(`on ${platform}, behaves as net-keepalive there (the platform name read as it loads)`, async () => {
      // A child whose process.platform says `platform` before the entry loads; its sockets are real.
      const program = `
        Object.defineProperty(process, "platform", { value: ${JSON.stringify(platform)} });
        const net = await import("node:net");
        const { default: K } = await import(${JSON.stringify(entry)});
        const server = net.createServer().listen(0, "127.0.0.1");
        await new Promise((r) => server.once("listening", r));
        const s = net.connect(server.address().port, "127.0.0.1");
        await new Promise((r) => s.once("connect", r));
        const out = {};
        try {
          out.set = [K.setUserTimeout(s, -1), K.setKeepAliveInterval(s, -1), K.setKeepAliveProbes(s, -1)];
          out.get = [K.getUserTimeout(s), K.getKeepAliveInterval(s), K.getKeepAliveProbes(s)];
        } catch (e) { out.userTimeout = e.message; out.code = e.code; }
        console.log(JSON.stringify(out));
        process.exit(0);`;
      const { stdout } = await run("node", ["--input-type=module", "-e", program], { cwd: root, timeout: 30_000 });
      const out = JSON.parse(stdout.trim().split("\n").at(-1)!);
      if ("set" in expected) {
        // -1 would be refused by any kernel call: false and 0 mean nothing was called.
        assert.deepEqual(out, expected);
      } else {
        assert.deepEqual(out, { userTimeout: expected.userTimeout, code: "ERR_ASSERTION" });
      }
    });
  }
});
