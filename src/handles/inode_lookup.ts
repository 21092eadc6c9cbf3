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
 * addresses read back just now.
 *
 * Constants: `<bits/socket.h>` (AF_INET, AF_INET6), `<netinet/tcp.h>` (TCP_LISTEN).
 *
 * @module
 */
import type { SocketQuery } from "./query.ts";
import { formatIp, WILDCARD } from "../address.ts";
import { socketName } from "../sys/inspect.ts";
import { extent, FREE, known as knownAt, look, UNSEEN } from "../sys/fd_inodes.ts";
import { sockDiag } from "../sys/sock_diag.ts";
import type { SockDiag } from "../../platforms/backend.ts";
import { REC, type TcpQuestion } from "../../platforms/backend.ts";

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

/** The inodes of the sockets sock_diag reports for `query` (maybe none), and the lowest free fd number; undefined if it cannot say. */
function inodesOf(diag: SockDiag, query: SocketQuery): { inodes: Set<number>; lowest: number } | undefined {
  const asked = questions(query);
  if (asked === undefined) return undefined;
  const inodes = new Set<number>();
  const each = (view: DataView, at: number) => {
    const inode = view.getUint32(at + REC.inode, true);
    // 0: a socket no fd holds (closed and lingering, or in TIME_WAIT).
    if (inode === 0) return;
    const bytes = new Uint8Array(view.buffer);
    const listening = bytes[at + REC.state] === TCP_LISTEN;
    const length = bytes[at + REC.family] === AF_INET6 ? 16 : 4;
    const ip = formatIp(bytes, at + REC.src, length);
    if (query.kind === "listener") {
      if (listening && (query.ip === undefined || ip === query.ip)) inodes.add(inode);
      return;
    }
    // With no connection at those ends, the kernel answers with the listener on the local port.
    if (listening || ip !== query.local.ip || view.getUint16(at + REC.dport, false) !== query.remote.port) return;
    if (formatIp(bytes, at + REC.dst, length) === query.remote.ip) inodes.add(inode);
  };
  work.requests++;
  let lowest = diag.askTcp(asked, each);
  if (lowest >= 0 && inodes.size === 0 && query.kind === "connection") {
    // The exact question misses a connection bound to a device (IPv6 link-local, SO_BINDTODEVICE),
    // and its "none" is also what a kernel without TCP's diag handler says: a dump by both ports
    // (every state) finds the first and fails on the second. Dumps keep to their family, and an
    // IPv6 socket may talk IPv4.
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

/** Whether `fd` has the addresses `query` names, and still the inode it was found by. */
function holds(diag: SockDiag, fd: number, query: SocketQuery, inode: number): boolean {
  const local = socketName(fd, false);
  const [ip, port] = query.kind === "connection" ? [query.local.ip, query.local.port] : [query.ip, query.port];
  if (typeof local === "string" || local.port !== port || (ip !== undefined && local.ip !== ip)) return false;
  const remote = socketName(fd, true);
  const ends = query.kind === "listener"
    ? remote === "none"
    : typeof remote !== "string" && remote.ip === query.remote.ip && remote.port === query.remote.port;
  // The same inode after the reads: the fd was not closed and given to another socket meanwhile.
  return ends && diag.socketInode(fd) === inode;
}

/**
 * The fds of the sockets matching `query`, found through sock_diag and statx, each with its
 * addresses read back just now; one fd per socket. Every match when `everyMatch`, else the first.
 *
 * @returns The fds in ascending order; none when no socket of this network namespace at those
 * addresses is held here; undefined when sock_diag cannot be asked. Either way short of a match,
 * the caller still reads every fd's addresses (sock_diag sees one network namespace only).
 */
export function findByInode(query: SocketQuery, everyMatch: boolean): number[] | undefined {
  const diag = sockDiag();
  if (diag === null) return undefined;
  const asked = inodesOf(diag, query);
  if (asked === undefined) return undefined;
  const { inodes, lowest } = asked;
  const found: number[] = [];
  if (inodes.size === 0) return found;
  // Numbers probed in this lookup, so no order below probes one twice.
  const probed = new Uint8Array(lowest);
  // True once nothing more is wanted.
  const check = (fd: number): boolean => {
    if (fd < lowest) probed[fd] = 1;
    const inode = probe(fd);
    if (!inodes.has(inode) || !holds(diag, fd, query, inode)) return false;
    found.push(fd);
    inodes.delete(inode);
    return !everyMatch || inodes.size === 0;
  };
  const indexed = extent();
  const known = Math.min(lowest, indexed);
  let done = false;
  // First wherever a wanted inode was seen before: an open socket keeps its fd number.
  for (let fd = 0; fd < indexed && !done; fd++) if (inodes.has(knownAt(fd))) done = check(fd);
  // Every number below `lowest` was open when the netlink socket took it. First those free when
  // last probed (opened since); then those never probed, nearest `lowest` first (the newest
  // sockets sit just below it); then those that held something else (closed and reused since).
  // No list is built: a first lookup usually ends at its first probe.
  for (let fd = 0; fd < known && !done; fd++) if (knownAt(fd) === FREE && !probed[fd]) done = check(fd);
  for (let fd = lowest - 1; fd >= 0 && !done; fd--) {
    if (!probed[fd] && (fd >= known || knownAt(fd) === UNSEEN)) done = check(fd);
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
  return found.sort((a, b) => a - b);
}

/** The work {@link findByInode} has done: sock_diag requests, fd-directory listings, statx probes. */
export function inodeLookupWork(): { requests: number; listings: number; probes: number } {
  return { ...work };
}
