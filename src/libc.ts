/**
 * The system-call layer: libc opened once, on first use, with every buffer allocated then, and
 * failures turned into {@link SockoptError}s whose errno has been checked.
 *
 * @module
 */
import type { ErrnoName, OptionConstant, PlatformConstants } from "../platforms/types.ts";
import { formatIp } from "./address.ts";
import { debugging, debugSyscall, type Syscall } from "./debug.ts";
import { describeErrno, type ErrnoNames, errnoNames } from "./errno.ts";
import { SockoptError } from "./errors.ts";
import type { Library } from "./ffi/adapter.ts";
import type { Pointer, Symbols } from "./ffi/symbols.ts";
import { libcCandidates } from "./libc_paths.ts";
import { currentHost } from "./platform.ts";

// One block of native memory for every call. Byte offsets:
const LEN = 0; // socklen_t for the value
const CHECK_LEN = 4; // socklen_t for the checks
const CHECK = 8; // int for the checks
const ADDR_LEN = 12; // socklen_t for the address
const ADDR = 16; // struct sockaddr_storage (128 bytes)
const COOKIE = 144; // u64 socket cookie (Linux)
const COOKIE_LEN = 152; // socklen_t for the cookie
const VALUE = 256; // the option's value
const BLOCK = 1024;

/** Bytes available for one option value. */
export const VALUE_CAPACITY: number = BLOCK - VALUE;

// errnos setsockopt/getsockopt can return on a socket that is open and is a socket; EBADF and
// ENOTSOCK are left out on purpose: those two are decided by asking the kernel, not errno.
const PLAUSIBLE: readonly ErrnoName[] = [
  "EINVAL",
  "ENOPROTOOPT",
  "EOPNOTSUPP",
  "EPERM",
  "EACCES",
  "ENOMEM",
  "ENOBUFS",
  "EFAULT",
  "EDOM",
  "EISCONN",
  "ENOTCONN",
  "ECONNRESET",
  "EBUSY",
];

// How often an idempotent call is repeated when errno names something it cannot return.
const RETRIES = 3;

/** libc, bound, with its buffers. */
export interface Native {
  readonly platform: PlatformConstants;
  readonly lib: Library;
  readonly fn: Symbols;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly valuePtr: Pointer;
  readonly lenPtr: Pointer;
  readonly checkPtr: Pointer;
  readonly checkLenPtr: Pointer;
  readonly addrPtr: Pointer;
  readonly addrLenPtr: Pointer;
  readonly cookiePtr: Pointer;
  readonly cookieLenPtr: Pointer;
  readonly names: ErrnoNames;
  readonly plausible: ReadonlySet<number>;
}

let native: Native | undefined;

function load(call: string): Native {
  const { runtime, platform } = currentHost();
  const arch = runtime.arch === "aarch64" ? "aarch64" : "x86_64";
  const lib = runtime.open(libcCandidates(platform, runtime.arch), {
    errno_location: platform.errnoAccessor,
    readdir: platform.readdirSymbol[arch],
    os: platform.os,
  }, call);
  const bytes = nativeBytes(lib, BLOCK);
  const at = (offset: number) => lib.pointerOf(bytes.subarray(offset));
  return {
    platform,
    lib,
    fn: lib.symbols,
    bytes,
    view: new DataView(bytes.buffer),
    valuePtr: at(VALUE),
    lenPtr: at(LEN),
    checkPtr: at(CHECK),
    checkLenPtr: at(CHECK_LEN),
    addrPtr: at(ADDR),
    addrLenPtr: at(ADDR_LEN),
    cookiePtr: at(COOKIE),
    cookieLenPtr: at(COOKIE_LEN),
    names: errnoNames(platform),
    plausible: new Set(PLAUSIBLE.map((name) => platform.errno[name])),
  };
}

/**
 * Zeroed bytes whose address can be handed to C for as long as the view is alive: native memory
 * where the runtime's own buffers may move (Node's `allocate`), otherwise a typed array over its
 * own ArrayBuffer (Bun moves a small typed array's bytes the first time its `.buffer` is read,
 * which would leave a pointer taken before that dangling).
 * @param lib The bound library.
 * @param size How many bytes.
 * @returns The bytes; pass them to `lib.pointerOf` (or a subarray of them).
 */
export function nativeBytes(lib: Library, size: number): Uint8Array {
  return lib.allocate?.(size) ?? new Uint8Array(new ArrayBuffer(size));
}

/**
 * libc, opened on first use so that importing sockopts needs no permission.
 * @param call The C function about to be called, which a loading failure names.
 * @throws {UnsupportedError} on an OS or runtime sockopts cannot drive.
 * @throws {PermissionError} in Deno without `--allow-ffi`.
 */
export function getNative(call: string): Native {
  return native ??= load(call);
}

/** Forgets the loaded library, so the next call loads it for the current host (tests swap hosts). */
export function dropNative(): void {
  native = undefined;
  valueArea = undefined;
}

/** The option as messages name it: `TCP_KEEPIDLE`, or `TCP_KEEPIDLE (TCP_KEEPALIVE)` where the OS spells it otherwise. */
export function label(option: string, constant: OptionConstant): string {
  return constant.native === option ? option : `${option} (${constant.native})`;
}

/** Sets an int-sized option; `value` is already in the kernel's unit and range. */
export function setInt(fd: number, option: string, constant: OptionConstant, value: number): void {
  (native ?? getNative("setsockopt")).view.setInt32(VALUE, value, true);
  setBytes(fd, option, constant, 4);
}

/** Reads an int-sized option, in the kernel's unit. */
export function getInt(fd: number, option: string, constant: OptionConstant): number {
  getBytes(fd, option, constant, 4);
  return (native ?? getNative("getsockopt")).view.getInt32(VALUE, true);
}

let valueArea: Uint8Array | undefined;

/**
 * The native value area ({@link VALUE_CAPACITY} bytes) that {@link setBytes} sends and
 * {@link getBytes} fills, for values other than a 4-byte int.
 */
export function valueBytes(call: "setsockopt" | "getsockopt"): Uint8Array {
  return valueArea ??= (native ?? getNative(call)).bytes.subarray(VALUE);
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

function isOpen(n: Native, fd: number): boolean {
  // F_GETFD fails for one reason only: fd is not open.
  return n.fn.fcntl(fd, n.platform.F_GETFD) !== -1;
}

/** SO_TYPE of `fd`, or -1 when getsockopt fails. */
function readType(n: Native, fd: number): number {
  n.view.setUint32(CHECK_LEN, 4, true);
  const ok = n.fn.getsockopt(fd, n.platform.SOL_SOCKET, n.platform.options.SO_TYPE!.optname, n.checkPtr, n.checkLenPtr);
  return ok === 0 ? n.view.getInt32(CHECK, true) : -1;
}

function isSocket(n: Native, fd: number): boolean {
  // On an open fd, SO_TYPE fails for one reason only: it is not a socket.
  return readType(n, fd) !== -1;
}

/** The address family of the sockaddr that getsockname or getpeername just wrote. */
function addrFamily(n: Native): number {
  const { offset, bytes } = n.platform.sockaddrFamily;
  return bytes === 2 ? n.view.getUint16(ADDR + offset, true) : n.view.getUint8(ADDR + offset);
}

/**
 * The errno of a failed call, made true: errno read through FFI can be overwritten by runtime
 * work between the call and the read, so EBADF and ENOTSOCK are derived from the kernel, and any
 * other code must be one the call can return, or the call is repeated. An errno only this option
 * returns (`extra`, such as ENOENT for TCP_CONGESTION) is also what a stray errno most often
 * reads as, so it counts once two calls in a row report it.
 * Returns 0 when a repeat succeeded.
 */
function verifiedErrno(
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
  const { code, text } = describeErrno(n.names, errno);
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

/** Names what kind of socket `fd` is (`a UDP socket`, `a Unix-domain stream socket`, …), for messages. */
export function describeSocket(n: Native, fd: number): string {
  const p = n.platform;
  const type = readType(n, fd);
  if (type === -1) return "not a socket";
  n.view.setUint32(ADDR_LEN, 128, true);
  const family = n.fn.getsockname(fd, n.addrPtr, n.addrLenPtr) === 0 ? addrFamily(n) : -1;
  const typeName = type === p.SOCK_STREAM ? "stream" : type === p.SOCK_DGRAM ? "datagram" : `type ${type}`;
  if (family === p.AF_UNIX) return `a Unix-domain ${typeName} socket`;
  if (family === p.AF_INET || family === p.AF_INET6) {
    if (type === p.SOCK_STREAM) return "a TCP socket";
    if (type === p.SOCK_DGRAM) return "a UDP socket";
  }
  return family === -1 ? `a ${typeName} socket` : `a ${typeName} socket of address family ${family}`;
}

/** An IP endpoint read from a socket: canonical ip (see address.ts) and port. */
export interface Endpoint {
  readonly ip: string;
  readonly port: number;
  /** The socket's own family: 4, or 6 (which still spells IPv4-mapped peers as IPv4). */
  readonly family?: 4 | 6;
}

/** What getsockname or getpeername found. */
export type NameResult = Endpoint | "closed" | "not-socket" | "not-ip" | "none";

/**
 * The local (`peer = false`) or remote address of `fd`. "none" means the call failed on an open
 * socket (getpeername on a listener); "not-ip" is a socket of another family (Unix-domain).
 * EBADF and ENOTSOCK are derived from the kernel, not from errno.
 */
export function socketName(fd: number, peer: boolean): NameResult {
  const n = native ?? getNative("getsockname");
  n.view.setUint32(ADDR_LEN, 128, true);
  const r = peer ? n.fn.getpeername(fd, n.addrPtr, n.addrLenPtr) : n.fn.getsockname(fd, n.addrPtr, n.addrLenPtr);
  if (r !== 0) {
    if (!isOpen(n, fd)) return "closed";
    if (!isSocket(n, fd)) return "not-socket";
    return "none";
  }
  const p = n.platform;
  const family = addrFamily(n);
  // sockaddr_in and sockaddr_in6 both keep the port, big-endian, at byte 2.
  const port = n.view.getUint16(ADDR + 2, false);
  if (family === p.AF_INET) return { ip: formatIp(n.bytes, ADDR + 4, 4), port, family: 4 };
  if (family === p.AF_INET6) return { ip: formatIp(n.bytes, ADDR + 8, 16), port, family: 6 };
  return "not-ip";
}

/** SO_TYPE of an open socket, or -1 when it cannot be read. */
export function socketType(fd: number): number {
  return readType(native ?? getNative("getsockopt"), fd);
}

/** SO_ACCEPTCONN: 1 listening, 0 not, -1 where the OS cannot tell (macOS). */
export function isListening(fd: number): number {
  const n = native ?? getNative("getsockopt");
  const constant = n.platform.options.SO_ACCEPTCONN;
  if (constant === null) return -1;
  n.view.setUint32(CHECK_LEN, 4, true);
  const ok = n.fn.getsockopt(fd, constant.level, constant.optname, n.checkPtr, n.checkLenPtr);
  return ok === 0 ? (n.view.getInt32(CHECK, true) !== 0 ? 1 : 0) : -1;
}

/** SO_KEEPALIVE of `fd`: 1 on, 0 off, -1 unreadable. Leaves the value area to the caller's value. */
export function keepAliveFlag(fd: number): number {
  const n = native ?? getNative("getsockopt");
  const constant = n.platform.options.SO_KEEPALIVE;
  if (constant === null) return -1;
  n.view.setUint32(CHECK_LEN, 4, true);
  const ok = n.fn.getsockopt(fd, constant.level, constant.optname, n.checkPtr, n.checkLenPtr);
  return ok === 0 ? (n.view.getInt32(CHECK, true) !== 0 ? 1 : 0) : -1;
}

/** Whether the OS gives sockets a never-reused cookie (Linux SO_COOKIE). */
export function hasCookies(): boolean {
  return (native ?? getNative("getsockopt")).platform.options.SO_COOKIE !== null;
}

/**
 * Reads `fd`'s SO_COOKIE into the cookie buffer; compare it with {@link cookieEquals} or take it
 * with {@link cookieParts}. Returns false when the fd holds no socket.
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

/** Whether the cookie last read equals `low`/`high`. */
export function cookieEquals(low: number, high: number): boolean {
  const n = native ?? getNative("getsockopt");
  return n.view.getUint32(COOKIE, true) === low && n.view.getUint32(COOKIE + 4, true) === high;
}

// The fd listing lives in its own module; re-exported here, where its callers have always found it.
export { listFds } from "./fd_listing.ts";

/**
 * The local port of `fd` (0..65535), or {@link PORT_CLOSED} or {@link PORT_OTHER} (open, but not
 * an IP socket): one getsockname and no allocation, for scanning many fds.
 */
export function localPort(fd: number): number {
  const n = native ?? getNative("getsockname");
  n.view.setUint32(ADDR_LEN, 128, true);
  if (n.fn.getsockname(fd, n.addrPtr, n.addrLenPtr) !== 0) return isOpen(n, fd) ? PORT_OTHER : PORT_CLOSED;
  const p = n.platform;
  const family = addrFamily(n);
  return family === p.AF_INET || family === p.AF_INET6 ? n.view.getUint16(ADDR + 2, false) : PORT_OTHER;
}

/** {@link localPort}: the fd is not open. */
export const PORT_CLOSED = -2;
/** {@link localPort}: the fd is open but is no IP socket. */
export const PORT_OTHER = -1;
