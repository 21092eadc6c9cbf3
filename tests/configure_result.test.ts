/**
 * configureSockets never returns a silent `[]`: it says what it saw and skipped, `atLeast` turns
 * "nothing matched" into an error that names what was there, and a filter that names nothing is
 * refused. tcpSockets rows carry flat text columns.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configureSockets, NothingMatchedError, tcpSockets } from "../mod.ts";
import { tcpPair } from "./support/net.ts";

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
