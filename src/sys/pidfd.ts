/**
 * Another process's sockets, on Linux: a pidfd for it (`pidfd_open`, Linux 5.3), the numbers of its
 * open fds (`/proc/PID/fd`, read with getdents64), duplicates of them (`pidfd_getfd`, Linux 5.6,
 * under the same ptrace rules as a debugger attaching), and a sock_diag socket opened inside its
 * network namespace (`setns`, and back).
 *
 * Constants: `<asm-generic/unistd.h>` (`__NR_pidfd_open` 434, `__NR_pidfd_getfd` 438, the same on
 * x86_64 and arm64: every architecture shares the numbers from 424 on), `<asm-generic/errno-base.h>`
 * and `<asm-generic/errno.h>` (errno), `<linux/sched.h>` (CLONE_NEWNET), `<fcntl.h>` (O_* flags).
 *
 * @module
 */
import { getNative, type Native } from "./native.ts";
import { nativeBytes } from "../ffi/adapter.ts";
import { openDumpSocket } from "./tcp_dump.ts";
import type { Pointer } from "../ffi/symbols.ts";

const SYS_PIDFD_OPEN = 434;
const SYS_PIDFD_GETFD = 438;
const CLONE_NEWNET = 0x40000000;
const O_RDONLY_CLOEXEC = 0o2000000;
const O_RDONLY_DIRECTORY_CLOEXEC = 0o200000 | 0o2000000;
const encoder = new TextEncoder();

/** Linux errno numbers these calls report, by name. */
export const LINUX_ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EBADF: 9,
  EACCES: 13,
  EINVAL: 22,
  EMFILE: 24,
  ENOSYS: 38,
} as const;

const NAMES = new Map<number, string>(Object.entries(LINUX_ERRNO).map(([name, value]) => [value, name]));

/** A system call about another process failed; `code` is its errno's name. */
export class ProcessCallError extends Error {
  /** The errno name (`"ESRCH"`, `"EPERM"`, …), or `E<number>` for one without a name here. */
  readonly code: string;
  /** The errno number. */
  readonly errno: number;
  /** The call that failed, such as `pidfd_getfd` (or `open /proc/4242/fd`, with its path). */
  readonly syscall: string;

  /**
   * The error for a failed call about process `pid`.
   * @param syscall The call.
   * @param errno Its errno.
   * @param message What it was for.
   */
  constructor(syscall: string, errno: number, message: string) {
    const code = NAMES.get(errno) ?? `E${errno}`;
    super(`${message}: ${syscall} failed with ${code}`);
    this.name = "ProcessCallError";
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
  }
}

interface Buffers {
  readonly path: Uint8Array;
  readonly pathPtr: Pointer;
  readonly dents: Uint8Array;
  readonly dentsView: DataView;
  readonly dentsPtr: Pointer;
}

const DENTS = 64 * 1024;
let buffers: Buffers | undefined;

function ready(n: Native): Buffers {
  if (buffers === undefined) {
    const bytes = (size: number) => nativeBytes(n.lib, size);
    const path = bytes(64);
    const dents = bytes(DENTS);
    buffers = {
      path,
      pathPtr: n.lib.pointerOf(path),
      dents,
      dentsView: new DataView(dents.buffer, dents.byteOffset, dents.byteLength),
      dentsPtr: n.lib.pointerOf(dents),
    };
  }
  return buffers;
}

function linux(call: string): Native {
  const n = getNative(call);
  if (n.fn.syscall === undefined || n.fn.setns === undefined) {
    throw new Error(`Cannot call ${call}: it is a Linux system call, and this is ${n.platform.os}`);
  }
  return n;
}

// Writes `path` NUL-terminated into the path buffer (paths here are /proc/PID/..., well under 64 bytes).
function cString(b: Buffers, path: string): void {
  b.path.fill(0);
  const { written } = encoder.encodeInto(path, b.path.subarray(0, b.path.length - 1));
  if (written !== path.length) throw new Error(`Cannot use ${path}: the path is too long`);
}

// Opens a /proc path read-only (close-on-exec); returns the fd or -errno.
function openPath(n: Native, b: Buffers, path: string, flags: number): number {
  cString(b, path);
  const fd = n.fn.open(b.pathPtr, flags);
  return fd < 0 ? -n.lib.errno() : fd;
}

/**
 * A pidfd for process `pid`: it keeps naming that process (never one that took its number later).
 * @param pid The process.
 * @returns The pidfd; close it with {@link closeFd}.
 * @throws {ProcessCallError} ESRCH when there is no such process, ENOSYS before Linux 5.3.
 */
export function openPidfd(pid: number): number {
  const n = linux("pidfd_open");
  const fd = Number(n.fn.syscall!(SYS_PIDFD_OPEN, pid, 0, 0));
  if (fd < 0) throw new ProcessCallError("pidfd_open", n.lib.errno(), `Cannot open process ${pid}`);
  return fd;
}

/**
 * A duplicate of fd `fd` of the process behind `pidfd`, in this process, close-on-exec. It holds
 * the same socket (options set through it are the socket's), until closed with {@link closeFd}.
 * @param pidfd From {@link openPidfd}.
 * @param fd The fd number in that process.
 * @returns The duplicate's fd number here, or minus the errno: EBADF when that fd is not open
 *   (any more), EPERM when ptrace rules forbid it, ENOSYS before Linux 5.6.
 */
export function takeFd(pidfd: number, fd: number): number {
  const n = linux("pidfd_getfd");
  const dup = Number(n.fn.syscall!(SYS_PIDFD_GETFD, pidfd, fd, 0));
  return dup < 0 ? -n.lib.errno() : dup;
}

/** Closes an fd this module opened (a pidfd or a duplicate). */
export function closeFd(fd: number): void {
  getNative("close").fn.close(fd);
}

let fdList = new Int32Array(1024);

/**
 * The numbers of process `pid`'s open fds, from `/proc/PID/fd` read with getdents64. Needs the
 * same access as reading the process's memory maps (ptrace read), less than {@link takeFd} needs.
 * @param pid The process.
 * @returns The numbers; a view valid until the next call (the storage is reused).
 * @throws {ProcessCallError} ENOENT when the process is gone, EACCES when not permitted.
 */
export function processFds(pid: number): Int32Array {
  const n = linux("getdents64");
  const b = ready(n);
  const dir = openPath(n, b, `/proc/${pid}/fd`, O_RDONLY_DIRECTORY_CLOEXEC);
  if (dir < 0) throw new ProcessCallError(`open /proc/${pid}/fd`, -dir, `Cannot list the fds of process ${pid}`);
  let count = 0;
  try {
    const bytes = b.dents;
    const v = b.dentsView;
    for (;;) {
      const got = Number(n.fn.getdents64!(dir, b.dentsPtr, DENTS));
      if (got < 0) throw new ProcessCallError("getdents64", n.lib.errno(), `Cannot list the fds of process ${pid}`);
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
  return fdList.subarray(0, count);
}

/**
 * Opens a sock_diag socket inside process `pid`'s network namespace: this thread enters the
 * namespace (`setns`), opens the socket, which stays bound to that namespace, and returns to its
 * own at once. Needs CAP_SYS_ADMIN over the namespace's owner.
 * @param pid The process.
 * @returns The socket's fd; close it with {@link closeFd}.
 * @throws {ProcessCallError} EPERM when entering the namespace is not permitted.
 */
export function sockDiagIn(pid: number): number {
  const n = linux("setns");
  const b = ready(n);
  const own = openPath(n, b, "/proc/thread-self/ns/net", O_RDONLY_CLOEXEC);
  if (own < 0) throw new ProcessCallError("open", -own, "Cannot open this thread's network namespace");
  const target = openPath(n, b, `/proc/${pid}/ns/net`, O_RDONLY_CLOEXEC);
  if (target < 0) {
    n.fn.close(own);
    throw new ProcessCallError(
      `open /proc/${pid}/ns/net`,
      -target,
      `Cannot open the network namespace of process ${pid}`,
    );
  }
  try {
    if (n.fn.setns!(target, CLONE_NEWNET) !== 0) {
      throw new ProcessCallError("setns", n.lib.errno(), `Cannot enter the network namespace of process ${pid}`);
    }
    // openDumpSocket only returns -1 on failure (it never throws), so nothing can run on this
    // thread between entering the namespace and leaving it again.
    const socket = openDumpSocket();
    const errno = n.lib.errno();
    if (n.fn.setns!(own, CLONE_NEWNET) !== 0) {
      const back = n.lib.errno();
      if (socket >= 0) n.fn.close(socket);
      throw new ProcessCallError("setns", back, "Cannot return to this thread's own network namespace");
    }
    if (socket < 0) {
      throw new ProcessCallError("socket", errno, `Cannot open a sock_diag socket for process ${pid}`);
    }
    return socket;
  } finally {
    n.fn.close(own);
    n.fn.close(target);
  }
}
