/**
 * configureSockets never returns a silent `[]`: it says what it saw and skipped, `atLeast` turns
 * "nothing matched" into an error that names what was there, and a filter that names nothing is
 * refused. tcpSockets rows carry flat text columns.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configureSockets, NothingMatchedError, tcpSockets } from "../mod.ts";
import { tcpPair } from "./support/net.ts";
import { spawn } from "node:child_process";

/** This process's Unix-domain sockets by fd, with the inodes /proc/net/unix lists. */
function unixSockets(): { fd: number }[] {
  const inodes = new Set<string>();
  for (const line of readFileSync("/proc/net/unix", "utf8").split("\n").slice(1)) {
    const cells = line.trim().split(/\s+/);
    if (cells.length >= 7) inodes.add(cells[6]);
  }
  return readdirSync("/proc/self/fd").flatMap((name) => {
    let link = "";
    try {
      link = readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      return [];
    }
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
    return inode !== undefined && inodes.has(inode) ? [{ fd: Number(name) }] : [];
  });
}

describe("configureSockets reports what it matched and skipped", () => {
  it("lists non-matching TCP sockets with the field that differed", async () => {
    const pair = await tcpPair();
    try {
      const result = configureSockets({ remotePort: pair.port, localPort: 1 }, { detectWithin: 10_000 });
      assert.equal(result.length, 0);
      assert.ok(result.seen >= 3, `the listener and both ends were seen (${result.seen})`);
      const client = result.skipped.find((s) => s.fd === pair.clientFd);
      assert.ok(client, "the client end is among the skipped");
      assert.equal(client.reason, "filter");
      assert.equal(client.detail, `localPort is ${pair.clientPort}, not 1`);
      const accepted = result.skipped.find((s) => s.fd === pair.acceptedFd);
      assert.equal(accepted?.detail, `remotePort is ${pair.clientPort}, not ${pair.port}`);
      const listener = result.skipped.find((s) => s.fd === pair.listenerFd);
      assert.equal(listener?.detail, `no remote end, not remotePort ${pair.port}`);
      const ok = configureSockets({ remotePort: pair.port }, { detectWithin: 10_000 });
      assert.deepEqual(ok.map((s) => s.fd), [pair.clientFd]);
    } finally {
      await pair.close();
    }
  });

  it("reports Unix-domain sockets as not TCP", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sockopts-unix-"));
    const path = join(dir, "pg.sock");
    const srv = net.createServer((s) => s.on("error", () => {}));
    await new Promise<void>((resolve) => srv.listen(path, resolve));
    const client = net.connect(path);
    await new Promise<void>((resolve) => client.once("connect", resolve));
    try {
      const result = configureSockets({ remotePort: 5432 }, { detectWithin: 10_000 });
      const unix = result.skipped.filter((s) => s.kind === "unix");
      assert.ok(unix.length >= 2, "the listener and the connection");
      assert.ok(unix.every((s) => s.reason === "not-tcp" && s.detail === "a Unix-domain stream socket"));
    } finally {
      client.destroy();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("leaves out unnamed Unix-domain sockets: the runtime's own pairs and a child's pipes, no driver's", async () => {
    // A child with piped stdio: libuv (Node, Deno's node:child_process) makes each pipe a socketpair.
    const child = spawn("sleep", ["30"], { stdio: ["pipe", "pipe", "pipe"] });
    // Before any named socket exists, every Unix-domain socket here is unnamed.
    const unnamed = unixSockets().map((s) => s.fd);
    const dir = mkdtempSync(join(tmpdir(), "sockopts-unix-"));
    const srv = net.createServer((s) => s.on("error", () => {}));
    await new Promise<void>((resolve) => srv.listen(join(dir, "pg.sock"), resolve));
    const client = net.connect(join(dir, "pg.sock"));
    await new Promise<void>((resolve) => client.once("connect", resolve));
    try {
      assert.ok(unnamed.length > 0, "this process holds unnamed Unix-domain sockets to leave out");
      // The listener, the accepted end and the client: named at one end or the other.
      const named = unixSockets().map((s) => s.fd).filter((fd) => !unnamed.includes(fd));
      assert.ok(named.length >= 3, `the listener, its connection and the client: ${named}`);
      const reported = configureSockets({ remotePort: 5432 }, { detectWithin: 10_000 }).skipped
        .filter((s) => s.kind === "unix").map((s) => s.fd);
      assert.deepEqual(reported.filter((fd) => unnamed.includes(fd)), [], "no unnamed socket is reported");
      assert.ok(named.every((fd) => reported.includes(fd)), `the named ones are: ${named} in ${reported}`);
    } finally {
      child.kill();
      client.destroy();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("atLeast makes nothing matched an error that says what was seen", async () => {
    const pair = await tcpPair();
    try {
      const wrong = pair.port === 65535 ? 65534 : pair.port + 1; // a mistyped port
      let caught: unknown;
      try {
        configureSockets({ remotePort: wrong }, { detectWithin: 10_000 }, { atLeast: 1 });
      } catch (error) {
        caught = error;
      }
      assert.ok(caught instanceof NothingMatchedError, "thrown");
      assert.equal(caught.name, "NothingMatchedError");
      assert.match(
        caught.message,
        new RegExp(
          `^Cannot configure sockets: 0 of \\d+ TCP sockets configured for filter \\{"remotePort":${wrong}\\}`,
        ),
      );
      assert.match(caught.message, new RegExp(`127\\.0\\.0\\.1:${pair.clientPort} -> 127\\.0\\.0\\.1:${pair.port}`));
      assert.match(caught.message, new RegExp(`remotePort is ${pair.port}, not ${wrong}`));
      assert.equal(caught.result.length, 0);
      assert.equal(
        configureSockets({ remotePort: pair.port }, { detectWithin: 10_000 }, { atLeast: 1 }).length,
        1,
        "met: no error",
      );
      assert.throws(() => configureSockets({ remotePort: 1 }, { detectWithin: 10_000 }, { atLeast: -1 }), RangeError);
    } finally {
      await pair.close();
    }
  });

  it("refuses a filter that names nothing, unless all: true says so", async () => {
    for (const filter of [{}, { listening: false }]) {
      assert.throws(() => configureSockets(filter, { detectWithin: 10_000 }), {
        name: "TypeError",
        message:
          /^Cannot configure sockets: the filter names no remotePort, remoteHost or localPort, .* \{ all: true \}/,
      });
    }
    const pair = await tcpPair();
    try {
      const every = configureSockets({ all: true }, { keepAlive: { idle: 9_000 } });
      assert.ok(every.some((s) => s.fd === pair.clientFd) && every.some((s) => s.fd === pair.listenerFd));
      assert.deepEqual(
        configureSockets({ listening: true, localPort: pair.port }, { keepAlive: { idle: 9_000 } }).map((s) => s.fd),
        [pair.listenerFd],
      );
      assert.throws(() => configureSockets({ all: false } as never, { detectWithin: 10_000 }), /all must be true/);
    } finally {
      await pair.close();
    }
  });

  it("gives tcpSockets rows flat text columns for console.table", async () => {
    const pair = await tcpPair();
    try {
      const client = tcpSockets().find((s) => s.fd === pair.clientFd);
      assert.ok(client);
      assert.equal(client.localText, `127.0.0.1:${pair.clientPort}`);
      assert.equal(client.remoteText, `127.0.0.1:${pair.port}`);
      assert.equal(client.stateName, "ESTABLISHED");
      const listener = tcpSockets().find((s) => s.fd === pair.listenerFd);
      assert.equal(listener?.remoteText, "-");
    } finally {
      await pair.close();
    }
  });
});
