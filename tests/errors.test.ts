import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { closeSync, constants as fsc, mkdtempSync, openSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  getKeepAlive,
  getUserTimeout,
  setKeepAlive,
  setKeepAliveInterval,
  setKeepAliveProbes,
  setUserTimeout,
  SockoptError,
} from "../mod.ts";
import { type TcpPair, tcpPair, udpSocket, unixListener } from "./support/net.ts";

// A number no process can have open: far above any fd limit, so the kernel answers EBADF.
const NEVER_OPEN = 2_000_000_000;
// Every test here may open sockets: a hang fails the test after this long instead of the run.
const LIMIT = { timeout: 30_000 };

describe("bad input is refused before any system call", () => {
  let pair: TcpPair;
  before(async () => {
    pair = await tcpPair();
    setKeepAlive(pair.clientFd, { idle: 60_000, interval: 6_000, count: 6 });
  });
  after(() => pair.close());

  const unchanged = () =>
    assert.deepEqual(getKeepAlive(pair.clientFd), { enable: true, idle: 60_000, interval: 6_000, count: 6 });

  it("rejects a missing or unknown socket with a TypeError listing what is accepted", LIMIT, () => {
    for (const socket of [undefined, null, "7", {}, [], () => 7, true, 7n]) {
      assert.throws(
        () => setKeepAlive(socket as never, { idle: 1_000 }),
        (e: unknown) => e instanceof TypeError && /Cannot set keep-alive: .*expected a file descriptor/.test(e.message),
        `socket ${String(socket)}`,
      );
    }
    assert.throws(() => getKeepAlive(undefined as never), /Cannot get keep-alive: missing socket/);
  });

  it("describes any value safely: no toString, no getters, no JSON of a bigint", LIMIT, () => {
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    const hostile = {
      toString() {
        throw new Error("toString ran");
      },
      get fd(): number {
        throw new Error("getter ran");
      },
    };
    const cases: [unknown, RegExp][] = [
      [Symbol("s"), /a symbol is not a socket/],
      [5n, /bigint 5n is not a socket/],
      [Object.create(null), /is not a socket sockopts can use/],
      [revoked, /is not a socket sockopts can use/],
      [hostile, /is not a socket sockopts can use/],
      [{ fd: 7 }, /^Cannot set keep-alive: an object is not a socket sockopts can use; expected a file descriptor/],
      [[7], /: an Array is not a socket/],
      [new Date(0), /: a Date is not a socket/],
      // A forgotten await: the types catch it, and at run time the message says so.
      [
        Promise.resolve(7),
        /^Cannot set keep-alive: a Promise is not a socket sockopts can use; did you forget an await\?$/,
      ],
    ];
    for (const [socket, message] of cases) {
      assert.throws(() => setKeepAlive(socket as never, { idle: 1_000 }), (e: unknown) => {
        assert.ok(e instanceof TypeError, String(e));
        assert.match(e.message, /^Cannot set keep-alive: /);
        assert.match(e.message, message);
        return true;
      });
    }
    assert.throws(() => setKeepAlive(pair.clientFd, { idle: Symbol("x") as never }), {
      name: "TypeError",
      message: "Cannot set TCP_KEEPIDLE: expected a duration in milliseconds, got a symbol",
    });
    assert.throws(() => setKeepAlive(pair.clientFd, { count: Object.create(null) }), {
      name: "TypeError",
      message: "Cannot set TCP_KEEPCNT: expected a whole number, got an object (a plain object)",
    });
    unchanged();
  });

  it("rejects numbers that cannot be file descriptors with a RangeError", LIMIT, () => {
    for (const fd of [-1, 1.5, NaN, Infinity, -Infinity, 2 ** 31]) {
      assert.throws(
        () => setKeepAliveProbes(fd, 3),
        (e: unknown) =>
          e instanceof RangeError && /Cannot set TCP_KEEPCNT: .* is not a file descriptor/.test(e.message),
        `fd ${fd}`,
      );
    }
  });

  it("names the option, the value and the range", LIMIT, () => {
    assert.throws(() => setKeepAliveProbes(pair.clientFd, 500), {
      name: "RangeError",
      message: "Cannot set TCP_KEEPCNT: 500 is outside 1..127",
    });
    assert.throws(() => setKeepAliveProbes(pair.clientFd, 0), {
      message: "Cannot set TCP_KEEPCNT: 0 is outside 1..127",
    });
    assert.throws(() => setKeepAlive(pair.clientFd, { idle: 0 }), {
      name: "RangeError",
      message:
        "Cannot set TCP_KEEPIDLE: 0 ms is outside 1..32767000 ms (the kernel keeps whole seconds, 1..32767, so milliseconds round up)",
    });
    assert.throws(
      () => setKeepAliveInterval(pair.clientFd, 32_767_001),
      /Cannot set TCP_KEEPINTVL: 32767001 ms is outside 1\.\.32767000 ms/,
    );
    assert.throws(
      () => setUserTimeout(pair.clientFd, 2 ** 31),
      /Cannot set TCP_USER_TIMEOUT: 2147483648 ms is outside 0\.\.2147483647 ms/,
    );
    unchanged();
  });

  it("rejects NaN, infinities and negatives as RangeErrors", LIMIT, () => {
    for (const value of [NaN, Infinity, -Infinity]) {
      assert.throws(() => setKeepAlive(pair.clientFd, { idle: value }), {
        name: "RangeError",
        message: `Cannot set TCP_KEEPIDLE: ${value} is not a finite number of milliseconds`,
      });
      assert.throws(() => setKeepAliveProbes(pair.clientFd, value), { name: "RangeError" });
      assert.throws(() => setUserTimeout(pair.clientFd, value), { name: "RangeError" });
    }
    for (const value of [-1, -0.5, -1000]) {
      assert.throws(() => setKeepAlive(pair.clientFd, { interval: value }), {
        name: "RangeError",
        message: new RegExp(`^Cannot set TCP_KEEPINTVL: ${value} ms is outside`),
      });
      assert.throws(() => setUserTimeout(pair.clientFd, value), /^RangeError: Cannot set TCP_USER_TIMEOUT: -/);
    }
    assert.throws(() => setKeepAliveProbes(pair.clientFd, -3), {
      message: "Cannot set TCP_KEEPCNT: -3 is outside 1..127",
    });
    unchanged();
  });

  it("rejects a fractional probe count", LIMIT, () => {
    assert.throws(() => setKeepAlive(pair.clientFd, { count: 2.5 }), {
      name: "RangeError",
      message: "Cannot set TCP_KEEPCNT: 2.5 is not a whole number",
    });
    unchanged();
  });

  it("rejects values of the wrong type with a TypeError", LIMIT, () => {
    assert.throws(() => setKeepAlive(pair.clientFd, { idle: "5000" as never }), {
      name: "TypeError",
      message: 'Cannot set TCP_KEEPIDLE: expected a duration in milliseconds, got string "5000"',
    });
    assert.throws(() => setKeepAlive(pair.clientFd, { count: 3n as never }), {
      name: "TypeError",
      message: "Cannot set TCP_KEEPCNT: expected a whole number, got bigint 3n",
    });
    assert.throws(() => setKeepAlive(pair.clientFd, { enable: 1 as never }), {
      name: "TypeError",
      message: "Cannot set SO_KEEPALIVE: expected a boolean for enable, got number 1",
    });
    assert.throws(() => setUserTimeout(pair.clientFd, null as never), /expected a duration in milliseconds, got null/);
    assert.throws(() => setKeepAlive(pair.clientFd, "fast" as never), /expected an options object, got string/);
    assert.throws(() => setKeepAlive(pair.clientFd, { intervall: 5 } as never), {
      name: "TypeError",
      message:
        'Cannot set keep-alive: unknown option "intervall" (expected enable, idle, interval, count, detectWithin)',
    });
    unchanged();
  });

  it("applies nothing when one field of several is bad", LIMIT, () => {
    assert.throws(
      () => setKeepAlive(pair.clientFd, { enable: false, idle: 1_000, interval: 1_000, count: 500 }),
      RangeError,
    );
    unchanged();
  });

  it("checks values before the socket is touched, even a socket that does not exist", LIMIT, () => {
    // A system call on this fd would be EBADF; the value error wins because no call is made.
    assert.throws(() => setKeepAlive(NEVER_OPEN, { count: 500 }), RangeError);
    assert.throws(() => setUserTimeout(NEVER_OPEN, -1), RangeError);
  });
});

describe("system errors carry the errno, the call and the option", () => {
  it("reports EBADF on a closed fd", LIMIT, () => {
    const fd = openSync("/dev/null", "r");
    closeSync(fd);
    assert.throws(
      () => setKeepAliveProbes(fd, 3),
      (e: unknown) => {
        assert.ok(e instanceof SockoptError);
        assert.equal(e.name, "SockoptError");
        assert.equal(e.code, "EBADF");
        assert.equal(e.errno, 9);
        assert.equal(e.syscall, "setsockopt");
        assert.equal(e.option, "TCP_KEEPCNT");
        assert.equal(e.fd, fd);
        assert.equal(e.message, `Cannot set TCP_KEEPCNT on fd ${fd}: EBADF (bad file descriptor)`);
        return true;
      },
    );
    assert.throws(() => getKeepAlive(NEVER_OPEN), {
      name: "SockoptError",
      code: "EBADF",
      syscall: "getsockopt",
      message: `Cannot get TCP_KEEPIDLE on fd ${NEVER_OPEN}: EBADF (bad file descriptor)`,
    });
  });

  it("reports ENOTSOCK on a pipe and on a file", LIMIT, () => {
    const dir = mkdtempSync(join(tmpdir(), "sockopts-"));
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    const pipe = openSync(fifo, fsc.O_RDWR | fsc.O_NONBLOCK);
    const file = openSync("/dev/null", "r");
    try {
      for (const fd of [pipe, file]) {
        assert.throws(() => setKeepAlive(fd, { idle: 1_000 }), {
          name: "SockoptError",
          code: "ENOTSOCK",
          errno: 88,
          syscall: "setsockopt",
          option: "TCP_KEEPIDLE",
          message: `Cannot set TCP_KEEPIDLE on fd ${fd}: ENOTSOCK (not a socket)`,
        });
        assert.throws(() => getUserTimeout(fd), { code: "ENOTSOCK", syscall: "getsockopt" });
        assert.throws(() => setKeepAlive(fd), { code: "ENOTSOCK", option: "SO_KEEPALIVE" });
      }
    } finally {
      closeSync(pipe);
      closeSync(file);
      rmSync(dir, { recursive: true });
    }
  });

  it("refuses TCP options on a UDP socket, even when only SO_KEEPALIVE is asked for", LIMIT, async () => {
    const udp = await udpSocket();
    try {
      assert.throws(() => setKeepAlive(udp.fd, { idle: 1_000 }), {
        name: "SockoptError",
        code: "ENOPROTOOPT",
        message:
          `Cannot set TCP_KEEPIDLE on fd ${udp.fd}: fd ${udp.fd} is a UDP socket, and TCP options apply only to TCP sockets (ENOPROTOOPT)`,
      });
      // SO_KEEPALIVE alone would succeed on UDP; sockopts probes with a TCP getsockopt first.
      assert.throws(() => setKeepAlive(udp.fd), {
        code: "EOPNOTSUPP",
        option: "SO_KEEPALIVE",
        syscall: "getsockopt",
        message:
          `Cannot set SO_KEEPALIVE on fd ${udp.fd}: fd ${udp.fd} is a UDP socket, and TCP options apply only to TCP sockets (EOPNOTSUPP)`,
      });
      assert.throws(() => getKeepAlive(udp.fd), /is a UDP socket, and TCP options apply only to TCP sockets/);
      assert.throws(() => setUserTimeout(udp.fd, 1_000), /is a UDP socket/);
    } finally {
      await udp.close();
    }
  });

  it("refuses TCP options on a Unix-domain socket", LIMIT, async () => {
    const unix = await unixListener();
    try {
      assert.throws(() => setKeepAlive(unix.fd, { count: 3 }), {
        name: "SockoptError",
        code: "EOPNOTSUPP",
        message:
          `Cannot set TCP_KEEPCNT on fd ${unix.fd}: fd ${unix.fd} is a Unix-domain stream socket, and TCP options apply only to TCP sockets (EOPNOTSUPP)`,
      });
      assert.throws(() => setKeepAlive(unix.fd, { enable: true }), /is a Unix-domain stream socket/);
      assert.throws(() => getKeepAlive(unix.fd), /is a Unix-domain stream socket/);
    } finally {
      await unix.close();
    }
  });
});
