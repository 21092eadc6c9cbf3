/**
 * Linux's fast view of the TCP sockets: one NETLINK_SOCK_DIAG dump per address family gives
 * every TCP socket of the network namespace with its inode, cookie, state and both addresses;
 * `/proc/self/fd` read with getdents64 and one statx per fd tell which of those inodes are this
 * process's, and at which fd. That is the C floor (getdents + one stat per fd + one dump),
 * instead of three or four system calls per fd. The dump and the listing are read by
 * diag_readers.ts (a part at a time where a policy tick spreads them over event-loop turns);
 * questions about a few sockets are answered here.
 *
 * Constants: netlink's in netlink.ts; `<linux/stat.h>` (struct statx, STATX_*), `<fcntl.h>`
 * (AT_EMPTY_PATH), `<bits/stat.h>` (S_IFMT, S_IFSOCK), `<asm-generic/errno-base.h>` (ENOENT).
 *
 * @module
 */
import { nativeBytes } from "../../src/ffi/adapter.ts";
import type { Pointer } from "../../src/ffi/symbols.ts";
import type { SockDiag, SystemLibrary, TcpQuestion } from "../backend.ts";
import { DumpReader, ListingReader, STEP_LISTING } from "./diag_readers.ts";
import {
  AF_NETLINK,
  BUFFER,
  DONE,
  MORE,
  type Netlink,
  NETLINK_SOCK_DIAG,
  NLM_F_DUMP,
  type Records,
  SOCK_CLOEXEC,
  SOCK_RAW,
  walk,
  writeRequest,
} from "./netlink.ts";

const AT_EMPTY_PATH = 0x1000;
const STATX_TYPE = 0x1;
const STATX_INO = 0x100;
const S_IFMT = 0o170000;
const S_IFSOCK = 0o140000;

interface Diag extends Netlink {
  readonly buffer: Uint8Array;
  readonly bufferView: DataView;
  readonly bufferPtr: Pointer;
  readonly statx: Uint8Array;
  readonly statxView: DataView;
  readonly statxPtr: Pointer;
  readonly emptyPtr: Pointer;
  /** Kept alive with the pointers: the runtimes do not hold a view alive for its pointer. */
  readonly keep: readonly Uint8Array[];
  /** Where each record of one question's answers starts (a dump has its own). */
  answers: Records;
}

/**
 * sock_diag for this host, or `null` where it has none (not Linux, no statx or getdents64, or
 * netlink refused: qemu-user answers EPROTONOSUPPORT, and seccomp sandboxes may too).
 * @param n libc, bound.
 * @returns The view, its buffers allocated once.
 */
export function openSockDiag(n: SystemLibrary): SockDiag | null {
  if (n.platform.os !== "linux" || n.fn.statx === null || n.fn.getdents64 === null || !netlinkOpens(n)) return null;
  const bytes = (size: number) => nativeBytes(n.lib, size);
  const request = bytes(72);
  const buffer = bytes(BUFFER);
  const statx = bytes(256);
  const empty = bytes(1);
  const fdDir = bytes(16);
  fdDir.set(new TextEncoder().encode("/proc/self/fd"));
  const d: Diag = {
    n,
    request,
    requestPtr: n.lib.pointerOf(request),
    buffer,
    bufferView: new DataView(buffer.buffer),
    bufferPtr: n.lib.pointerOf(buffer),
    statx,
    statxView: new DataView(statx.buffer),
    statxPtr: n.lib.pointerOf(statx),
    emptyPtr: n.lib.pointerOf(empty),
    fdDirPtr: n.lib.pointerOf(fdDir),
    keep: [empty, fdDir],
    answers: { offsets: new Int32Array(64), count: 0 },
  };
  // The one-call listing: a reader like any other, run to the end at once. (The one-call dump,
  // for tcpSockets() and configureSockets(), is tcp_dump.ts's, in one walk of both families.)
  const listing = new ListingReader(d, BUFFER);
  return {
    askTcp: (questions, each) => askTcp(d, questions, each),
    socketInode: (fd) => socketInode(d, fd),
    openFds: () => listing.toEnd(),
    tcpDumpReader: () => new DumpReader(d),
    fdListingReader: () => new ListingReader(d, STEP_LISTING),
  };
}

/** Whether a NETLINK_SOCK_DIAG socket opens here. */
export function netlinkOpens(n: SystemLibrary): boolean {
  const fd = n.fn.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return false;
  n.fn.close(fd);
  return true;
}

const ENOENT = 2; // <asm-generic/errno-base.h>: an exact question found no socket

function askTcp(d: Diag, questions: readonly TcpQuestion[], each: (view: DataView, at: number) => void): number {
  const { n } = d;
  const fd = n.fn.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return -1;
  try {
    for (const q of questions) {
      const v = writeRequest(d, q.family, q.exact ? 0 : NLM_F_DUMP, q.states);
      v.setUint16(24, q.sport, false); // idiag_sport, big-endian
      v.setUint16(26, q.dport, false); // idiag_dport
      if (q.src !== undefined) d.request.set(q.src, 28); // idiag_src
      if (q.dst !== undefined) d.request.set(q.dst, 44); // idiag_dst
      if (q.exact) {
        // idiag_cookie INET_DIAG_NOCOOKIE (~0U, both halves): whichever socket has these ends.
        v.setUint32(64, 0xffffffff, true);
        v.setUint32(68, 0xffffffff, true);
      }
      if (Number(n.fn.send(fd, d.requestPtr, 72, 0)) !== 72 || !answers(d, fd, q.exact, each)) return -1;
    }
  } finally {
    n.fn.close(fd);
  }
  return fd;
}

// Reads the replies to one question into the shared buffer; false on an error other than "none".
function answers(d: Diag, fd: number, exact: boolean, each: (view: DataView, at: number) => void): boolean {
  const { n } = d;
  const v = d.bufferView;
  const found = d.answers;
  for (;;) {
    const got = Number(n.fn.recv(fd, d.bufferPtr, BUFFER, 0));
    if (got <= 0) return got === 0;
    found.count = 0;
    const status = walk(v, 0, got, found);
    for (let i = 0; i < found.count; i++) each(v, found.offsets[i]);
    if (status === DONE) return true;
    if (status !== MORE) return exact && status === ENOENT;
    // An exact question is answered by one message, with no NLMSG_DONE after it.
    if (exact) return true;
  }
}

function socketInode(d: Diag, fd: number): number {
  if (d.n.fn.statx!(fd, d.emptyPtr, AT_EMPTY_PATH, STATX_TYPE | STATX_INO, d.statxPtr) !== 0) return -1;
  const v = d.statxView;
  if ((v.getUint16(28, true) & S_IFMT) !== S_IFSOCK) return 0;
  // Socket inodes come from get_next_ino(), an unsigned int: the low half is all there is.
  return v.getUint32(32, true);
}
