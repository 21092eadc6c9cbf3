// What the macOS and FreeBSD kernels really do, as their sources say (cited beside each case),
// checked against the platform tables and the code that turns kernel values into ours.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { darwin } from "../platforms/darwin/constants.ts";
import { freebsd } from "../platforms/freebsd/constants.ts";
import { linux } from "../platforms/linux/constants.ts";
import type { ErrnoName, OptionConstant, PlatformTable } from "../platforms/types.ts";
import { describeErrno, errnoNames } from "../src/sys/errno.ts";
import { encodeOption, readOption } from "../src/options/option_values.ts";
import { toKernelLinger } from "../src/values.ts";
import { type TcpPair, tcpPair } from "./support/net.ts";
import { options } from "../src/options/options.ts";

async function withPair(check: (pair: TcpPair) => void): Promise<void> {
  const pair = await tcpPair();
  try {
    check(pair);
  } finally {
    await pair.close();
  }
}

describe("errno tables", () => {
  it("tell macOS's ENOTSUP (45) from EOPNOTSUPP (102)", () => {
    const names = errnoNames(darwin);
    assert.deepEqual(describeErrno(names, 45), { code: "ENOTSUP", text: "ENOTSUP (operation not supported)" });
    assert.equal(describeErrno(names, 102).code, "EOPNOTSUPP");
    // xnu's tcp_ctloutput answers TCP_FASTOPEN with ENOTSUP; it counts once two calls agree.
    assert.deepEqual(darwin.options.TCP_FASTOPEN?.errnos, ["ENOTSUP"]);
  });

  it("name EOPNOTSUPP where ENOTSUP is the same number (Linux 95, FreeBSD 45)", () => {
    assert.equal(linux.errno.ENOTSUP, linux.errno.EOPNOTSUPP);
    assert.equal(freebsd.errno.ENOTSUP, freebsd.errno.EOPNOTSUPP);
    assert.equal(describeErrno(errnoNames(linux), 95).code, "EOPNOTSUPP");
    assert.equal(describeErrno(errnoNames(freebsd), 45).code, "EOPNOTSUPP");
  });

  it("name FreeBSD's ESRCH for an unknown congestion algorithm", () => {
    // sys/netinet/tcp_usrreq.c tcp_congestion: `return(ESRCH)` when no cc module has the name.
    assert.deepEqual(describeErrno(errnoNames(freebsd), 3), { code: "ESRCH", text: "ESRCH (no such process)" });
    assert.deepEqual(freebsd.options.TCP_CONGESTION?.errnos, ["ESRCH"]);
    assert.match(options.TCP_CONGESTION.os.freebsd?.note ?? "", /ESRCH/);
    // Linux's tcp_set_congestion_control says ENOENT instead.
    assert.deepEqual(linux.options.TCP_CONGESTION?.errnos, ["ENOENT"]);
  });

  // Every errno each option's kernel path can return, from the sources named, must have a name.
  const returned: Record<string, readonly ErrnoName[]> = {
    // net/ipv4/tcp.c do_tcp_setsockopt / do_tcp_getsockopt, net/core/sock.c sk_setsockopt,
    // net/ipv4/tcp_cong.c tcp_set_congestion_control.
    linux: ["EINVAL", "ENOPROTOOPT", "EOPNOTSUPP", "EFAULT", "ENOENT", "EPERM", "EBUSY", "ENOMEM", "EISCONN"],
    // bsd/netinet/tcp_usrreq.c tcp_ctloutput, bsd/kern/uipc_socket.c sosetoptlock / sogetoptlock.
    darwin: ["ECONNRESET", "EINVAL", "ENOTSUP", "ENOPROTOOPT", "ENOMEM", "ENOBUFS", "EPERM", "EOPNOTSUPP", "EBADF"],
    // sys/netinet/tcp_usrreq.c tcp_ctloutput_set / tcp_default_ctloutput / tcp_congestion,
    // sys/kern/uipc_socket.c sosetopt / sogetopt (EDOM for SO_LINGER).
    freebsd: ["ECONNRESET", "EINVAL", "ESRCH", "EOPNOTSUPP", "ENOPROTOOPT", "ENOENT", "EDOM", "ENOBUFS", "EPERM"],
  };
  const hosts: readonly PlatformTable[] = [linux, darwin, freebsd];
  for (const p of hosts) {
    it(`name every code ${p.displayName}'s option paths return`, () => {
      const names = errnoNames(p);
      for (const name of returned[p.os]) {
        const code = describeErrno(names, p.errno[name]).code;
        // Same-numbered aliases (ENOTSUP and EOPNOTSUPP on Linux and FreeBSD) read as either.
        assert.ok(code === name || p.errno[code as ErrnoName] === p.errno[name], `${p.os} ${name} reads as ${code}`);
        assert.doesNotMatch(code, /^E\d+$/, `${p.os} ${name}`);
      }
    });
  }
});

describe("FreeBSD's TCP_FASTOPEN", () => {
  const constant = freebsd.options.TCP_FASTOPEN!;

  it("is a flag: set as 0 or 1", () => {
    // tcp_default_ctloutput reads back `tp->t_flags & TF_FASTOPEN`, 0x80000000 when on.
    assert.equal(constant.unit, "flag");
    assert.equal(encodeOption("TCP_FASTOPEN", constant, 1), 1);
    assert.equal(encodeOption("TCP_FASTOPEN", constant, 0), 0);
    assert.throws(() => encodeOption("TCP_FASTOPEN", constant, 5), { name: "RangeError" });
  });

  it("reads any nonzero kernel value as 1, through a real getsockopt", () =>
    withPair((p) => {
      // A Linux option standing in for FreeBSD's number: SO_RCVBUF reads back a large nonzero
      // int, as TF_FASTOPEN does, and SO_KEEPALIVE reads 0 until set.
      const big: OptionConstant = { ...linux.options.SO_RCVBUF!, unit: "flag" };
      assert.ok((readOption(p.clientFd, "SO_RCVBUF", linux.options.SO_RCVBUF!) as number) > 1);
      assert.equal(readOption(p.clientFd, "SO_RCVBUF", big), 1);
      const off: OptionConstant = { ...linux.options.SO_KEEPALIVE!, unit: "flag" };
      assert.equal(readOption(p.clientFd, "SO_KEEPALIVE", off), 0);
    }));
});

describe("kernel ranges", () => {
  it("FreeBSD SO_LINGER: up to 65535 s (EDOM above USHRT_MAX, uipc_socket.c sosetopt)", () => {
    const c = freebsd.options.SO_LINGER!;
    assert.deepEqual(toKernelLinger("SO_LINGER", c, { enable: true, seconds: 65535 }), { onoff: 1, seconds: 65535 });
    assert.throws(() => toKernelLinger("SO_LINGER", c, { enable: true, seconds: 65536 }), {
      name: "RangeError",
      message: "Cannot set SO_LINGER: 65536 seconds is outside 0..65535",
    });
  });

  it("macOS TCP_RXT_CONNDROPTIME: rejects only negatives (tcp_usrreq.c tcp_ctloutput)", () => {
    const c = darwin.options.TCP_USER_TIMEOUT!;
    assert.equal(c.min, 0);
    assert.equal(c.max, 2147483647);
    assert.throws(() => encodeOption("TCP_USER_TIMEOUT", c, -1), { name: "RangeError" });
  });

  it("macOS SO_LINGER_SEC: (short)(seconds * 100) holds at most 327 s", () => {
    assert.equal(darwin.options.SO_LINGER?.max, 327);
  });
});
