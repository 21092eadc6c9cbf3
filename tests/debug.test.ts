/**
 * The debug view (src/sys/debug.ts): silent by default, on through `setDebug(listener)` or
 * `SOCKOPTS_DEBUG=1`, reporting how handles resolved, the system calls with their values and
 * errno, and what configureSockets matched and skipped. The example in docs/debugging.md runs
 * here as it is written.
 */
import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { configureSockets, type DebugEvent, fdOf, getKeepAlive, setDebug, setKeepAlive } from "../mod.ts";
import { root, run } from "./support/exec.ts";
import { tcpPair } from "./support/net.ts";
import { isDeno, scriptArgs } from "./support/runtime.ts";

const MINUTE = 60_000;
const linux = process.platform === "linux";

function recording(): DebugEvent[] {
  const events: DebugEvent[] = [];
  setDebug((event) => events.push(event));
  return events;
}

/** Runs a script under this runtime, with `env`; Deno gets `denoFlags` beyond --allow-ffi/--allow-net. */
async function runScript(code: string, env: Record<string, string>, denoFlags: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), "sockopts-debug-"));
  try {
    const file = join(dir, "script.ts");
    writeFileSync(file, code.replaceAll('from "sockopts"', `from "${pathToFileURL(join(root, "mod.ts")).href}"`));
    const args = scriptArgs(file, [], ["--allow-ffi", "--allow-net", ...denoFlags]);
    return await run(process.execPath, args, { cwd: dir, timeout: MINUTE, env });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the debug view", () => {
  afterEach(() => setDebug(null));

  it("reports an fd handle and each setsockopt with the kernel's value, then nothing once off", async () => {
    const pair = await tcpPair();
    try {
      const events = recording();
      setKeepAlive(pair.clientFd, { idle: 30_000, interval: 5_000, count: 3 });
      setDebug(null);
      getKeepAlive(pair.clientFd);
      const handle = events.filter((e) => e.kind === "handle");
      assert.deepEqual(handle.map((e) => [e.fd, e.route, e.identity, e.handle]), [
        [pair.clientFd, "number", "none", "number"],
      ]);
      const calls = events.flatMap((e) => e.kind === "syscall" ? [e] : []);
      assert.ok(calls.every((e) => e.call === "setsockopt" && e.fd === pair.clientFd && e.result === 0));
      assert.ok(calls.every((e) => e.errno === null && e.bytes === 4));
      const byOption = Object.fromEntries(calls.map((e) => [e.option, e.value]));
      assert.deepEqual(byOption, { TCP_KEEPIDLE: 30, TCP_KEEPINTVL: 5, TCP_KEEPCNT: 3, SO_KEEPALIVE: 1 });
      assert.match(
        calls[0].message,
        new RegExp(`^setsockopt\\(${pair.clientFd}, \\d+, \\d+ TCP_KEEPIDLE, 30, 4\\) = 0$`),
      );
      assert.equal(events.length, 5, "setDebug(null) stopped the reports");
    } finally {
      await pair.close();
    }
  });

  it("reports a getsockopt's value read back, and a failed call's errno", () => {
    const events = recording();
    assert.throws(() => getKeepAlive(1_000_000));
    const failed = events.flatMap((e) => e.kind === "syscall" ? [e] : []);
    assert.equal(failed[0].call, "getsockopt");
    assert.equal(failed[0].result, -1);
    assert.equal(failed[0].errno, "EBADF");
    assert.equal(failed[0].value, null);
    assert.match(failed[0].message, / = -1 EBADF$/);
  });

  it("names each runtime's own handles by their class, not Object", async () => {
    const bun = (globalThis as { Bun?: typeof Bun }).Bun;
    const names: string[] = [];
    setDebug((event) => event.kind === "handle" && names.push(event.handle));
    if (bun !== undefined) {
      const listener = bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
      const socket = await bun.connect({ hostname: "127.0.0.1", port: listener.port, socket: { data() {} } });
      try {
        fdOf(socket);
        fdOf(listener);
        assert.deepEqual(names, ["TCPSocket", "Listener"]);
      } finally {
        socket.end();
        listener.stop(true);
      }
    } else if (isDeno) {
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port });
      try {
        fdOf(conn);
        fdOf(listener);
        assert.deepEqual(names, ["TcpConn", "Listener"]);
      } finally {
        conn.close();
        listener.close();
      }
    } else {
      const pair = await tcpPair();
      try {
        fdOf(pair.client);
        fdOf(pair.server);
        assert.deepEqual(names, ["Socket", "Server"]);
      } finally {
        await pair.close();
      }
    }
  });

  it("reports how a node:net socket resolved: the runtime's fd in Bun, its addresses then the cache in Deno", async () => {
    const pair = await tcpPair();
    try {
      const events = recording();
      setKeepAlive(pair.client, { idle: 40_000 });
      const read = getKeepAlive(pair.client);
      assert.equal(read.idle, 40_000);
      assert.equal(fdOf(pair.client), pair.clientFd);
      const handles = events.flatMap((e) => e.kind === "handle" ? [e] : []);
      assert.equal(handles.length, 3);
      assert.ok(handles.every((e) => e.fd === pair.clientFd && e.handle === "Socket"));
      const reads = events.flatMap((e) => e.kind === "syscall" && e.call === "getsockopt" ? [e] : []);
      assert.equal(reads.find((e) => e.option === "TCP_KEEPIDLE")?.value, 40, "the value read back, in seconds");
      if (!isDeno) {
        assert.deepEqual(handles.map((e) => [e.route, e.identity]), [
          ["runtime fd", "none"],
          ["runtime fd", "none"],
          ["runtime fd", "none"],
        ]);
      } else {
        const check = linux ? "SO_COOKIE" : "addresses";
        assert.deepEqual(handles.map((e) => [e.route, e.identity]), [
          ["addresses", check],
          ["cached", check],
          ["cached", check],
        ]);
      }
    } finally {
      await pair.close();
    }
  });

  it("reports what configureSockets matched and why it skipped the rest", async () => {
    const a = await tcpPair();
    const b = await tcpPair();
    try {
      const events = recording();
      const changed = configureSockets({ remotePort: a.port }, { keepAlive: { idle: 50_000 } });
      assert.deepEqual(changed.map((s) => s.fd), [a.clientFd]);
      const seen = events.flatMap((e) => e.kind === "configure" ? [e] : []);
      const matched = seen.filter((e) => e.matched);
      assert.deepEqual(matched.map((e) => [e.fd, e.reason, e.message]), [
        [a.clientFd, null, `configure fd ${a.clientFd}: matched`],
      ]);
      const skippedB = seen.find((e) => e.fd === b.clientFd);
      assert.equal(skippedB?.matched, false);
      assert.equal(skippedB?.reason, `remotePort is ${b.port}, not ${a.port}`);
      const listener = seen.find((e) => e.fd === a.listenerFd);
      assert.equal(listener?.reason, `no remote end, not remotePort ${a.port}`);
      // configureSockets sets through a duplicate of the socket's fd, which each event names.
      const sets = events.flatMap((e) => e.kind === "syscall" && e.call === "setsockopt" ? [e] : []);
      assert.ok(sets.length > 0);
      assert.deepEqual(sets.filter((e) => e.duplicateOf !== a.clientFd), [], "nothing set on a skipped socket");
      assert.match(
        sets[0].message,
        new RegExp(`^setsockopt\\(${sets[0].fd}, .* \\(a duplicate of fd ${a.clientFd}\\)$`),
      );
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("switches off a listener that throws, and the call it watched still succeeds", async () => {
    const pair = await tcpPair();
    const original = console.error;
    const printed: unknown[] = [];
    console.error = (...args: unknown[]) => printed.push(args);
    try {
      let calls = 0;
      setDebug(() => {
        calls++;
        throw new Error("listener bug");
      });
      setKeepAlive(pair.clientFd, { idle: 20_000 });
      assert.equal(getKeepAlive(pair.clientFd).idle, 20_000);
      assert.equal(calls, 1);
      assert.equal(printed.length, 1);
    } finally {
      console.error = original;
      await pair.close();
    }
  });

  it("refuses a listener that is not a function or null", () => {
    assert.throws(() => setDebug("yes" as unknown as null), {
      name: "TypeError",
      message: "Cannot set the debug listener: expected a function or null, got string",
    });
  });

  it("docs/debugging.md's example prints the handle and the four setsockopt calls", async () => {
    const section = readFileSync(join(root, "docs", "debugging.md"), "utf8");
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(code !== undefined);
    const { stdout, stderr } = await runScript(code, {});
    assert.equal(stderr.includes("sockopts:"), false, "nothing on stderr");
    const lines = stdout.trim().split("\n");
    const route = !isDeno ? "runtime fd; identity: none" : `addresses; identity: ${linux ? "SO_COOKIE" : "addresses"}`;
    assert.match(lines[0], new RegExp(`^handle Socket -> fd (\\d+) \\(${route}\\)$`));
    const fd = /fd (\d+)/.exec(lines[0])![1];
    const values = lines.slice(1).map((line) => /^setsockopt\((\d+), \d+, \d+ (\w+), (\d+), 4\) = 0$/.exec(line));
    assert.ok(values.every((m) => m !== null && m[1] === fd), stdout);
    assert.deepEqual(values.map((m) => [m![2], m![3]]), [
      ["TCP_KEEPIDLE", "30"],
      ["TCP_KEEPINTVL", "5"],
      ["TCP_KEEPCNT", "3"],
      ["SO_KEEPALIVE", "1"],
    ]);
    // docs/debugging.md shows the output; its lines have the same shape.
    assert.match(section, /^setsockopt\(\d+, 6, 4 TCP_KEEPIDLE, 30, 4\) = 0$/m);
  });

  const PROGRAM = `
import { createConnection, createServer } from "node:net";
import { getKeepAlive } from "sockopts";
const server = createServer().listen(0, "127.0.0.1");
await new Promise((resolve) => server.once("listening", resolve));
const socket = createConnection({ host: "127.0.0.1", port: (server.address() as { port: number }).port });
await new Promise((resolve) => socket.once("connect", resolve));
console.log(JSON.stringify(getKeepAlive(socket)));
socket.destroy();
server.close();
`;

  it("is silent by default, and SOCKOPTS_DEBUG=1 prints each event to stderr", async () => {
    const quiet = await runScript(PROGRAM, {}, ["--allow-env"]);
    assert.equal(quiet.stderr.includes("sockopts:"), false, quiet.stderr);
    assert.match(quiet.stdout, /"enable":false/);
    const loud = await runScript(PROGRAM, { SOCKOPTS_DEBUG: "1" }, ["--allow-env=SOCKOPTS_DEBUG"]);
    assert.match(loud.stdout, /"enable":false/);
    assert.match(loud.stderr, /^sockopts: handle Socket -> fd \d+ /m);
    assert.equal(loud.stderr.match(/^sockopts: getsockopt\(/gm)?.length, 4, loud.stderr);
    const off = await runScript(PROGRAM, { SOCKOPTS_DEBUG: "0" }, ["--allow-env"]);
    assert.equal(off.stderr.includes("sockopts:"), false, off.stderr);
  });

  it("in Deno without --allow-env, SOCKOPTS_DEBUG is not read: no prompt, no error, no output", {
    skip: isDeno ? false : "Deno's permissions only",
  }, async () => {
    const result = await runScript(PROGRAM, { SOCKOPTS_DEBUG: "1" });
    assert.match(result.stdout, /"enable":false/);
    assert.equal(result.stderr.includes("sockopts:"), false, result.stderr);
    assert.equal(result.stderr.includes("NotCapable"), false, result.stderr);
  });
});
