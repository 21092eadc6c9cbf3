/**
 * Linux's fast view of the TCP sockets: one NETLINK_SOCK_DIAG dump gives
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
import { fdDirectoryOverride } from "./fd_listing.ts";
import { getNative, nativeBytes } from "./libc.ts";
import type { Pointer } from "./ffi/symbols.ts";

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_SOCK_DIAG = 4;
const SOCK_DIAG_BY_FAMILY = 20;
// The older request (`struct inet_diag_req`, <linux/inet_diag.h>), which the kernel still serves:
// its dump asks for AF_UNSPEC, so one walk of the TCP hash tables returns IPv4 and IPv6 alike,
// where SOCK_DIAG_BY_FAMILY walks every bucket once per family. That walk is most of a policy
// tick (about 1 ms per walk of 262,144 buckets here, whatever the process holds).
const TCPDIAG_GETSOCK = 18;
const COMPAT_REQUEST = 76; // nlmsghdr (16) + inet_diag_req (60)
const NLM_F_REQUEST = 0x1;
const NLM_F_DUMP = 0x300; // NLM_F_ROOT | NLM_F_MATCH
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const IPPROTO_TCP = 6;
const AF_INET = 2;
const AF_INET6 = 10;
// Every state but TIME_WAIT (6) and NEW_SYN_RECV (12): those are not sockets anyone holds (inode 0).
const STATES = 0xfff & ~(1 << 6);
const AT_EMPTY_PATH = 0x1000;
const STATX_TYPE = 0x1;
const STATX_INO = 0x100;
const S_IFMT = 0o170000;
const S_IFSOCK = 0o140000;
const O_RDONLY_DIRECTORY_CLOEXEC = 0o200000 | 0o2000000;

/** Byte offsets of one record: `struct inet_diag_msg` as the kernel sends it (72 bytes). */
export const REC = {
  family: 0,
  state: 1,
  sport: 4, // big-endian
  dport: 6, // big-endian
  src: 8, // 4 or 16 bytes
  dst: 24,
  cookie: 44, // two host-order u32 halves, low first on little-endian hosts
  uid: 64,
  inode: 68,
  size: 72, // the fixed part; attributes may follow
} as const;

/** Every TCP socket of the namespace: `count` records of {@link REC}'s layout, in place in the replies. */
export interface DiagTable {
  /** The kernel's replies as received. */
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly count: number;
  /** Where each record starts in `bytes`. */
  readonly offsets: Int32Array;
}

interface Diag {
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
  /** The replies of one dump, back to back: received in place, never copied. */
  replies: Uint8Array;
  repliesView: DataView;
  offsets: Int32Array;
}

const BUFFER = 64 * 1024;
let diag: Diag | undefined | null;

/** Whether this host can list sockets through sock_diag (Linux with statx and getdents64 bound). */
export function sockDiagAvailable(): boolean {
  // A test pointing the listing at another directory is served by the directory listing.
  if (fdDirectoryOverride() !== undefined) return false;
  if (diag === undefined) {
    const n = getNative("statx");
    if (n.platform.os !== "linux" || n.fn.statx === null || n.fn.getdents64 === null || !netlinkOpens()) {
      diag = null;
    } else {
      const bytes = (size: number) => nativeBytes(n.lib, size);
      const request = bytes(COMPAT_REQUEST);
      const buffer = bytes(BUFFER);
      const statx = bytes(256);
      const empty = bytes(1);
      const fdDir = bytes(16);
      fdDir.set(new TextEncoder().encode("/proc/self/fd"));
      const replies = bytes(BUFFER * 4);
      diag = {
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
        replies,
        repliesView: new DataView(replies.buffer),
        offsets: new Int32Array(1024),
      };
      // Kept alive with the pointers: the runtimes do not hold a view alive for its pointer.
      keep.push(empty, fdDir);
    }
  }
  return diag !== null;
}
const keep: Uint8Array[] = [];

// Some Linux hosts have no sock_diag (qemu-user refuses netlink with EPROTONOSUPPORT, and seccomp
// sandboxes may too): asked once, a refusal sends every listing down the directory path instead.
function netlinkOpens(): boolean {
  const n = getNative("socket");
  const fd = n.fn.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return false;
  n.fn.close(fd);
  return true;
}

function ready(): Diag {
  if (!sockDiagAvailable()) throw new Error("Cannot use sock_diag: this host has no NETLINK_SOCK_DIAG listing");
  return diag!;
}

function writeRequest(d: Diag, family: number, flags = NLM_F_DUMP, states = STATES): DataView {
  const v = new DataView(d.request.buffer);
  d.request.fill(0);
  v.setUint32(0, 72, true); // nlmsg_len
  v.setUint16(4, SOCK_DIAG_BY_FAMILY, true); // nlmsg_type
  v.setUint16(6, NLM_F_REQUEST | flags, true); // nlmsg_flags
  v.setUint32(8, 1, true); // nlmsg_seq
  d.request[16] = family; // sdiag_family
  d.request[17] = IPPROTO_TCP; // sdiag_protocol
  v.setUint32(20, states, true); // idiag_states; the socket id (24..72) stays zero: all sockets
  return v;
}

// Whether this kernel answers the one-walk request (undefined: not asked yet).
let oneWalk: boolean | undefined;

/**
 * Dumps every TCP socket of the network namespace: in one walk where the kernel serves
 * TCPDIAG_GETSOCK (every Linux since 2.6), else IPv4, then IPv6.
 * @returns The records; valid until the next dump (the storage is reused).
 * @throws {Error} when the netlink socket cannot be opened or the kernel reports an error.
 */
export function dumpTcp(): DiagTable {
  const d = ready();
  const n = getNative("socket");
  const fd = n.fn.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) throw new Error(`Cannot open a NETLINK_SOCK_DIAG socket: errno ${n.lib.errno()}`);
  const state = { used: 0, count: 0 };
  try {
    if (oneWalk !== false) {
      writeCompatRequest(d);
      send(n, fd, d, COMPAT_REQUEST);
      oneWalk = receive(d, fd, state, oneWalk === undefined);
    }
    if (oneWalk === false) {
      for (const family of [AF_INET, AF_INET6]) {
        writeRequest(d, family);
        send(n, fd, d, 72);
        receive(d, fd, state, false);
      }
    }
  } finally {
    n.fn.close(fd);
  }
  return { bytes: d.replies, view: d.repliesView, count: state.count, offsets: d.offsets };
}

function send(n: ReturnType<typeof getNative>, fd: number, d: Diag, length: number): void {
  if (Number(n.fn.send(fd, d.requestPtr, length, 0)) !== length) {
    throw new Error(`Cannot ask sock_diag for TCP sockets: send failed with errno ${n.lib.errno()}`);
  }
}

// struct inet_diag_req: family (ignored: the dump asks for AF_UNSPEC), lengths and extensions 0,
// the socket id (20..68) zero for every socket, then the states.
function writeCompatRequest(d: Diag): void {
  const v = new DataView(d.request.buffer);
  d.request.fill(0);
  v.setUint32(0, COMPAT_REQUEST, true); // nlmsg_len
  v.setUint16(4, TCPDIAG_GETSOCK, true); // nlmsg_type
  v.setUint16(6, NLM_F_REQUEST | NLM_F_DUMP, true); // nlmsg_flags
  v.setUint32(8, 1, true); // nlmsg_seq
  v.setUint32(68, STATES, true); // idiag_states
}

/**
 * Receives one dump's replies after `state.used`. With `trial`, a kernel error is the answer that
 * this kernel does not serve the request (false) instead of a failure; true once it answered.
 */
function receive(d: Diag, fd: number, state: { used: number; count: number }, trial: boolean): boolean {
  const n = getNative("recv");
  for (;;) {
    if (state.used + BUFFER > d.replies.length) {
      const bigger = nativeBytes(n.lib, d.replies.length * 2);
      bigger.set(d.replies.subarray(0, state.used));
      d.replies = bigger;
      d.repliesView = new DataView(bigger.buffer);
    }
    const start = state.used;
    // Straight into the reply area: the records are read where the kernel wrote them.
    const got = Number(n.fn.recv(fd, n.lib.pointerOf(d.replies.subarray(start)), BUFFER, 0));
    if (got < 0) throw new Error(`Cannot read the sock_diag dump: recv failed with errno ${n.lib.errno()}`);
    if (got === 0) return true;
    if (trial && got >= 20 && d.repliesView.getUint16(start + 4, true) === NLMSG_ERROR) return false;
    state.used += got;
    if (!parseReplies(d, start, start + got, state)) return true;
  }
}

/**
 * Notes where each record of one recv's replies starts; false once the dump is done. Locals, not
 * `d` and `state`, in the loop: a tick runs it for every TCP socket of the namespace.
 */
function parseReplies(d: Diag, start: number, end: number, state: { used: number; count: number }): boolean {
  const v = d.repliesView;
  let offsets = d.offsets;
  let count = state.count;
  let more = true;
  for (let at = start; at + 16 <= end;) {
    const len = v.getUint32(at, true);
    const type = v.getUint16(at + 4, true);
    if (len < 16 || type === NLMSG_DONE) {
      more = false;
      break;
    }
    if (type === NLMSG_ERROR) {
      throw new Error(`Cannot read the sock_diag dump: the kernel answered errno ${-v.getInt32(at + 16, true)}`);
    }
    if ((type === SOCK_DIAG_BY_FAMILY || type === TCPDIAG_GETSOCK) && len >= 16 + REC.size) {
      if (count === offsets.length) {
        const bigger = new Int32Array(offsets.length * 2);
        bigger.set(offsets);
        d.offsets = offsets = bigger;
      }
      offsets[count++] = at + 16;
    }
    at += (len + 3) & ~3; // NLMSG_ALIGN
  }
  state.count = count;
  return more;
}

/**
 * One question to sock_diag about TCP sockets: `exact` asks for the one socket with both ends
 * given (inet_diag_find_one_icsk; no NLM_F_DUMP); otherwise a dump of the sockets in `states`
 * whose ports equal the non-zero ones given (the kernel skips the rest without filling them).
 */
export interface TcpQuestion {
  readonly family: number;
  readonly exact: boolean;
  /** A bit per TCP state (`1 << TCP_LISTEN`...), for dumps. */
  readonly states: number;
  readonly sport: number;
  readonly dport: number;
  /** The local and remote address bytes (4 or 16), for an exact question. */
  readonly src?: ArrayLike<number>;
  readonly dst?: ArrayLike<number>;
}

const ENOENT = 2; // <asm-generic/errno-base.h>: an exact question found no socket

/**
 * Asks each question on one netlink socket, handing every record to `each` while it is in the
 * receive buffer (`at` is where it starts, laid out as {@link REC}).
 *
 * @returns The netlink socket's fd number, which was the lowest free one when it opened (socket()
 * takes the lowest, POSIX), or -1 when sock_diag could not answer (the caller then looks elsewhere).
 */
export function askTcp(questions: readonly TcpQuestion[], each: (view: DataView, at: number) => void): number {
  const d = ready();
  const n = getNative("socket");
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
  const n = getNative("recv");
  const v = d.bufferView;
  for (;;) {
    const got = Number(n.fn.recv(fd, d.bufferPtr, BUFFER, 0));
    if (got <= 0) return got === 0;
    for (let at = 0; at + 16 <= got;) {
      const len = v.getUint32(at, true);
      const type = v.getUint16(at + 4, true);
      if (len < 16 || type === NLMSG_DONE) return true;
      if (type === NLMSG_ERROR) return exact && -v.getInt32(at + 16, true) === ENOENT;
      if (type === SOCK_DIAG_BY_FAMILY && len >= 16 + REC.size) each(v, at + 16);
      at += (len + 3) & ~3; // NLMSG_ALIGN
    }
    // An exact question is answered by one message, with no NLMSG_DONE after it.
    if (exact) return true;
  }
}

/** The inode of the socket at `fd`, 0 when `fd` holds something else, -1 when it is not open. */
export function socketInode(fd: number): number {
  const d = diag ?? ready();
  const n = getNative("statx");
  if (n.fn.statx!(fd, d.emptyPtr, AT_EMPTY_PATH, STATX_TYPE | STATX_INO, d.statxPtr) !== 0) return -1;
  const v = d.statxView;
  if ((v.getUint16(28, true) & S_IFMT) !== S_IFSOCK) return 0;
  // Socket inodes come from get_next_ino(), an unsigned int: the low half is all there is.
  return v.getUint32(32, true);
}

let fdList = new Int32Array(1024);

/**
 * Every open fd number, read from `/proc/self/fd` with getdents64.
 * @returns A view of the numbers, valid until the next call (the storage is reused).
 */
export function openFds(): Int32Array {
  const d = ready();
  const n = getNative("getdents64");
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
        if (count === fdList.length) {
          const bigger = new Int32Array(count * 2);
          bigger.set(fdList);
          fdList = bigger;
        }
        fdList[count++] = fd;
      }
    }
  } finally {
    n.fn.close(dir);
  }
  // The directory itself was open while it was read, so a listing without it is not this
  // process's whole table (the same proof fd_listing.ts asks of a directory listing).
  let out = 0;
  for (let i = 0; i < count; i++) if (fdList[i] !== dir) fdList[out++] = fdList[i];
  if (out === count) {
    throw new Error(
      `Cannot list open file descriptors: /proc/self/fd lists ${count} fds but not fd ${dir} it was read ` +
        `through, so it is not this process's full fd table (is procfs mounted?)`,
    );
  }
  return fdList.subarray(0, out);
}

/**
 * How {@link dumpTcp} asks: in one walk, once per family, or not asked yet. For tests and the
 * benchmark (not exported by `mod.ts`).
 */
export function dumpWay(): "one walk" | "per family" | "not asked" {
  return oneWalk === undefined ? "not asked" : oneWalk ? "one walk" : "per family";
}

/**
 * Makes {@link dumpTcp} ask once per family, as it does where the kernel refuses the one-walk
 * request, so the suite runs that path too. For tests only (not exported by `mod.ts`).
 *
 * @param on Whether to ask once per family.
 */
export function usePerFamilyDumps(on: boolean): void {
  oneWalk = on ? false : undefined;
}
