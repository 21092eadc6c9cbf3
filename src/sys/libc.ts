/**
 * The system calls: setsockopt and getsockopt with their failures turned into
 * {@link SockoptError}s whose errno has been checked, and the small reads (SO_TYPE,
 * SO_ACCEPTCONN, SO_KEEPALIVE, SO_COOKIE) that resolving a handle makes. Loading libc and its
 * buffers is native.ts's, addresses are sockaddr.ts's.
 *
 * @module
 */
import type { OptionConstant } from "../../platforms/types.ts";
import { debugging, debugSyscall, type Syscall } from "../debug.ts";
import { describeErrno } from "../errno.ts";
import { SockoptError } from "../errors.ts";
import {
  CHECK,
  CHECK_LEN,
  COOKIE,
  COOKIE_LEN,
  getNative,
  LEN,
  type Native,
  native,
  readType,
  VALUE,
  verifiedErrno,
} from "./native.ts";
import { describeSocket } from "./sockaddr.ts";

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

/** SO_TYPE of an open socket, or -1 when it cannot be read. */
export function socketType(fd: number): number {
  return readType(native ?? getNative("getsockopt"), fd);
}

/** SO_ACCEPTCONN: 1 listening, 0 not, -1 where the OS cannot tell (macOS). */
export function isListening(fd: number): number {
  return readFlag(fd, "SO_ACCEPTCONN");
}

/** SO_KEEPALIVE of `fd`: 1 on, 0 off, -1 unreadable. Leaves the value area to the caller's value. */
export function keepAliveFlag(fd: number): number {
  return readFlag(fd, "SO_KEEPALIVE");
}

// A boolean option read through the check area, which no caller's value lives in: 1, 0, or -1
// where the call fails or the OS has no such option.
function readFlag(fd: number, option: "SO_ACCEPTCONN" | "SO_KEEPALIVE"): number {
  const n = native ?? getNative("getsockopt");
  const constant = n.platform.options[option];
  if (constant === null) return -1;
  n.view.setUint32(CHECK_LEN, 4, true);
  const ok = n.fn.getsockopt(fd, constant.level, constant.optname, n.checkPtr, n.checkLenPtr);
  if (ok !== 0) return -1;
  // Winsock may answer a BOOL with one byte (optlen 1).
  const value = n.view.getUint32(CHECK_LEN, true) === 1 ? n.view.getUint8(CHECK) : n.view.getInt32(CHECK, true);
  return value !== 0 ? 1 : 0;
}

/** Whether the OS gives sockets a never-reused cookie (Linux SO_COOKIE). */
export function hasCookies(): boolean {
  return (native ?? getNative("getsockopt")).platform.options.SO_COOKIE !== null;
}

/**
 * Reads `fd`'s SO_COOKIE into the cookie buffer; take it with {@link cookieParts}. Returns false
 * when the fd holds no socket.
 */
export function readCookie(fd: number): boolean {
  const n = native ?? getNative("getsockopt");
  const constant = n.platform.options.SO_COOKIE!;
  n.view.setUint32(COOKIE_LEN, 8, true);
  return n.fn.getsockopt(fd, constant.level, constant.optname, n.cookiePtr, n.cookieLenPtr) === 0;
}

/** The cookie last read, as two 32-bit halves (no bigint, so no allocation). */
export function cookieParts(): [number, number] {
  const n = native ?? getNative("getsockopt");
  return [n.view.getUint32(COOKIE, true), n.view.getUint32(COOKIE + 4, true)];
}

/** Whether `fd` holds the socket whose cookie is `low`/`high` (one getsockopt, no allocation). */
export function holdsCookie(fd: number, low: number, high: number): boolean {
  if (!readCookie(fd)) return false;
  const n = native ?? getNative("getsockopt");
  return n.view.getUint32(COOKIE, true) === low && n.view.getUint32(COOKIE + 4, true) === high;
}
