/**
 * The option calls: setsockopt and getsockopt with their failures turned into
 * {@link SockoptError}s whose errno has been checked, and the duplicate fd through which another
 * owner's socket is configured. Loading libc and its buffers is native.ts's; the reads that tell
 * what an fd holds are inspect.ts's.
 *
 * @module
 */
import type { ErrnoName, OptionConstant } from "../../platforms/types.ts";
import { debugging, debugSyscall, type Syscall } from "./debug.ts";
import { describeErrno } from "./errno.ts";
import { SockoptError } from "../errors.ts";
import { CHECK_LEN, getNative, LEN, type Native, native, VALUE } from "./native.ts";
import { describeSocket, isOpen, isSocket, unixOf } from "./inspect.ts";

/** The option as messages name it: `TCP_KEEPIDLE`, or `TCP_KEEPIDLE (TCP_KEEPALIVE)` where the OS spells it otherwise. */
export function label(option: string, constant: OptionConstant): string {
  return constant.native === option ? option : `${option} (${constant.native})`;
}

/** Sets an int-sized option; `value` is already in the kernel's unit and range. */
export function setInt(fd: number, option: string, constant: OptionConstant, value: number): void {
  const n = native ?? getNative("setsockopt");
  const calls = n.calls?.get(constant);
  if (calls !== undefined) {
    // The backend's own way (Windows: an older build, or an option the system may lack).
    const set = () => calls.set(fd, value);
    if (set() !== 0) fail(n, n.lib.errno(), "set", "setsockopt", fd, option, constant, set);
    return;
  }
  n.view.setInt32(VALUE, value, true);
  setBytes(fd, option, constant, 4);
}

const READ = /* @__PURE__ */ new Int32Array(1);

/** Reads an int-sized option, in the kernel's unit. */
export function getInt(fd: number, option: string, constant: OptionConstant): number {
  const n = native ?? getNative("getsockopt");
  const calls = n.calls?.get(constant);
  if (calls !== undefined) {
    const get = () => calls.get(fd, READ);
    if (get() !== 0) fail(n, n.lib.errno(), "get", "getsockopt", fd, option, constant, get);
    return READ[0];
  }
  // Winsock may answer a BOOL with one byte (optlen 1): the rest of the int is not its.
  return getBytes(fd, option, constant, 4) === 1 ? n.view.getUint8(VALUE) : n.view.getInt32(VALUE, true);
}

/** Sets an option from the first `length` bytes of {@link valueBytes}, which the caller wrote. */
export function setBytes(fd: number, option: string, constant: OptionConstant, length: number): void {
  const n = native ?? getNative("setsockopt");
  if (n.fn.setsockopt(fd, constant.level, constant.optname, n.valuePtr, length) !== 0) {
    const errno = n.lib.errno();
    if (debugging) trace(n, "setsockopt", fd, option, constant, length, errno);
    fail(
      n,
      errno,
      "set",
      "setsockopt",
      fd,
      option,
      constant,
      () => n.fn.setsockopt(fd, constant.level, constant.optname, n.valuePtr, length),
    );
  } else if (debugging) trace(n, "setsockopt", fd, option, constant, length, 0);
}

// Reports a call to the debug view (errno already read): the int sent or read, or null for other sizes.
function trace(n: Native, call: Syscall, fd: number, option: string, c: OptionConstant, length: number, errno: number) {
  const value = errno === 0 && length === 4 ? n.view.getInt32(VALUE, true) : null;
  debugSyscall(call, fd, option, c.level, c.optname, value, length, errno && describeErrno(n.names, errno).code);
}

/**
 * Reads an option into {@link valueBytes}, offering the kernel `capacity` bytes.
 * @returns The number of bytes the kernel wrote (its optlen), which may be fewer.
 */
export function getBytes(fd: number, option: string, constant: OptionConstant, capacity: number): number {
  const n = native ?? getNative("getsockopt");
  n.view.setUint32(LEN, capacity, true);
  if (n.fn.getsockopt(fd, constant.level, constant.optname, n.valuePtr, n.lenPtr) !== 0) {
    const errno = n.lib.errno();
    if (debugging) trace(n, "getsockopt", fd, option, constant, capacity, errno);
    fail(n, errno, "get", "getsockopt", fd, option, constant, () => {
      n.view.setUint32(LEN, capacity, true);
      return n.fn.getsockopt(fd, constant.level, constant.optname, n.valuePtr, n.lenPtr);
    });
  } else if (debugging) trace(n, "getsockopt", fd, option, constant, n.view.getUint32(LEN, true), 0);
  return n.view.getUint32(LEN, true);
}

/**
 * Fails unless `fd` is a TCP socket, for calls whose own options would not notice
 * (SO_KEEPALIVE is accepted by UDP and Unix-domain sockets alike).
 */
export function assertTcp(fd: number, action: "set" | "get", option: string, constant: OptionConstant): void {
  const n = native ?? getNative("getsockopt");
  const { IPPROTO_TCP, options } = n.platform;
  n.view.setUint32(CHECK_LEN, 4, true);
  const probe = () => n.fn.getsockopt(fd, IPPROTO_TCP, options.TCP_NODELAY!.optname, n.checkPtr, n.checkLenPtr);
  if (probe() !== 0) {
    const errno = n.lib.errno();
    // The probe is a getsockopt, whatever the caller meant to do.
    fail(n, errno, action, "getsockopt", fd, option, { ...constant, level: IPPROTO_TCP }, probe);
  }
}

function fail(
  n: Native,
  reported: number,
  action: "set" | "get",
  syscall: "setsockopt" | "getsockopt",
  fd: number,
  option: string,
  constant: OptionConstant,
  retry: () => number,
): void {
  const extra = constant.errnos === undefined
    ? undefined
    : new Set(constant.errnos.map((name) => n.platform.errno[name]));
  const errno = verifiedErrno(n, fd, reported, retry, () => n.lib.errno(), extra);
  if (errno === 0) return;
  const { code, text } = describeErrno(n.names, errno, n.platform);
  const { errno: E, IPPROTO_TCP } = n.platform;
  let detail = text;
  if (constant.level === IPPROTO_TCP && (errno === E.ENOPROTOOPT || errno === E.EOPNOTSUPP || errno === E.EINVAL)) {
    const kind = describeSocket(n, fd);
    if (kind !== "a TCP socket") detail = `fd ${fd} is ${kind}, and TCP options apply only to TCP sockets (${code})`;
  }
  throw new SockoptError(`Cannot ${action} ${label(option, constant)} on fd ${fd}: ${detail}`, {
    code,
    errno,
    syscall,
    option,
    fd,
  });
}

// How often an idempotent call is repeated when errno names something it cannot return.
const RETRIES = 3;

/**
 * The errno of a failed call, made true: errno read through FFI can be overwritten by runtime
 * work between the call and the read, so EBADF and ENOTSOCK are derived from the kernel, and any
 * other code must be one the call can return, or the call is repeated. An errno only this option
 * returns (`extra`, such as ENOENT for TCP_CONGESTION) is also what a stray errno most often
 * reads as, so it counts once two calls in a row report it.
 * Returns 0 when a repeat succeeded.
 */
export function verifiedErrno(
  n: Native,
  fd: number,
  errno: number,
  retry: () => number,
  source: () => number,
  extra?: ReadonlySet<number>,
): number {
  const { EBADF, ENOTSOCK } = n.platform.errno;
  let previous = -1;
  for (let attempt = 0;; attempt++) {
    if (!isOpen(n, fd)) return EBADF;
    if (!isSocket(n, fd)) return ENOTSOCK;
    if (n.plausible.has(errno) || attempt === RETRIES) return errno;
    if (extra !== undefined && extra.has(errno) && errno === previous) return errno;
    previous = errno;
    if (retry() === 0) return 0;
    errno = source();
  }
}

/**
 * {@link verifiedErrno} with the errno read from `source` instead of libc, so tests can hand it
 * an errno that lies; the kernel checks (fcntl, SO_TYPE) are real.
 * @param fd The fd the failed call was made on.
 * @param reported The errno the failed call reported.
 * @param retry Repeats the call: 0 on success, -1 on failure.
 * @param source Reads the errno after a failed repeat.
 * @param extra Names of errnos only this option returns (TCP_CONGESTION's ENOENT).
 * @returns The errno to report, or 0 when a repeat succeeded.
 */
export function verifyErrno(
  fd: number,
  reported: number,
  retry: () => number,
  source: () => number,
  extra: readonly ErrnoName[] = [],
): number {
  const n = native ?? getNative("getsockopt");
  return verifiedErrno(n, fd, reported, retry, source, new Set(extra.map((name) => n.platform.errno[name])));
}

/**
 * A duplicate of `fd`: a new number (close-on-exec, so no child process inherits it) for the open
 * file `fd` holds now, which keeps holding that very socket whatever another thread does to the
 * number `fd` meanwhile. -1 when `fd` is not open. Close it with {@link closeDuplicate}.
 * @throws {SockoptError} when the kernel refuses (EMFILE: the process has no number to spare).
 */
export function duplicate(fd: number): number {
  const n = native ?? getNative("fcntl");
  const unix = unixOf(n);
  // Windows: the handle itself (see docs/windows.md: a socket handle reused by another thread
  // between the check and the set is not caught there).
  if (unix === undefined) return fd;
  const copy = n.variadicArgument ? n.fn.fcntl(fd, unix.F_DUPFD_CLOEXEC, 0) : n.fn.dup(fd);
  if (copy >= 0) return copy;
  const errno = n.lib.errno();
  if (!isOpen(n, fd)) return -1;
  const { code, text } = describeErrno(n.names, errno);
  throw new SockoptError(`Cannot duplicate fd ${fd} to configure it through: ${text}`, {
    code,
    errno,
    syscall: n.variadicArgument ? "fcntl" : "dup",
    option: null,
    fd,
  });
}

/** Closes a number {@link duplicate} returned (never any other fd; on Windows, nothing). */
export function closeDuplicate(copy: number): void {
  const n = native ?? getNative("close");
  if (unixOf(n) !== undefined) n.fn.close(copy);
}
