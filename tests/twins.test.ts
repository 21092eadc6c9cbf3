/**
 * Never a handle's twin, nor another holder's duplicate (issue 20, items 2 to 4): sockets that
 * share a connection's addresses and ports, told apart only by their interface (link-local
 * addresses on two links) or their network namespace (a thread that `unshare`d, sharing this fd
 * table), and fds that hold the very same socket.
 *
 * The twins live in private network namespaces this suite makes (`unshare --net`, two veth pairs
 * whose `va` and `vb` ends both carry fe80::1, one ephemeral port so that both connections get it);
 * tests/fixtures/twins_child.ts runs there and reports what it saw, read without sockopts (`ss`,
 * /proc/self/fd, the runtime's own getsockopt). Needs Linux, root, `unshare`, `ip` and `ss`.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, openSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { configureSockets, fdOf, setKeepAlive, SocketClosedError } from "../mod.ts";
import { findSockets } from "../src/handles/fd_index.ts";
import { useFdDirectory } from "../src/sys/fd_listing.ts";
import { runtimeCommand, runUnshare } from "./e2e/namespace.ts";
import { kernelKeepAlive } from "./support/kernel_options.ts";
import { tcpFd } from "./support/proc.ts";
import { denoOnly, runtimeName } from "./support/runtime.ts";

const CHILD = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "twins_child.ts");
const PREFIX = "TWINS ";
const CHILD_LIMIT_MS = 60_000;
const WAIT = { timeout: CHILD_LIMIT_MS + 10_000 };
// A count no other test uses: a socket carrying it was configured through the handle under test.
const MARK = { idle: 61_000, interval: 7_000, count: 7 };
// <bits/fcntl-linux.h>: a duplicate at the lowest free number from the third argument on.
const F_DUPFD = 0;
const F_DUPFD_CLOEXEC = 1030;

// Two veth pairs, `va` and `vb` carrying fe80::1 (no duplicate-address wait), and one ephemeral
// port, so that a connection to fe80::1 over each link gets the same local port: twins.
const LINKS = "for d in va vb; do ip link add $d type veth peer name ${d}p && ip link set ${d}p up && " +
  "ip link set $d up && ip addr add fe80::1/64 dev $d nodad || exit 1; done && " +
  "echo '40000 40000' > /proc/sys/net/ipv4/ip_local_port_range";

function unavailable(): string | false {
  if (process.platform !== "linux") return `needs Linux network namespaces (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return "needs root to create network namespaces";
  try {
    execFileSync("unshare", ["--net", "--", "sh", "-c", `ip link set lo up && ${LINKS} && ss -tn`], {
      stdio: "pipe",
      timeout: 10_000,
    });
  } catch (error) {
    return `cannot make veth links in a private network namespace (unshare, ip, ss): ${
      String((error as Error).message).split("\n")[0]
    }`;
  }
  return false;
}

const skip = unavailable();
if (skip) console.warn(`!!! twins (${runtimeName}): SKIPPED the link-local and namespace twins: ${skip} !!!`);

/** SO_KEEPALIVE, TCP_NODELAY and TCP_KEEPCNT of one socket, as the child read them. */
interface Flags {
  readonly keepAlive: number;
  readonly noDelay: number;
  readonly count: number;
}

/** What one round of the link-local mode saw: flags by link, and what each call did. */
interface Round {
  readonly before: Readonly<Record<"va" | "vb", Flags>>;
  readonly afterLookup: Readonly<Record<"va" | "vb", Flags>>;
  readonly after: Readonly<Record<"va" | "vb", Flags>>;
  readonly resolved: string;
  readonly set: string;
  readonly twin: string;
}

interface Configured {
  readonly interfaces: string[];
  readonly counts: Record<string, number>;
}

interface ZoneFacts {
  readonly index: Readonly<Record<"va" | "vb", number>>;
  readonly clients: string[];
  readonly rows: unknown[];
  readonly byName: Configured;
  readonly byIndex: Configured;
  readonly bracketed: Configured;
  readonly noZone: Configured;
  readonly policy: Configured;
}

type LinkLocalFacts = Readonly<Record<string, Round>> & {
  readonly "fd index": Pick<Round, "before" | "afterLookup" | "resolved"> & { readonly known: string };
  readonly "node:net": Pick<Round, "before" | "after" | "set"> & { readonly resolved: string[] };
  readonly closed: { readonly set: string; readonly twinBefore: Flags; readonly twinAfter: Flags };
};

interface NetnsFacts {
  readonly moved: string;
  readonly own: Record<string, number>;
  readonly found: Record<string, unknown>;
  readonly twinBelow: boolean;
  readonly warmed: string;
  readonly before: Flags[];
  readonly afterLookup: Flags[];
  readonly set: string;
  readonly counts: { readonly own: number; readonly twin: number };
}

/** Runs the child in a fresh namespace (with the two links for the link-local modes) and returns its facts. */
async function facts<T>(mode: "link-local" | "zone" | "netns"): Promise<T> {
  const setup = mode === "netns" ? "ip link set lo up" : `ip link set lo up && ${LINKS}`;
  const run = await runUnshare(
    ["--net", "--", "sh", "-c", `${setup} && exec "$@"`, "sh", ...runtimeCommand(CHILD, [mode])],
    CHILD_LIMIT_MS,
  );
  const line = run.stdout.split("\n").find((l) => l.startsWith(PREFIX));
  if (line === undefined || run.code !== 0) {
    const why = run.timedOut ? `killed after ${CHILD_LIMIT_MS} ms` : `exit ${run.code ?? run.signal}`;
    throw new Error(`twins child ${mode} failed (${why})\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`);
  }
  return JSON.parse(line.slice(PREFIX.length));
}

describe("link-local twins: the same fe80::1 addresses and ports over two interfaces", { skip }, () => {
  it("configureSockets with a zone configures the connection over that interface only", WAIT, async () => {
    const seen = await facts<ZoneFacts>("zone");
    assert.deepEqual(seen.clients, ["va", "vb"], "the twins were made");
    // tcpSockets reports each end's interface, as its index.
    assert.deepEqual(seen.rows, [
      { link: "va", local: seen.index.va, remote: seen.index.va },
      { link: "vb", local: seen.index.vb, remote: seen.index.vb },
    ]);
    assert.deepEqual(seen.byName, { interfaces: ["va"], counts: { va: 5, vb: 9 } }, "fe80::1%va");
    assert.deepEqual(seen.byIndex, { interfaces: ["vb"], counts: { va: 5, vb: 6 } }, "fe80::1%<index of vb>");
    assert.deepEqual(seen.bracketed, { interfaces: ["vb"], counts: { va: 5, vb: 8 } }, "[fe80::1%vb]");
    assert.deepEqual(seen.noZone, { interfaces: ["va", "vb"], counts: { va: 4, vb: 4 } }, "no zone: both links");
    assert.deepEqual(seen.policy, { interfaces: ["vb"], counts: { va: 4, vb: 3 } }, "keepConfigured, fe80::1%vb");
  });

  it("a Deno.Conn resolves to its own socket, picked out by the connection itself, or is refused", {
    ...WAIT,
    skip: denoOnly,
  }, async () => {
    const seen = await facts<LinkLocalFacts>("link-local");
    const untouched = (round: Round, what: string) =>
      assert.deepEqual(round.afterLookup, round.before, `${what}: the lookup changed a socket's flags`);
    for (const name of ["twin keep-alive on", "own keep-alive on", "both keep-alive on, own no-delay"]) {
      const round = seen[name];
      assert.equal(round.resolved, "va", `${name}: fdOf(a) named the ${round.resolved} socket`);
      untouched(round, name);
      assert.equal(round.set, "ok", name);
      assert.equal(round.after.va.count, MARK.count, `${name}: the connection's own socket was configured`);
      assert.deepEqual(round.after.vb, round.before.vb, `${name}: the twin was touched`);
      // The twin's own handle finds the other socket: a picked socket is claimed.
      assert.equal(round.twin, "vb", `${name}: fdOf(b)`);
    }
    // Keep-alive on and Nagle on in both: nothing the connection can flip without a lasting change.
    const alike = seen["both alike"];
    assert.equal(alike.resolved, "AmbiguousSocketError");
    assert.equal(alike.set, "AmbiguousSocketError");
    untouched(alike, "both alike");
    assert.deepEqual(alike.after, alike.before, "both alike: a socket was configured");
    // node:net under Deno: no flip to make, so refused, and nothing touched.
    const node = seen["node:net"];
    assert.deepEqual(node.resolved, ["AmbiguousSocketError", "AmbiguousSocketError"], "node:net accepted twins");
    assert.equal(node.set, "AmbiguousSocketError");
    assert.deepEqual(node.after, node.before, "node:net: a socket was configured");
    // The fd index (no sock_diag), which knew the twin before the connection opened: a full listing.
    const indexed = seen["fd index"];
    assert.equal(indexed.known, "vb", "fdOf(b), through the fd index");
    assert.equal(indexed.resolved, "va", "fdOf(a), through the fd index");
    assert.deepEqual(indexed.afterLookup, indexed.before, "fd index: the lookup changed a socket's flags");
    // Closed before its first use: SocketClosedError, the twin left alone.
    assert.equal(seen.closed.set, "SocketClosedError");
    assert.deepEqual(seen.closed.twinAfter, seen.closed.twinBefore);
  });
});

describe("a twin in another network namespace: a Worker thread that unshare()d, sharing the fd table", {
  skip: skip || denoOnly,
}, () => {
  it("is never taken for a Deno.Conn or a node:net socket, by sock_diag or by the fd index", WAIT, async () => {
    const seen = await facts<NetnsFacts>("netns");
    assert.ok(seen.twinBelow, `the twins took fds below the handles' own (${JSON.stringify(seen)})`);
    assert.equal(seen.warmed, "SocketClosedError");
    assert.deepEqual(seen.found, seen.own, "each handle resolved to its own fd, not its twin's");
    assert.deepEqual(seen.afterLookup, seen.before, "a lookup changed a handle's socket (the twin has keep-alive on)");
    assert.equal(seen.set, "ok");
    assert.deepEqual(seen.counts, { own: MARK.count, twin: 9 }, "the twin was configured");
    // The worker's own connection, opened before it moved: looked for in its new namespace.
    assert.equal(seen.moved, "SocketClosedError");
  });
});

describe("a duplicate another holder made (dup)", { skip: denoOnly }, () => {
  // The FFI the duplicate is made with, as a native library beside the runtime would.
  const libc = () =>
    Deno.dlopen("libc.so.6", {
      dup: { parameters: ["i32"], result: "i32" },
      fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
      close: { parameters: ["i32"], result: "i32" },
    });

  /** Opens /dev/null on every free number below the highest open fd: the next fds go above. */
  function fillGaps(): number[] {
    const open = new Set(readdirSync("/proc/self/fd").map(Number));
    const highest = Math.max(...open);
    const opened: number[] = [];
    for (let fd = 0; fd < highest; fd++) if (!open.has(fd)) opened.push(openSync("/dev/null", "r"));
    return opened;
  }

  it("is never settled on: after conn.close() every call is SocketClosedError", async () => {
    const lib = libc();
    // No free number below the connections: the lookup by inode then meets each duplicate (above
    // its socket's own fd, just below the lowest free number) first.
    const padding = fillGaps();
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    const conns: Deno.Conn[] = [];
    const dups: number[] = [];
    try {
      // Deno.connect (no fd of its own known): the duplicate is the newest fd, where the lookup
      // by inode looks first.
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      const accepted = await listener.accept();
      conns.push(conn, accepted);
      // An accepted connection, whose own fd Deno keeps: { all: true } too answers with it, even
      // beside a newer duplicate made close-on-exec (F_DUPFD_CLOEXEC), which nothing else tells apart.
      const acceptedOwn = tcpFd(port, (conn.localAddr as Deno.NetAddr).port);
      dups.push(lib.symbols.fcntl(acceptedOwn, F_DUPFD_CLOEXEC, acceptedOwn + 1));
      assert.ok(dups[0] > acceptedOwn, `the duplicate (${dups[0]}) sits above the accepted fd (${acceptedOwn})`);
      assert.deepEqual(fdOf(accepted, { all: true }), [acceptedOwn]);
      const own = tcpFd((conn.localAddr as Deno.NetAddr).port, port);
      const dup = lib.symbols.fcntl(own, F_DUPFD, own + 1); // as dup(), but above
      dups.push(dup);
      assert.ok(dup > own, `the duplicate (${dup}) sits above the connection's fd (${own})`);
      assert.equal(fdOf(conn), own);

      // Closed: the duplicates still hold both sockets, and neither is touched.
      const before = dups.map(kernelKeepAlive);
      conn.close();
      accepted.close();
      assert.throws(() => setKeepAlive(conn, MARK), SocketClosedError);
      assert.throws(() => setKeepAlive(accepted, MARK), SocketClosedError);
      assert.deepEqual(dups.map(kernelKeepAlive), before, "a socket only a duplicate holds was configured");

      // Where sock_diag cannot be asked: the index, which goes by fd order, meets a duplicate
      // below the connection's own fd first.
      const low = openSync("/dev/null", "r"); // freed for the duplicate once the connection is above it
      const third = await Deno.connect({ hostname: "127.0.0.1", port });
      conns.push(third, await listener.accept());
      const thirdOwn = tcpFd((third.localAddr as Deno.NetAddr).port, port);
      closeSync(low);
      const below = lib.symbols.dup(thirdOwn);
      dups.push(below);
      assert.ok(below < thirdOwn, `the duplicate (${below}) sits below the connection's fd (${thirdOwn})`);
      useFdDirectory("/proc/self/fd");
      try {
        assert.equal(fdOf(third), thirdOwn);
      } finally {
        useFdDirectory(undefined);
      }
      const kept = kernelKeepAlive(below);
      third.close();
      assert.throws(() => setKeepAlive(third, MARK), SocketClosedError);
      assert.deepEqual(kernelKeepAlive(below), kept);
    } finally {
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // closed above
        }
      }
      listener.close();
      for (const fd of dups) lib.symbols.close(fd);
      for (const fd of padding) closeSync(fd);
      lib.close();
    }
  });
});

describe("the closed check of a Deno.TcpConn", { skip: denoOnly }, () => {
  it("sets nothing through the connection unless the lookup saw every fd it could be", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    const conns: Deno.Conn[] = [];
    try {
      // Each connection's own setKeepAlive, counted: the check calls it with the flag's own value.
      const counted = async () => {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        conns.push(conn, await listener.accept());
        const calls: boolean[] = [];
        const own = conn.setKeepAlive.bind(conn);
        Object.defineProperty(conn, "setKeepAlive", { value: (on: boolean) => (calls.push(on), own(on)) });
        return { conn, calls, fd: tcpFd((conn.localAddr as Deno.NetAddr).port, port) };
      };
      // sock_diag names every socket of the namespace at those addresses: the fd is the one.
      const whole = await counted();
      assert.equal(fdOf(whole.conn), whole.fd);
      assert.deepEqual(whole.calls, [false], "the check through the connection");
      // The fd index alone, answering from what its last full listing saw (a socket opened since
      // could be a twin it never saw): Deno's resource table is asked instead.
      const partial = await counted();
      useFdDirectory("/proc/self/fd");
      try {
        findSockets({ kind: "listener", ip: "127.0.0.1", port }, true); // a full listing
        assert.equal(fdOf(partial.conn), partial.fd);
      } finally {
        useFdDirectory(undefined);
      }
      assert.deepEqual(partial.calls, [], "a flag was set through a connection whose fd was not proven");
    } finally {
      for (const c of conns) c.close();
      listener.close();
    }
  });
});

describe("a filter's zone", () => {
  it("is checked before anything is touched: an address with no zone, or an interface not here", () => {
    const settings = { keepAlive: { idle: 60_000 } };
    for (
      const [host, message] of [
        ["fe80::1%nosuch0", /remoteHost "fe80::1%nosuch0" names no interface of this host \("nosuch0"\)/],
        ["fe80::1%", /names no interface of this host \(""\)/],
        ["fe80::1%0", /names no interface of this host \("0"\)/],
        ["10.0.0.1%lo", /remoteHost "10\.0\.0\.1%lo" has a zone, which only link-local \(fe80::\/10\) addresses have/],
        ["2001:db8::1%lo", /has a zone, which only link-local/],
      ] as const
    ) {
      assert.throws(() => configureSockets({ remoteHost: host, remotePort: 1 }, settings), {
        name: "TypeError",
        message: new RegExp(`^Cannot configure sockets: .*${message.source}`),
      }, host);
    }
    // `lo` exists everywhere: a link-local zone naming it is accepted (and matches nothing here).
    assert.equal(configureSockets({ remoteHost: "fe80::1%lo", remotePort: 1 }, settings).length, 0);
  });
});
