/**
 * Every TCP socket of the network namespace in one NETLINK_SOCK_DIAG dump per address family,
 * received in place (never copied) and read where the kernel wrote it. Apart from sock_diag.ts's
 * lookups so that a bundle of one call, which never dumps, carries none of it.
 *
 * Constants: as sock_diag.ts (`<linux/netlink.h>`, `<linux/sock_diag.h>`, `<linux/inet_diag.h>`).
 *
 * @module
 */
import { nativeBytes } from "../../src/ffi/adapter.ts";
import type { Pointer } from "../../src/ffi/symbols.ts";
import type { DiagTable, SystemLibrary, TcpDump } from "../backend.ts";
import {
  AF_INET,
  AF_INET6,
  AF_NETLINK,
  BUFFER,
  DONE,
  MORE,
  NETLINK_SOCK_DIAG,
  NLM_F_DUMP,
  NLM_F_REQUEST,
  NLMSG_ERROR,
  type Records,
  SOCK_CLOEXEC,
  SOCK_RAW,
  STATES,
  TCPDIAG_GETSOCK,
  walk,
  writeRequest,
} from "./netlink.ts";
import { netlinkOpens } from "./sock_diag.ts";

interface Dump {
  readonly n: SystemLibrary;
  readonly request: Uint8Array;
  readonly requestPtr: Pointer;
  /** The replies of one dump, back to back. */
  replies: Uint8Array;
  repliesView: DataView;
  /** Where each record of the last dump starts. */
  readonly records: Records;
}

/**
 * The dump for this host, or `null` where netlink is refused (see sock_diag.ts).
 * @param n libc, bound.
 * @returns The dump, its buffers allocated once.
 */
export function openTcpDump(n: SystemLibrary): TcpDump | null {
  if (n.platform.os !== "linux" || !netlinkOpens(n)) return null;
  const request = nativeBytes(n.lib, COMPAT_REQUEST);
  const replies = nativeBytes(n.lib, BUFFER * 4);
  const d: Dump = {
    n,
    request,
    requestPtr: n.lib.pointerOf(request),
    replies,
    repliesView: new DataView(replies.buffer),
    records: { offsets: new Int32Array(1024), count: 0 },
  };
  return {
    dumpTcp: (netlink) => dumpTcp(d, netlink),
    openSocket: () => n.fn.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG),
  };
}

// The older request (`struct inet_diag_req`, <linux/inet_diag.h>), which the kernel still serves:
// its dump asks for AF_UNSPEC, so one walk of the TCP hash tables returns IPv4 and IPv6 alike,
// where SOCK_DIAG_BY_FAMILY walks every bucket once per family. That walk is most of a policy
// tick (about 1 ms per walk of 262,144 buckets here, whatever the process holds).
const COMPAT_REQUEST = 76; // nlmsghdr (16) + inet_diag_req (60)

// Whether this kernel answers the one-walk request (undefined: not asked yet).
let oneWalk: boolean | undefined;

// struct inet_diag_req: family (ignored: the dump asks for AF_UNSPEC), lengths and extensions 0,
// the socket id (20..68) zero for every socket, then the states.
function writeCompatRequest(request: Uint8Array): void {
  const v = new DataView(request.buffer, request.byteOffset, COMPAT_REQUEST);
  request.fill(0);
  v.setUint32(0, COMPAT_REQUEST, true); // nlmsg_len
  v.setUint16(4, TCPDIAG_GETSOCK, true); // nlmsg_type
  v.setUint16(6, NLM_F_REQUEST | NLM_F_DUMP, true); // nlmsg_flags
  v.setUint32(8, 1, true); // nlmsg_seq
  v.setUint32(68, STATES, true); // idiag_states
}

function send(d: Dump, fd: number, length: number): void {
  if (Number(d.n.fn.send(fd, d.requestPtr, length, 0)) !== length) {
    throw new Error(`Cannot ask sock_diag for TCP sockets: send failed with errno ${d.n.lib.errno()}`);
  }
}

function dumpTcp(d: Dump, netlink: number | undefined): DiagTable {
  const { n } = d;
  const fd = netlink ?? n.fn.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) throw new Error(`Cannot open a NETLINK_SOCK_DIAG socket: errno ${n.lib.errno()}`);
  d.records.count = 0;
  let used = 0;
  try {
    if (oneWalk !== false) {
      writeCompatRequest(d.request);
      send(d, fd, COMPAT_REQUEST);
      const got = receive(d, fd, used, oneWalk === undefined);
      oneWalk = got >= 0;
      if (oneWalk) used = got;
    }
    if (oneWalk === false) {
      for (const family of [AF_INET, AF_INET6]) {
        writeRequest({ n, request: d.request, requestPtr: d.requestPtr, fdDirPtr: d.requestPtr }, family);
        send(d, fd, 72);
        used = receive(d, fd, used, false);
      }
    }
  } finally {
    if (netlink === undefined) n.fn.close(fd);
  }
  return { bytes: d.replies, view: d.repliesView, count: d.records.count, offsets: d.records.offsets };
}

/**
 * Receives one dump's replies after the `used` bytes already held; returns the bytes held then.
 * With `trial`, a kernel error is the answer that this kernel does not serve the request (-1)
 * instead of a failure.
 */
function receive(d: Dump, fd: number, used: number, trial: boolean): number {
  const { n } = d;
  for (;;) {
    if (used + BUFFER > d.replies.length) {
      const bigger = nativeBytes(n.lib, d.replies.length * 2);
      bigger.set(d.replies.subarray(0, used));
      d.replies = bigger;
      d.repliesView = new DataView(bigger.buffer);
    }
    const start = used;
    // Straight into the reply area: the records are read where the kernel wrote them.
    const got = Number(n.fn.recv(fd, n.lib.pointerOf(d.replies.subarray(start)), BUFFER, 0));
    if (got < 0) throw new Error(`Cannot read the sock_diag dump: recv failed with errno ${n.lib.errno()}`);
    if (got === 0) return used;
    if (trial && got >= 20 && d.repliesView.getUint16(start + 4, true) === NLMSG_ERROR) return -1;
    used += got;
    const status = walk(d.repliesView, start, used, d.records);
    if (status === DONE) return used;
    if (status !== MORE) throw new Error(`Cannot read the sock_diag dump: the kernel answered errno ${status}`);
  }
}

/**
 * How the dump asks: in one walk, once per family, or not asked yet. For tests and the benchmark.
 * @returns The way.
 */
export function dumpWay(): "one walk" | "per family" | "not asked" {
  return oneWalk === undefined ? "not asked" : oneWalk ? "one walk" : "per family";
}

/**
 * Makes the dump ask once per family, as it does where the kernel refuses the one-walk request,
 * so the suite runs that path too. For tests only.
 * @param on Whether to ask once per family.
 */
export function usePerFamilyDumps(on: boolean): void {
  oneWalk = on ? false : undefined;
}
