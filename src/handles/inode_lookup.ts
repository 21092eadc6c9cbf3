/**
 * Linux's short way to the fd of a socket known only by its addresses (a Deno handle's first
 * lookup). Reading every fd's addresses costs a system call or two per fd, 20 ms and more among
 * 20,000 fds; instead sock_diag names the socket's inode in one question (a connection by its
 * two ends) or one dump of the listeners on one port, and statx, one call per fd, tells which fd
 * holds that inode. The probing starts where a socket most likely is: at an fd it was seen at
 * before (an open socket keeps its number), then, as a new socket takes the lowest free fd number
 * and the netlink socket asked, opened just before, shows where that is now, the numbers just
 * below it. Numbers above it are read from the fd directory only when those miss. What statx
 * finds is kept in the fd index the policy shares (sys/fd_inodes.ts). Whatever is returned had its
 * addresses, its interface and its SO_COOKIE read back just now and compared with what sock_diag
 * said of the socket. sock_diag answers for the asking thread's network namespace only, so a
 * socket of another namespace (held through the fd table a thread that `unshare`d shares) is never
 * taken for one of its own.
 *
 * Several fds can hold one socket (a `dup` another holder made): the one the runtime holds is
 * kept, told by the handle's own fd where the runtime names it, else by close-on-exec, which every
 * runtime sets on its sockets and a plain `dup` leaves off.
 *
 * Constants: `<bits/socket.h>` (AF_INET, AF_INET6), `<netinet/tcp.h>` (TCP_LISTEN).
 *
 * @module
 */
import type { SocketQuery } from "./query.ts";
import { formatIp, WILDCARD } from "../address.ts";
import { closeOnExec, holdsCookie, socketName } from "../sys/inspect.ts";
import { extent, known as knownAt, look } from "../sys/fd_inodes.ts";
import { sockDiag } from "../sys/sock_diag.ts";
import { REC, type SockDiag, type TcpQuestion } from "../../platforms/backend.ts";

const AF_INET = 2;
const AF_INET6 = 10;
const TCP_LISTEN = 10;
const ALL_STATES = 0xfff; // a bit per TCP state, TCP_ESTABLISHED (1) to TCP_CLOSING (11)

// Work done, for tests (see lookupWork in fd_index.ts).
const work = { requests: 0, listings: 0, probes: 0 };

/** The address bytes of a canonical ip (see address.ts): 4 for IPv4, 16 for IPv6. */
function ipBytes(ip: string): number[] {
  if (!ip.includes(":")) return ip.split(".").map(Number);
  const bytes: number[] = [];
  for (const group of ip.split(":")) {
    const word = parseInt(group, 16);
    bytes.push(word >> 8, word & 0xff);
  }
  return bytes;
}

/** What to ask sock_diag for `query`, or undefined when it cannot be asked (no exact ends). */
function questions(query: SocketQuery): TcpQuestion[] | undefined {
  if (query.kind === "listener") {
    // A listener's family is not in its canonical address (IPv4-mapped reads as IPv4, the
    // wildcard as "*"): ask both, each a walk of the small listening hash only.
    const ask = (family: number) => ({ family, exact: false, states: 1 << TCP_LISTEN, sport: query.port, dport: 0 });
    return query.ip?.includes(":") ? [ask(AF_INET6)] : [ask(AF_INET), ask(AF_INET6)];
  }
  const { local, remote } = query;
  const six = local.ip.includes(":");
  if (local.ip === WILDCARD || remote.ip === WILDCARD || six !== remote.ip.includes(":")) return undefined;
  // AF_INET also finds a dual-stack IPv6 socket talking IPv4: the kernel hashes it by its IPv4 ends.
  const family = six ? AF_INET6 : AF_INET;
  return [{
    family,
    exact: true,
    states: 0,
    sport: local.port,
    dport: remote.port,
    src: ipBytes(local.ip),
    dst: ipBytes(remote.ip),
  }];
}

/** A socket sock_diag named, and where it was found. */
interface Wanted {
  /** Its SO_COOKIE halves and the interface it is bound to (idiag_if), as sock_diag reports them. */
  readonly cookieLow: number;
  readonly cookieHigh: number;
  readonly iface: number;
  /** The fd found holding it, or -1. */
  fd: number;
  /** Whether that fd is the runtime's own (the hint, or close-on-exec), so no other is looked for. */
  own: boolean;
}

/** The sockets sock_diag reports for `query` by inode (maybe none), and the lowest free fd number; undefined if it cannot say. */
function inodesOf(
  diag: SockDiag,
  query: SocketQuery,
): { inodes: Map<number, Wanted>; lowest: number } | undefined {
  const asked = questions(query);
  if (asked === undefined) return undefined;
  const inodes = new Map<number, Wanted>();
  const add = (view: DataView, at: number, inode: number) =>
    inodes.set(inode, {
      cookieLow: view.getUint32(at + REC.cookie, true),
      cookieHigh: view.getUint32(at + REC.cookie + 4, true),
      iface: view.getUint32(at + REC.iface, true),
      fd: -1,
      own: false,
    });
  const each = (view: DataView, at: number) => {
    const inode = view.getUint32(at + REC.inode, true);
    // 0: a socket no fd holds (closed and lingering, or in TIME_WAIT).
    if (inode === 0) return;
    const bytes = new Uint8Array(view.buffer);
    const listening = bytes[at + REC.state] === TCP_LISTEN;
    const length = bytes[at + REC.family] === AF_INET6 ? 16 : 4;
    const ip = formatIp(bytes, at + REC.src, length);
    if (query.kind === "listener") {
      if (listening && (query.ip === undefined || ip === query.ip)) add(view, at, inode);
      return;
    }
    // With no connection at those ends, the kernel answers with the listener on the local port.
    if (listening || ip !== query.local.ip || view.getUint16(at + REC.dport, false) !== query.remote.port) return;
    if (formatIp(bytes, at + REC.dst, length) === query.remote.ip) add(view, at, inode);
  };
  work.requests++;
  let lowest = diag.askTcp(asked, each);
  if (lowest >= 0 && inodes.size === 0 && query.kind === "connection") {
    // The exact question misses a connection bound to a device (IPv6 link-local, SO_BINDTODEVICE),
    // and its "none" is also what a kernel without TCP's diag handler says: a dump by both ports
    // (every state) finds the first and fails on the second. Dumps keep to their family, and an
    // IPv6 socket may talk IPv4. The dump names every such socket: link-local twins on several
    // interfaces all come back, each with its own idiag_if.
    const dump = (family: number) => ({
      ...asked[0],
      family,
      exact: false,
      states: ALL_STATES,
      src: undefined,
      dst: undefined,
    });
    work.requests++;
    lowest = diag.askTcp(asked[0].family === AF_INET ? [dump(AF_INET), dump(AF_INET6)] : [dump(AF_INET6)], each);
  }
  return lowest < 0 ? undefined : { inodes, lowest };
}

function probe(fd: number): number {
  work.probes++;
  return look(fd);
}

/**
 * Whether `fd` has the addresses `query` names on the interface sock_diag reported, and still the
 * inode it was found by, with the socket's cookie: the very socket of sock_diag's record.
 */
function holds(diag: SockDiag, fd: number, query: SocketQuery, inode: number, wanted: Wanted): boolean {
  const local = socketName(fd, false);
  const [ip, port] = query.kind === "connection" ? [query.local.ip, query.local.port] : [query.ip, query.port];
  if (typeof local === "string" || local.port !== port || (ip !== undefined && local.ip !== ip)) return false;
  // A link-local end's interface is the one the socket is bound to (0 for every other address).
  if (local.scope !== undefined && local.scope !== wanted.iface) return false;
  const remote = socketName(fd, true);
  const ends = query.kind === "listener"
    ? remote === "none"
    : typeof remote !== "string" && remote.ip === query.remote.ip && remote.port === query.remote.port;
  // The same inode after the reads (the fd was not closed and given to another socket meanwhile),
  // and the cookie sock_diag gave: inode numbers come from a 32-bit counter that wraps.
  return ends && diag.socketInode(fd) === inode && holdsCookie(fd, wanted.cookieLow, wanted.cookieHigh);
}

/**
 * The fds of every socket of this network namespace matching `query` that this process holds,
 * found through sock_diag and statx, each with its addresses and cookie read back just now; one fd
 * per socket, the runtime's own where another holder has a duplicate. A connection is one socket,
 * unless twins share its addresses and ports on several interfaces.
 *
 * @param query The connection or listener wanted.
 * @param hint The handle's own fd, where the runtime names it: kept over any duplicate.
 * @returns The fds in ascending order; none when no socket of this network namespace at those
 * addresses is held here; undefined when sock_diag cannot be asked (the caller then reads every
 * fd's addresses).
 */
export function findByInode(query: SocketQuery, hint?: number): number[] | undefined {
  const diag = sockDiag();
  if (diag === null) return undefined;
  const asked = inodesOf(diag, query);
  if (asked === undefined) return undefined;
  const { inodes, lowest } = asked;
  if (inodes.size === 0) return [];
  // Numbers probed in this lookup, so no order below probes one twice.
  const probed = new Uint8Array(lowest);
  // Sockets not yet found at an fd the runtime holds.
  let pending = inodes.size;
  // True once nothing more is wanted.
  const check = (fd: number): boolean => {
    if (fd < lowest) probed[fd] = 1;
    const inode = probe(fd);
    const wanted = inodes.get(inode);
    if (wanted === undefined || wanted.own || !holds(diag, fd, query, inode, wanted)) return false;
    const own = fd === hint || closeOnExec(fd) === 1;
    // A duplicate without close-on-exec is kept only until the runtime's own fd turns up.
    if (wanted.fd === -1 || own) wanted.fd = fd;
    if (own) {
      wanted.own = true;
      pending--;
    }
    return pending === 0;
  };
  const indexed = extent();
  const known = Math.min(lowest, indexed);
  let done = false;
  // First wherever a wanted inode was seen before: an open socket keeps its fd number.
  for (let fd = 0; fd < indexed && !done; fd++) if (inodes.has(knownAt(fd))) done = check(fd);
  // Every number below `lowest` was open when the netlink socket took it. First those free or
  // never read when last looked at (opened since), nearest `lowest` first: the newest sockets sit
  // just below it (the shared index also marks free every number whose socket a policy saw
  // close, long ago perhaps); then those that held something else (closed and reused since). No
  // list is built: a first lookup usually ends at its first probe.
  for (let fd = lowest - 1; fd >= 0 && !done; fd--) {
    if (!probed[fd] && (fd >= known || knownAt(fd) < 0)) done = check(fd);
  }
  for (let fd = known - 1; fd >= 0 && !done; fd--) if (!probed[fd]) done = check(fd);
  if (!done) {
    // The socket sits above a number freed after it opened: only the directory lists those.
    work.listings++;
    let open: Int32Array;
    try {
      open = diag.openFds();
    } catch {
      return undefined; // no whole /proc/self/fd: the index's own ways may do without it
    }
    for (const fd of open) if (fd > lowest && check(fd)) break;
  }
  const found: number[] = [];
  for (const wanted of inodes.values()) if (wanted.fd !== -1) found.push(wanted.fd);
  return found.sort((a, b) => a - b);
}

/** The work {@link findByInode} has done: sock_diag requests, fd-directory listings, statx probes. */
export function inodeLookupWork(): { requests: number; listings: number; probes: number } {
  return { ...work };
}
