/**
 * Linux's fast view of the TCP sockets: one NETLINK_SOCK_DIAG dump per address family gives
 * every TCP socket of the network namespace with its inode, cookie, state and both addresses;
 * `/proc/self/fd` read with getdents64 and one statx per fd tell which of those inodes are this
 * process's, and at which fd. That is the C floor (getdents + one stat per fd + one dump),
 * instead of three or four system calls per fd.
 *
 * Constants: `<linux/netlink.h>` (NETLINK_SOCK_DIAG, nlmsghdr, NLM_F_*, NLMSG_DONE/ERROR),
 * `<linux/sock_diag.h>` (SOCK_DIAG_BY_FAMILY), `<linux/inet_diag.h>` (inet_diag_req_v2,
 * inet_diag_msg), `<bits/socket.h>` (AF_NETLINK, SOCK_CLOEXEC), `<linux/stat.h>` (struct statx,
 * STATX_*), `<fcntl.h>` (AT_EMPTY_PATH, O_DIRECTORY, O_CLOEXEC), `<bits/stat.h>` (S_IFMT, S_IFSOCK).
 *
 * @module
 */
import { nativeBytes } from "../../src/ffi/adapter.ts";
import type { Pointer } from "../../src/ffi/symbols.ts";
import { REC, type SockDiag, type SystemLibrary, type TcpQuestion } from "../backend.ts";

export const AF_NETLINK = 16;
export const SOCK_RAW = 3;
export const SOCK_CLOEXEC = 0o2000000;
export const NETLINK_SOCK_DIAG = 4;
const SOCK_DIAG_BY_FAMILY = 20;
/** TCPDIAG_GETSOCK (<linux/inet_diag.h>): the older request, whose dump walks both families at once. */
export const TCPDIAG_GETSOCK = 18;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_DUMP = 0x300; // NLM_F_ROOT | NLM_F_MATCH
export const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const IPPROTO_TCP = 6;
export const AF_INET = 2;
export const AF_INET6 = 10;
// Every state but TIME_WAIT (6) and NEW_SYN_RECV (12): those are not sockets anyone holds (inode 0).
const STATES = 0xfff & ~(1 << 6);
const AT_EMPTY_PATH = 0x1000;
const STATX_TYPE = 0x1;
const STATX_INO = 0x100;
const S_IFMT = 0o170000;
const S_IFSOCK = 0o140000;
const O_RDONLY_DIRECTORY_CLOEXEC = 0o200000 | 0o2000000;

interface Diag {
  readonly n: SystemLibrary;
  readonly request: Uint8Array;
  readonly requestPtr: Pointer;
  readonly buffer: Uint8Array;
  readonly bufferView: DataView;
  readonly bufferPtr: Pointer;
  readonly statx: Uint8Array;
  readonly statxView: DataView;
  readonly statxPtr: Pointer;
  readonly emptyPtr: Pointer;
  readonly fdDirPtr: Pointer;
  /** Kept alive with the pointers: the runtimes do not hold a view alive for its pointer. */
  readonly keep: readonly Uint8Array[];
  /** Where the records of one question's answers start. */
  readonly answers: Records;
}

/** Where the records of a reply start, as {@link walk} notes them. */
export interface Records {
  offsets: Int32Array;
  count: number;
}

/** Bytes one recv may fill. */
export const BUFFER = 64 * 1024;

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
  let fdList: Int32Array = new Int32Array(1024);
  return {
    askTcp: (questions, each) => askTcp(d, questions, each),
    socketInode: (fd) => socketInode(d, fd),
    openFds: () => {
      const listed = openFds(d, fdList);
      fdList = listed.list;
      return listed.list.subarray(0, listed.count);
    },
  };
}

/** Whether a NETLINK_SOCK_DIAG socket opens here. */
export function netlinkOpens(n: SystemLibrary): boolean {
  const fd = n.fn.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return false;
  n.fn.close(fd);
  return true;
}

/** Writes a SOCK_DIAG_BY_FAMILY request for TCP sockets of `family` into `request` (72 bytes). */
export function writeRequest(request: Uint8Array, family: number, flags = NLM_F_DUMP, states = STATES): DataView {
  const v = new DataView(request.buffer);
  request.fill(0);
  v.setUint32(0, 72, true); // nlmsg_len
  v.setUint16(4, SOCK_DIAG_BY_FAMILY, true); // nlmsg_type
  v.setUint16(6, NLM_F_REQUEST | flags, true); // nlmsg_flags
  v.setUint32(8, 1, true); // nlmsg_seq
  request[16] = family; // sdiag_family
  request[17] = IPPROTO_TCP; // sdiag_protocol
  v.setUint32(20, states, true); // idiag_states; the socket id (24..72) stays zero: all sockets
  return v;
}

/** {@link walk}: the reply goes on in the next recv. */
export const MORE = -1;
/** {@link walk}: NLMSG_DONE (or a truncated header) ended the reply. */
export const DONE = 0;

/**
 * The one walk over netlink messages: notes where each SOCK_DIAG_BY_FAMILY record of
 * `view[start..end)` starts, appending to `into`. Locals, not `into`, in the loop: a dump runs it
 * for every TCP socket of the namespace.
 * @returns {@link MORE}, {@link DONE}, or the errno of an NLMSG_ERROR (positive).
 */
export function walk(v: DataView, start: number, end: number, into: Records): number {
  let offsets = into.offsets;
  let count = into.count;
  let status = MORE;
  for (let at = start; at + 16 <= end;) {
    const len = v.getUint32(at, true);
    const type = v.getUint16(at + 4, true);
    if (len < 16 || type === NLMSG_DONE) {
      status = DONE;
      break;
    }
    if (type === NLMSG_ERROR) {
      status = -v.getInt32(at + 16, true);
      break;
    }
    if ((type === SOCK_DIAG_BY_FAMILY || type === TCPDIAG_GETSOCK) && len >= 16 + REC.size) {
      if (count === offsets.length) {
        const bigger = new Int32Array(offsets.length * 2);
        bigger.set(offsets);
        into.offsets = offsets = bigger;
      }
      offsets[count++] = at + 16;
    }
    at += (len + 3) & ~3; // NLMSG_ALIGN
  }
  into.count = count;
  return status;
}

const ENOENT = 2; // <asm-generic/errno-base.h>: an exact question found no socket

function askTcp(d: Diag, questions: readonly TcpQuestion[], each: (view: DataView, at: number) => void): number {
  const { n } = d;
  const fd = n.fn.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return -1;
  try {
    for (const q of questions) {
      const v = writeRequest(d.request, q.family, q.exact ? 0 : NLM_F_DUMP, q.states);
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

/** Every open fd number, read from `/proc/self/fd` with getdents64, into `list` (grown as needed). */
function openFds(d: Diag, list: Int32Array): { list: Int32Array; count: number } {
  const { n } = d;
  const dir = n.fn.open(d.fdDirPtr, O_RDONLY_DIRECTORY_CLOEXEC);
  if (dir < 0) {
    throw new Error(`Cannot list open file descriptors: open(/proc/self/fd) failed with errno ${n.lib.errno()}`);
  }
  let count = 0;
  try {
    const bytes = d.buffer;
    const v = d.bufferView;
    for (;;) {
      const got = Number(n.fn.getdents64!(dir, d.bufferPtr, BUFFER));
      if (got < 0) throw new Error(`Cannot list open file descriptors: getdents64 failed with errno ${n.lib.errno()}`);
      if (got === 0) break;
      // struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
      for (let at = 0; at < got; at += v.getUint16(at + 16, true)) {
        let fd = 0;
        let i = at + 19;
        for (; bytes[i] >= 48 && bytes[i] <= 57; i++) fd = fd * 10 + bytes[i] - 48;
        if (i === at + 19 || bytes[i] !== 0) continue; // "." and ".."
        if (count === list.length) {
          const bigger = new Int32Array(count * 2);
          bigger.set(list);
          list = bigger;
        }
        list[count++] = fd;
      }
    }
  } finally {
    n.fn.close(dir);
  }
  // The directory itself was open while it was read, so a listing without it is not this
  // process's whole table (the same proof fd_directory.ts asks of a directory listing).
  let out = 0;
  for (let i = 0; i < count; i++) if (list[i] !== dir) list[out++] = list[i];
  if (out === count) {
    throw new Error(
      `Cannot list open file descriptors: /proc/self/fd lists ${count} fds but not fd ${dir} it was read ` +
        `through, so it is not this process's full fd table (is procfs mounted?)`,
    );
  }
  return { list, count: out };
}
