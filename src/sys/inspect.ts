/**
 * What an fd holds, read without changing it: getsockname and getpeername (address, port and a
 * link-local address's interface), SO_TYPE, SO_ACCEPTCONN, SO_KEEPALIVE, TCP_NODELAY, SO_COOKIE
 * and SO_NETNS_COOKIE, the fd's close-on-exec flag, and the socket's kind for messages. Each
 * reads into the check, address or cookie area of the one native block (see native.ts), never the
 * value area a caller's option lives in.
 *
 * @module
 */
import type { UnixConstants } from "../../platforms/types.ts";
import { endpointKey, formatIp } from "../address.ts";
import { ADDR, ADDR_LEN, CHECK, CHECK_LEN, COOKIE, COOKIE_LEN, getNative, type Native, native } from "./native.ts";

/** Whether `fd` is open. */
export function isOpen(n: Native, fd: number): boolean {
  // fcntl(F_GETFD), or the backend's own question (Windows).
  return n.isOpen(fd);
}

/** SO_TYPE of `fd`, or -1 when getsockopt fails. */
export function readType(n: Native, fd: number): number {
  n.view.setUint32(CHECK_LEN, 4, true);
  const ok = n.fn.getsockopt(fd, n.platform.SOL_SOCKET, n.platform.options.SO_TYPE!.optname, n.checkPtr, n.checkLenPtr);
  return ok === 0 ? n.view.getInt32(CHECK, true) : -1;
}

/** Whether the open `fd` is a socket. */
export function isSocket(n: Native, fd: number): boolean {
  // On an open fd, SO_TYPE fails for one reason only: it is not a socket.
  return readType(n, fd) !== -1;
}

/** The address family of the sockaddr that getsockname or getpeername just wrote. */
function addrFamily(n: Native): number {
  const { offset, bytes } = n.platform.sockaddrFamily;
  return bytes === 2 ? n.view.getUint16(ADDR + offset, true) : n.view.getUint8(ADDR + offset);
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

/**
 * Whether a Unix-domain socket has a name at either end (a path, or an abstract name): a driver's
 * connection to a server always has one. The unnamed ones are pairs a process makes for itself
 * (socketpair(2): Deno's runtime keeps three, libuv one per piped child stdio), and no driver's.
 * An unnamed sockaddr_un is returned as its family alone (2 bytes, on Linux and the BSDs).
 */
export function unixNamed(n: Native, fd: number): boolean {
  n.view.setUint32(ADDR_LEN, 128, true);
  if (n.fn.getsockname(fd, n.addrPtr, n.addrLenPtr) === 0 && n.view.getUint32(ADDR_LEN, true) > 2) return true;
  n.view.setUint32(ADDR_LEN, 128, true);
  return n.fn.getpeername(fd, n.addrPtr, n.addrLenPtr) === 0 && n.view.getUint32(ADDR_LEN, true) > 2;
}

/** An IP endpoint read from a socket: canonical ip (see address.ts) and port. */
export interface Endpoint {
  readonly ip: string;
  readonly port: number;
  /** The socket's own family: 4, or 6 (which still spells IPv4-mapped peers as IPv4). */
  readonly family?: 4 | 6;
  /**
   * `sin6_scope_id`: the interface of a link-local address (the kernel leaves it 0 for every
   * other), which alone tells two connections between the same fe80:: addresses apart.
   */
  readonly scope?: number;
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
  if (family === p.AF_INET6) {
    // sockaddr_in6: family (or length and family), port, flowinfo, address, then sin6_scope_id.
    const scope = n.view.getUint32(ADDR + 24, true);
    const ip = formatIp(n.bytes, ADDR + 8, 16);
    return scope === 0 ? { ip, port, family: 6 } : { ip, port, family: 6, scope };
  }
  return "not-ip";
}

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

/**
 * One end of `fd` as a comparable string: its endpoint key (with a link-local address's
 * interface), or what socketName said instead (`closed`, `not-socket`, `not-ip`, `none`).
 */
export function endpointText(fd: number, peer: boolean): string {
  const name = socketName(fd, peer);
  return typeof name === "string" ? name : endpointKey(name.ip, name.port, name.scope);
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

/** TCP_NODELAY of `fd`: 1 on, 0 off (Nagle's algorithm on), -1 unreadable. */
export function noDelayFlag(fd: number): number {
  return readFlag(fd, "TCP_NODELAY");
}

/**
 * Whether `fd` is close-on-exec: 1 yes, 0 no, -1 not open. A flag of the fd, not of the socket:
 * every runtime opens its sockets with it, and a plain `dup()` of one leaves it off.
 */
export function closeOnExec(fd: number): number {
  const n = native ?? getNative("fcntl");
  const unix = unixOf(n);
  // Windows handles have no such flag to tell a runtime's own from another holder's.
  if (unix === undefined) return -1;
  const flags = n.fn.fcntl(fd, unix.F_GETFD, 0);
  return flags === -1 ? -1 : (flags & unix.FD_CLOEXEC) !== 0 ? 1 : 0;
}

/** The Unix constants of the loaded OS, or undefined on Windows. */
export function unixOf(n: Native): UnixConstants | undefined {
  return n.platform.os === "windows" ? undefined : n.platform as UnixConstants;
}

// A boolean option read through the check area, which no caller's value lives in: 1, 0, or -1
// where the call fails or the OS has no such option.
function readFlag(fd: number, option: "SO_ACCEPTCONN" | "SO_KEEPALIVE" | "TCP_NODELAY"): number {
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

/**
 * Reads the network namespace of the socket at `fd` (SO_NETNS_COOKIE, Linux 5.14+) into the
 * cookie buffer, as {@link readCookie} does; take it with {@link cookieParts}. False where it
 * cannot be read: no such socket, an older kernel, or an OS without network namespaces.
 */
export function readNetns(fd: number): boolean {
  const n = native ?? getNative("getsockopt");
  const optname = unixOf(n)?.SO_NETNS_COOKIE ?? null;
  if (optname === null) return false;
  n.view.setUint32(COOKIE_LEN, 8, true);
  return n.fn.getsockopt(fd, n.platform.SOL_SOCKET, optname, n.cookiePtr, n.cookieLenPtr) === 0;
}

/**
 * The network namespace of the calling thread, as the SO_NETNS_COOKIE halves of a socket it opens
 * and closes at once (a socket is made in its creator's namespace: a thread that `unshare`d has
 * its own, while sharing the fd table). Undefined where SO_NETNS_COOKIE cannot be read.
 */
export function threadNetns(): [number, number] | undefined {
  const n = native ?? getNative("socket");
  const unix = unixOf(n);
  if (unix === undefined || unix.SO_NETNS_COOKIE === null) return undefined;
  const fd = n.fn.socket(unix.AF_UNIX, unix.SOCK_DGRAM | (unix.SOCK_CLOEXEC ?? 0), 0);
  if (fd < 0) return undefined;
  try {
    return readNetns(fd) ? cookieParts() : undefined;
  } finally {
    n.fn.close(fd);
  }
}
