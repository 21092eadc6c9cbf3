/**
 * The `sockopts` command on the wire: a running Deno program whose two connections have the
 * kernel's default keep-alive (off) is fixed from outside with `sockopts set --detect-within 5s`
 * on one of them; then every packet to and from both servers is dropped (nftables, inside the
 * program's own private network namespace). The fixed connection fails with ETIMEDOUT within the
 * bound, the other is still open 8 s later, and `sockopts watch`, running meanwhile, shows the
 * probes going out and then the connection gone.
 *
 * Needs Linux, root, `unshare`, `ip`, `ss` and `nft`; anywhere else it is skipped with one line.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { namespaceUnavailable } from "./e2e/namespace.ts";
import { runtimeName } from "./support/runtime.ts";
import { sockopts, startTarget, type Target } from "./cli/harness.ts";

const unavailable = namespaceUnavailable();
if (unavailable) {
  console.warn(`!!! cli dead peer (${runtimeName}): SKIPPED the command on the wire: ${unavailable} !!!`);
}

const BOUND = 5_000;

interface Frame {
  readonly refresh: number;
  readonly process?: { sockets: { fd: number; remote: string; state: string; live: { probes: number } }[] };
  readonly closed?: { socket: { fd: number; remote: string; state: string } }[];
}

describe(`sockopts set on a running process, then a dead peer (the command under ${runtimeName})`, {
  skip: unavailable,
}, () => {
  let target: Target;
  before(async () => {
    target = await startTarget("dead-peer", { isolated: true });
  });
  after(() => target?.stop());

  it("the fixed connection notices within 5 s, the other does not in 8 s; watch shows the probes and the end", {
    timeout: 90_000,
  }, async () => {
    const pid = String(target.pid);
    const set = await sockopts(["set", "--pid", pid, "--remote-port", String(target.db), "--detect-within", "5s"]);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /: 1 changed,/);
    // Watching from outside while the peer goes silent: every 500 ms for 9 s.
    const watching = sockopts([
      "watch",
      "--pid",
      pid,
      "--remote-port",
      String(target.db),
      "--period",
      "500ms",
      "--times",
      "18",
      "--json",
    ]);
    const cut = await target.cut();
    console.log(`db (fixed): ${JSON.stringify(cut.db)}, cache (left alone): ${JSON.stringify(cut.cache)}`);
    assert.equal(cut.db.code, "ETIMEDOUT");
    assert.ok(cut.db.ms <= BOUND, `noticed after ${cut.db.ms} ms, bound ${BOUND} ms`);
    assert.ok(cut.db.ms >= 3_000, `not before the probes could have gone unanswered (${cut.db.ms} ms)`);
    assert.equal(cut.cache.code, null, "the connection sockopts left alone still looks open after 8 s");

    const watch = await watching;
    assert.equal(watch.code, 0, watch.stderr);
    const frames = watch.stdout.trim().split("\n").map((line) => JSON.parse(line) as Frame);
    assert.equal(frames.length, 18);
    const fd = frames[0].process!.sockets[0].fd;
    assert.deepEqual(frames[0].process!.sockets.map((s) => s.fd), [fd], "one connection to the db server");
    const probes = frames.flatMap((f) => f.process!.sockets.map((s) => s.live.probes));
    console.log(`probes seen by watch: ${probes.join(" ")}`);
    assert.ok(probes.some((n) => n >= 2), "watch saw keep-alive probes go out unanswered");
    // Once the kernel gives up, the socket has no peer any more (so the filter no longer matches:
    // gone from the view) or shows as CLOSE, until the program closes its fd.
    const states = frames.map((f) => f.process!.sockets.find((s) => s.fd === fd)?.state ?? "gone");
    console.log(`states seen by watch: ${states.join(" ")}`);
    const ended = states.findIndex((state) => state !== "ESTABLISHED");
    assert.ok(ended > 0, "watch saw the connection end");
    assert.ok(states.slice(ended).every((state) => state === "CLOSE" || state === "gone"), "and it stayed ended");
    const gone = states.indexOf("gone");
    if (gone > 0) assert.ok(frames[gone].closed!.some((c) => c.socket.fd === fd), "listed as closed when it went");
  });
});
