/**
 * The seam between sockopts and an OS: what each folder under `platforms/` provides, behind one
 * interface. A backend says what to bind (libc, or Windows's DLLs) and gets it back bound (it
 * never loads or caches a library itself), so that everything above `platforms/` reaches the OS
 * through {@link OsBackend} alone, and a new OS is one new folder.
 *
 * @module
 */
import type { Library } from "../src/ffi/adapter.ts";
import type { BindPlan, Symbols } from "../src/ffi/symbols.ts";
import type { OptionConstant, PlatformConstants } from "./types.ts";

/**
 * The OS's system library (libc; on Windows ws2_32, ntdll, kernel32 and ucrtbase as one table),
 * bound by the runtime's FFI, and the OS's constants. The core calls `setsockopt`, `getsockopt`,
 * `getsockname` and `getpeername` in their POSIX shape on every OS (a Windows `SOCKET` is passed
 * as the number the fd would be).
 */
export interface SystemLibrary {
  readonly platform: PlatformConstants;
  readonly lib: Library;
  readonly fn: Symbols;
}

/** One entry of the kernel's file table. */
export interface FdEntry {
  /** The descriptor. */
  readonly fd: number;
  /** Whether the kernel says it is a socket (FreeBSD, macOS); `undefined` where it does not say (Linux). */
  readonly socket?: boolean;
}

/** Byte offsets of one sock_diag record: `struct inet_diag_msg` (`<linux/inet_diag.h>`) as the kernel sends it (72 bytes). */
export const REC = {
  family: 0,
  state: 1,
  sport: 4, // big-endian
  dport: 6, // big-endian
  src: 8, // 4 or 16 bytes
  dst: 24,
  iface: 40, // idiag_if: the interface a socket is bound to (a link-local one's scope), host order
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

/**
 * An OS's fast way to a socket (Linux: NETLINK_SOCK_DIAG, statx and getdents64): questions about
 * particular TCP sockets, and which fd holds which socket inode.
 */
export interface SockDiag {
  /**
   * Asks each question on one netlink socket, handing every record to `each` while it is in the
   * receive buffer (`at` is where it starts, laid out as {@link REC}).
   * @returns The netlink socket's fd number, which was the lowest free one when it opened, or -1
   * when sock_diag could not answer.
   */
  askTcp(questions: readonly TcpQuestion[], each: (view: DataView, at: number) => void): number;
  /** The inode of the socket at `fd`, 0 when `fd` holds something else, -1 when it is not open. */
  socketInode(fd: number): number;
  /** Every open fd number; a view valid until the next call. */
  openFds(): Int32Array;
  /** A dump of every TCP socket read a part at a time, in storage of its own (see {@link TcpDumpReader}). */
  tcpDumpReader(): TcpDumpReader;
  /** A listing of every open fd read a part at a time, in storage of its own (see {@link FdListingReader}). */
  fdListingReader(): FdListingReader;
}

/**
 * Something read from the kernel a part at a time, so that the reading can be spread over
 * event-loop turns: `start()`, then `step()` until it returns true. Whatever is read in between
 * is as current as the part that told it; a reader still open when abandoned is closed with
 * `cancel()`.
 */
export interface SteppedReader {
  /** Starts reading afresh (one still in progress is cancelled). @throws {Error} when the kernel refuses. */
  start(): void;
  /**
   * Reads the next part.
   * @returns True once everything is read (and the reader is closed).
   * @throws {Error} when the kernel reports an error (the reader is closed).
   */
  step(): boolean;
  /**
   * Whether the next step may take much longer than the others: a dump's request for its next
   * address family, for which the kernel walks its whole TCP hash of the host at once until a
   * part is full (all of it for a family the namespace has few sockets of). A caller sharing the
   * event loop starts such a step on a fresh turn.
   */
  longNext(): boolean;
  /** Closes a reading still in progress; nothing when there is none. */
  cancel(): void;
}

/** Every TCP socket of the network namespace, one recv (one part of the kernel's walk) a step. */
export interface TcpDumpReader extends SteppedReader {
  /** The records read so far (all of them once `step()` returned true); valid until the next `start()`. */
  table(): DiagTable;
}

/** Every open fd number of this process, one getdents64 of `/proc/self/fd` a step. */
export interface FdListingReader extends SteppedReader {
  /** The numbers read so far (all once `step()` returned true); a view valid until the next step. */
  fds(): Int32Array;
}

/**
 * An OS's dump of every TCP socket of the network namespace at once, for process-wide listing.
 * Kept out of {@link OsBackend} (src/sys/tcp_dump.ts picks it by OS) so that a bundle of one
 * call, which never lists the process, carries none of it.
 */
export interface TcpDump {
  /**
   * Dumps every TCP socket of the network namespace (IPv4, then IPv6).
   * @param netlink A socket from {@link TcpDump.openSocket} to ask through (it stays open), for
   *   another namespace's sockets; by default one opened here, in this thread's namespace.
   * @returns The records; valid until the next dump (the storage is reused).
   */
  dumpTcp(netlink?: number): DiagTable;
  /**
   * Opens a socket to ask through, which answers for the network namespace the calling thread is
   * in when it opens; -1 when the kernel refuses. The caller closes it.
   */
  openSocket(): number;
}

/**
 * How one option is set and read on this system where a plain setsockopt/getsockopt of its
 * constant is not the way: a Windows build older than the option (keep-alive times through
 * SIO_KEEPALIVE_VALS, a fixed probe count), or an option the system may lack at run time.
 */
export interface OptionCalls {
  /**
   * Sets the value, already in the constant's kernel unit.
   * @returns 0, or -1 with the last error set (the core reports it as it does for setsockopt).
   * @throws {UnsupportedError} where this system cannot set it at all.
   */
  set(fd: number, value: number): number;
  /**
   * Reads the value into `into[0]`, in the constant's kernel unit.
   * @returns 0, or -1 with the last error set.
   * @throws {UnsupportedError} where this system cannot read it at all.
   */
  get(fd: number, into: Int32Array): number;
}

/** What one OS provides. */
export interface OsBackend {
  /** The OS's core constants (options, errno, layouts). */
  readonly constants: PlatformConstants;
  /**
   * What to bind on this architecture: libc on Unix; ws2_32, ntdll, kernel32 and the C runtime
   * on Windows, whose last error is `WSAGetLastError()` rather than errno.
   * @param arch `x86_64` or `aarch64`, as the runtime adapter reports it.
   */
  library(arch: string): BindPlan;
  /**
   * Whether `fd` is open, where `fcntl(F_GETFD)` is not how to ask (Windows:
   * `GetHandleInformation`). Absent: fcntl.
   */
  isOpen?(sys: SystemLibrary, fd: number): boolean;
  /**
   * The options this system sets or reads some other way, by their constant in
   * {@link constants} (the same objects as in the OS's full table). Asked once, after binding.
   */
  optionCalls?(sys: SystemLibrary): ReadonlyMap<OptionConstant, OptionCalls>;
  /**
   * The fd numbers are handles (Windows): only those {@link listFds} returns may be probed, never
   * the numbers between them, which may name pipes or files that a socket call could block on.
   */
  readonly listedOnly?: boolean;
  /**
   * Every open fd of this process, from the kernel's own table (Windows: the socket handles of
   * the process's handle table, each with `socket: true`).
   * @throws {Error} when the kernel's table cannot be read, or a listing proves incomplete.
   */
  listFds(sys: SystemLibrary): FdEntry[];
  /** The fast socket view, where the OS has one; `null` where this host refuses it. */
  openSockDiag?(sys: SystemLibrary): SockDiag | null;
}

/** The error of a failed fd listing. */
export function listingFailed(call: string, errno: number): Error {
  return new Error(`Cannot list open file descriptors: ${call} failed with errno ${errno}`);
}
