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
  netlinkOpens,
  type Records,
  SOCK_CLOEXEC,
  SOCK_RAW,
  walk,
  writeRequest,
} from "./sock_diag.ts";

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
  const request = nativeBytes(n.lib, 72);
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

function dumpTcp(d: Dump, netlink: number | undefined): DiagTable {
  const { n } = d;
  const fd = netlink ?? n.fn.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) throw new Error(`Cannot open a NETLINK_SOCK_DIAG socket: errno ${n.lib.errno()}`);
  d.records.count = 0;
  let used = 0;
  try {
    for (const family of [AF_INET, AF_INET6]) {
      writeRequest(d.request, family);
      if (Number(n.fn.send(fd, d.requestPtr, 72, 0)) !== 72) {
        throw new Error(`Cannot ask sock_diag for TCP sockets: send failed with errno ${n.lib.errno()}`);
      }
      used = receive(d, fd, used);
    }
  } finally {
    if (netlink === undefined) n.fn.close(fd);
  }
  return { bytes: d.replies, view: d.repliesView, count: d.records.count, offsets: d.records.offsets };
}

/** Receives one dump's replies after the `used` bytes already held; returns the bytes held then. */
function receive(d: Dump, fd: number, used: number): number {
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
    used += got;
    const status = walk(d.repliesView, start, used, d.records);
    if (status === DONE) return used;
    if (status !== MORE) throw new Error(`Cannot read the sock_diag dump: the kernel answered errno ${status}`);
  }
}
