import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import process from "node:process";
import {
  getOption,
  getTcpInfo,
  type OptionName,
  options,
  type OptionValue,
  setOption,
  setsockoptRaw,
  type SockoptError,
  type WritableOptionName,
} from "../mod.ts";
import { linux } from "../platforms/linux/constants.ts";
import { type TcpPair, tcpPair, udpSocket } from "./support/net.ts";
import { bunOnly } from "./support/runtime.ts";
import { ssConnection, ssMissing } from "./support/ss.ts";

// Every test here opens sockets: a hang fails that test after this long instead of the run.
const LIMIT = { timeout: 60_000 };

const INT_MAX = 2147483647;
// A number no process can have open: a system call on it is EBADF, so any other error proves none was made.
const NEVER_OPEN = 2_000_000_000;

const sysctl = (path: string): string => readFileSync(`/proc/sys/${path}`, "utf8").trim();

async function withPair(check: (pair: TcpPair) => void | Promise<void>): Promise<void> {
  const pair = await tcpPair();
  try {
    await check(pair);
  } finally {
    await pair.close();
  }
}

function roundTrip<N extends WritableOptionName>(fd: number, name: N, values: readonly OptionValue<N>[]): void {
  for (const value of values) {
    setOption(fd, name, value);
    assert.deepEqual(getOption(fd, name), value, `${name} = ${JSON.stringify(value, (_, v) => v)}`);
  }
}

function int32(value: number): Uint8Array {
  return new Uint8Array(new Int32Array([value]).buffer);
}

/** Linux's optname and level for an option, from the table. */
function onLinux(name: OptionName) {
  const constant = options[name].os.linux;
  assert.ok(constant, name);
  return constant;
}

// Every writable option: how it round-trips on Linux, or the quirk the kernel shows instead.
// A mapped type, so an option added to the table without a case here fails `deno check`.
const ROUND_TRIPS: { readonly [N in WritableOptionName]: (pair: TcpPair) => void } = {
  SO_KEEPALIVE: (p) => roundTrip(p.clientFd, "SO_KEEPALIVE", [true, false, true]),
  SO_REUSEADDR: (p) => roundTrip(p.clientFd, "SO_REUSEADDR", [true, false, true]),
  SO_REUSEPORT: (p) => roundTrip(p.clientFd, "SO_REUSEPORT", [true, false, true]),
  SO_RCVBUF: (p) => buffer(p.clientFd, "SO_RCVBUF", Number(sysctl("net/core/rmem_max"))),
  SO_SNDBUF: (p) => buffer(p.clientFd, "SO_SNDBUF", Number(sysctl("net/core/wmem_max"))),
  SO_LINGER: (p) => {
    roundTrip(p.clientFd, "SO_LINGER", [
      { enable: true, seconds: 5 },
      { enable: true, seconds: 0 },
      { enable: true, seconds: INT_MAX },
      { enable: true, seconds: 30 },
    ]);
    // Quirk: turning it off keeps (and reads back) the previous seconds, not the ones given.
    setOption(p.clientFd, "SO_LINGER", { enable: false, seconds: 9 });
    assert.deepEqual(getOption(p.clientFd, "SO_LINGER"), { enable: false, seconds: 30 });
  },
  TCP_NODELAY: (p) => roundTrip(p.clientFd, "TCP_NODELAY", [true, false, true]),
  TCP_KEEPIDLE: (p) => {
    roundTrip(p.clientFd, "TCP_KEEPIDLE", [30_000, 1_000, 32_767_000]);
    setOption(p.clientFd, "TCP_KEEPIDLE", 1_500);
    assert.equal(getOption(p.clientFd, "TCP_KEEPIDLE"), 2_000, "seconds round up");
  },
  TCP_KEEPINTVL: (p) => {
    roundTrip(p.clientFd, "TCP_KEEPINTVL", [5_000, 1_000, 32_767_000]);
    setOption(p.clientFd, "TCP_KEEPINTVL", 1_001);
    assert.equal(getOption(p.clientFd, "TCP_KEEPINTVL"), 2_000, "seconds round up");
  },
  TCP_KEEPCNT: (p) => roundTrip(p.clientFd, "TCP_KEEPCNT", [3, 1, 127]),
  TCP_USER_TIMEOUT: (p) => roundTrip(p.clientFd, "TCP_USER_TIMEOUT", [1_234, 0, INT_MAX]),
  TCP_MAXSEG: (p) => {
    // A listener keeps what was set ...
    roundTrip(p.listenerFd, "TCP_MAXSEG", [1_000, 88, 32_767]);
    // ... and reads 0 (no limit of its own) as the default MSS, 536.
    setOption(p.listenerFd, "TCP_MAXSEG", 0);
    assert.equal(getOption(p.listenerFd, "TCP_MAXSEG"), 536);
    // A connected socket accepts the value but reads back its current MSS: TCP_INFO's snd_mss.
    setOption(p.clientFd, "TCP_MAXSEG", 1_000);
    const mss = getOption(p.clientFd, "TCP_MAXSEG");
    assert.equal(mss, getTcpInfo(p.clientFd).mss);
    assert.notEqual(mss, 1_000);
  },
  TCP_QUICKACK: (p) => {
    // Round-trips on an idle connection; with traffic the kernel switches modes by itself.
    roundTrip(p.clientFd, "TCP_QUICKACK", [false, true, false, true]);
  },
  TCP_CONGESTION: (p) => {
    // Root may pick any available algorithm; others only the allowed ones.
    const list = process.getuid?.() === 0 ? "tcp_available_congestion_control" : "tcp_allowed_congestion_control";
    const algorithms = sysctl(`net/ipv4/${list}`).split(/\s+/);
    assert.ok(algorithms.length > 0);
    for (const algorithm of algorithms) {
      roundTrip(p.clientFd, "TCP_CONGESTION", [algorithm]);
      // ss names the algorithm at the start of its info line.
      if (!ssMissing) {
        const seen = ssConnection(p.client.localPort!, port(p));
        assert.match(seen.text, new RegExp(`\\s${algorithm}\\s`), seen.text);
      }
    }
    const before = getOption(p.clientFd, "TCP_CONGESTION");
    assert.throws(() => setOption(p.clientFd, "TCP_CONGESTION", "nosuch"), {
      name: "SockoptError",
      code: "ENOENT",
      syscall: "setsockopt",
      option: "TCP_CONGESTION",
      message: `Cannot set TCP_CONGESTION on fd ${p.clientFd}: ENOENT (no such file or directory)`,
    });
    assert.equal(getOption(p.clientFd, "TCP_CONGESTION"), before);
  },
  TCP_FASTOPEN: (p) => {
    roundTrip(p.listenerFd, "TCP_FASTOPEN", [5, 0, 100]);
    // The queue length is clamped to net.core.somaxconn.
    setOption(p.listenerFd, "TCP_FASTOPEN", INT_MAX);
    assert.equal(getOption(p.listenerFd, "TCP_FASTOPEN"), Number(sysctl("net/core/somaxconn")));
    // Listeners only: a connected socket refuses it.
    assert.throws(() => setOption(p.clientFd, "TCP_FASTOPEN", 5), { name: "SockoptError", code: "EINVAL" });
  },
  TCP_NOTSENT_LOWAT: (p) => roundTrip(p.clientFd, "TCP_NOTSENT_LOWAT", [16_384, 1, INT_MAX, 0]),
};

function port(p: TcpPair): number {
  return (p.server.address() as { port: number }).port;
}

/** SO_RCVBUF / SO_SNDBUF: Linux doubles the value, clamps it to 2 × the sysctl maximum and to a minimum. */
function buffer(fd: number, name: "SO_RCVBUF" | "SO_SNDBUF", sysctlMax: number): void {
  setOption(fd, name, 65_536);
  assert.equal(getOption(fd, name), 131_072);
  setOption(fd, name, 100_001);
  assert.equal(getOption(fd, name), 200_002);
  setOption(fd, name, INT_MAX);
  assert.equal(getOption(fd, name), 2 * sysctlMax);
  setOption(fd, name, 0);
  const minimum = getOption(fd, name);
  assert.ok(minimum >= 2_048 && minimum < 65_536, `minimum ${minimum}`);
  setOption(fd, name, 1);
  assert.equal(getOption(fd, name), minimum);
}

// Every read-only option: what it reads on Linux, and that the kernel itself refuses to set it.
const READ_ONLY: { readonly [N in Exclude<OptionName, WritableOptionName>]: (pair: TcpPair) => void | Promise<void> } =
  {
    SO_ERROR: (p) => {
      assert.equal(getOption(p.clientFd, "SO_ERROR"), 0);
    },
    SO_TYPE: async (p) => {
      assert.equal(getOption(p.clientFd, "SO_TYPE"), linux.SOCK_STREAM);
      const udp = await udpSocket();
      try {
        assert.equal(getOption(udp.fd, "SO_TYPE"), linux.SOCK_DGRAM);
      } finally {
        await udp.close();
      }
    },
    SO_ACCEPTCONN: (p) => {
      assert.equal(getOption(p.listenerFd, "SO_ACCEPTCONN"), true);
      assert.equal(getOption(p.clientFd, "SO_ACCEPTCONN"), false);
      assert.equal(getOption(p.acceptedFd, "SO_ACCEPTCONN"), false);
    },
    SO_COOKIE: (p) => {
      const client = getOption(p.clientFd, "SO_COOKIE");
      const accepted = getOption(p.acceptedFd, "SO_COOKIE");
      assert.equal(typeof client, "bigint");
      assert.ok(client > 0n && accepted > 0n && client !== accepted);
      assert.equal(getOption(p.clientFd, "SO_COOKIE"), client, "stable");
      // ss -e prints the same cookie, from inet_diag, as sk:<hex>.
      if (!ssMissing) {
        assert.equal(ssConnection(p.client.localPort!, port(p)).fields.get("sk"), client.toString(16));
        assert.equal(ssConnection(port(p), p.client.localPort!).fields.get("sk"), accepted.toString(16));
      }
    },
  };

describe("every option in the table, on real loopback sockets", () => {
  it("has a round trip or a read-only check here", LIMIT, () => {
    const covered = [...Object.keys(ROUND_TRIPS), ...Object.keys(READ_ONLY)].sort();
    assert.deepEqual(covered, Object.keys(options).sort());
    for (const name of Object.keys(READ_ONLY) as OptionName[]) assert.equal(options[name].readOnly, true, name);
    for (const name of Object.keys(ROUND_TRIPS) as OptionName[]) assert.equal(options[name].readOnly, false, name);
  });

  for (const [name, check] of Object.entries(ROUND_TRIPS)) {
    it(`round-trips ${name}`, LIMIT, () => withPair(check));
  }

  for (const [name, check] of Object.entries(READ_ONLY)) {
    it(`reads ${name}, which the kernel refuses to set`, LIMIT, () =>
      withPair(async (p) => {
        await check(p);
        // Not just our types: setsockopt itself says ENOPROTOOPT.
        const { level, optname } = onLinux(name as OptionName);
        assert.throws(() => setsockoptRaw(p.clientFd, level, optname, int32(1)), {
          name: "SockoptError",
          code: "ENOPROTOOPT",
        });
      }));
  }
});

describe("getOption and setOption refuse bad input before any system call", () => {
  const cases: [name: string, value: unknown, error: string, message: string | RegExp][] = [
    ["TCP_NODELAY", 5, "TypeError", "Cannot set TCP_NODELAY: expected a boolean, got number 5"],
    ["TCP_NODELAY", "yes", "TypeError", 'Cannot set TCP_NODELAY: expected a boolean, got string "yes"'],
    ["SO_TYPE", 1, "TypeError", "Cannot set SO_TYPE: it is read-only"],
    ["SO_COOKIE", 1n, "TypeError", "Cannot set SO_COOKIE: it is read-only"],
    [
      "NO_SUCH_OPTION",
      1,
      "TypeError",
      /^Cannot set option "NO_SUCH_OPTION": unknown option \(expected one of SO_KEEPALIVE, /,
    ],
    ["TCP_KEEPCNT", 500, "RangeError", "Cannot set TCP_KEEPCNT: 500 is outside 1..127"],
    ["TCP_KEEPCNT", 2.5, "RangeError", "Cannot set TCP_KEEPCNT: 2.5 is not a whole number"],
    [
      "TCP_KEEPIDLE",
      0,
      "RangeError",
      "Cannot set TCP_KEEPIDLE: 0 ms is outside 1..32767000 ms (the kernel keeps whole seconds, 1..32767, so milliseconds round up)",
    ],
    ["TCP_USER_TIMEOUT", NaN, "RangeError", "Cannot set TCP_USER_TIMEOUT: NaN is not a finite number of milliseconds"],
    ["SO_RCVBUF", -1, "RangeError", "Cannot set SO_RCVBUF: -1 is outside 0..2147483647 bytes"],
    ["SO_SNDBUF", "64k", "TypeError", 'Cannot set SO_SNDBUF: expected a whole number, got string "64k"'],
    [
      "TCP_MAXSEG",
      50,
      "RangeError",
      "Cannot set TCP_MAXSEG: 50 is outside 0 or 88..32767 bytes (0 means no limit of the socket's own)",
    ],
    ["TCP_FASTOPEN", -1, "RangeError", "Cannot set TCP_FASTOPEN: -1 is outside 0..2147483647"],
    [
      "TCP_NOTSENT_LOWAT",
      2 ** 31,
      "RangeError",
      "Cannot set TCP_NOTSENT_LOWAT: 2147483648 is outside 0..2147483647 bytes (0 means the system default (net.ipv4.tcp_notsent_lowat))",
    ],
    ["TCP_CONGESTION", 13, "TypeError", "Cannot set TCP_CONGESTION: expected a string, got number 13"],
    ["TCP_CONGESTION", "", "RangeError", 'Cannot set TCP_CONGESTION: "" has 0 characters, outside 1..15'],
    [
      "TCP_CONGESTION",
      "averyveryverylongname",
      "RangeError",
      'Cannot set TCP_CONGESTION: "averyveryverylongname" has 21 characters, outside 1..15',
    ],
    [
      "TCP_CONGESTION",
      "cu bic",
      "RangeError",
      'Cannot set TCP_CONGESTION: "cu bic" is not a name of printable ASCII characters',
    ],
    ["TCP_CONGESTION", "cübic", "RangeError", /is not a name of printable ASCII characters$/],
    ["SO_LINGER", true, "TypeError", "Cannot set SO_LINGER: expected { enable, seconds }, got boolean true"],
    [
      "SO_LINGER",
      { enable: 1, seconds: 1 },
      "TypeError",
      "Cannot set SO_LINGER: expected a boolean for enable, got number 1",
    ],
    [
      "SO_LINGER",
      { enable: true },
      "TypeError",
      "Cannot set SO_LINGER: expected a whole number of seconds, got undefined",
    ],
    [
      "SO_LINGER",
      { enable: true, seconds: -1 },
      "RangeError",
      "Cannot set SO_LINGER: -1 seconds is outside 0..2147483647",
    ],
    [
      "SO_LINGER",
      { enable: true, seconds: 1.5 },
      "RangeError",
      "Cannot set SO_LINGER: 1.5 seconds is not a whole number",
    ],
    [
      "SO_LINGER",
      { enable: true, seconds: 1, timeout: 2 },
      "TypeError",
      'Cannot set SO_LINGER: unknown field "timeout" (expected enable, seconds)',
    ],
  ];

  for (const [name, value, error, message] of cases) {
    it(`${name} = ${typeof value === "object" ? JSON.stringify(value) : String(value)}: ${error}`, LIMIT, () => {
      // On a fd that cannot be open: a system call would have said EBADF.
      assert.throws(() => setOption(NEVER_OPEN, name as never, value as never), { name: error, message });
    });
  }

  it("rejects unknown names and sockets when reading too", LIMIT, () => {
    assert.throws(() => getOption(NEVER_OPEN, "TCP_NODELAYY" as never), {
      name: "TypeError",
      message: /^Cannot get option "TCP_NODELAYY": unknown option/,
    });
    assert.throws(() => getOption(NEVER_OPEN, 7 as never), {
      name: "TypeError",
      message: /^Cannot get option number 7: unknown option/,
    });
    assert.throws(() => getOption(undefined as never, "TCP_NODELAY"), {
      name: "TypeError",
      message: /^Cannot get TCP_NODELAY: missing socket/,
    });
    assert.throws(() => setOption(-1, "TCP_NODELAY", true), {
      name: "RangeError",
      message: /^Cannot set TCP_NODELAY: -1 is not a file descriptor/,
    });
  });

  it("reports what the kernel says once the value is good", LIMIT, async () => {
    assert.throws(() => setOption(NEVER_OPEN, "TCP_NODELAY", true), {
      name: "SockoptError",
      code: "EBADF",
      syscall: "setsockopt",
      message: `Cannot set TCP_NODELAY on fd ${NEVER_OPEN}: EBADF (bad file descriptor)`,
    });
    assert.throws(() => getOption(NEVER_OPEN, "SO_COOKIE"), {
      name: "SockoptError",
      code: "EBADF",
      syscall: "getsockopt",
    });
    const udp = await udpSocket();
    try {
      assert.throws(() => setOption(udp.fd, "TCP_NODELAY", true), {
        name: "SockoptError",
        message:
          `Cannot set TCP_NODELAY on fd ${udp.fd}: fd ${udp.fd} is a UDP socket, and TCP options apply only to TCP sockets (ENOPROTOOPT)`,
      });
      // Socket-level options apply to UDP too.
      setOption(udp.fd, "SO_RCVBUF", 65_536);
      assert.equal(getOption(udp.fd, "SO_RCVBUF"), 131_072);
    } finally {
      await udp.close();
    }
  });

  it(
    "reports ENOENT for an unknown congestion algorithm every time, though a stray errno often reads ENOENT",
    LIMIT,
    () =>
      withPair((p) => {
        const codes = new Map<string, number>();
        for (let i = 0; i < 5_000; i++) {
          try {
            setOption(p.clientFd, "TCP_CONGESTION", "nosuch");
            codes.set("success", (codes.get("success") ?? 0) + 1);
          } catch (error) {
            const code = (error as SockoptError).code ?? String(error);
            codes.set(code, (codes.get(code) ?? 0) + 1);
          }
        }
        assert.deepEqual([...codes], [["ENOENT", 5_000]]);
      }),
  );
});

describe("getOption and setOption on runtime handles", { skip: bunOnly }, () => {
  it("take a node:net socket under Bun", LIMIT, () =>
    withPair((p) => {
      setOption(p.client, "TCP_NODELAY", true);
      assert.equal(getOption(p.clientFd, "TCP_NODELAY"), true);
      setOption(p.client, "TCP_NODELAY", false);
      assert.equal(getOption(p.client, "TCP_NODELAY"), false);
      assert.equal(getTcpInfo(p.client).state, "ESTABLISHED");
    }));
});
