/**
 * Finds the fd of a socket from its addresses, for handles that do not expose one (Deno's).
 *
 * Probing an fd costs a system call, so a server that configures every connection it accepts
 * cannot afford a scan per connection. The index remembers each fd's local port from when it was
 * last probed (addresses are read only for fds whose port is asked about) and answers from that,
 * probing only what it has not seen: numbers above the highest it knows and the gaps below. Only
 * when those miss (an fd number it knew was closed and reused since) does it list the fd
 * directory again. Whatever it returns was re-read from the kernel just before, so a stale entry
 * can cost time but never name the wrong socket.
 *
 * On Linux a lookup the index cannot answer at once goes by inode first (src/handles/inode_lookup.ts: one
 * sock_diag question, then statx where the socket most likely is), and reaches the scans here
 * only when sock_diag does not know the socket. On Windows the "fds" are the socket handles of
 * the process's handle table (platforms/windows/handles.ts), and only numbers that listing named
 * are ever probed: any other number may be a pipe or a file.
 *
 * @module
 */
import { type Endpoint, localPort, PORT_CLOSED, socketName } from "../sys/sockaddr.ts";
import { isListening, socketType } from "../sys/libc.ts";
import { listFds } from "../sys/fd_listing.ts";
import { currentHost } from "../sys/host.ts";
import { findByInode, inodeLookupWork } from "./inode_lookup.ts";
import type { SocketQuery } from "./query.ts";

// Probing stops after this many closed numbers in a row above the highest fd known.
const CLOSED_RUN = 16;

// What each fd number held when last probed: its local port, PORT_OTHER (open, no IP socket),
// PORT_CLOSED, or UNSEEN. A typed array, so a first scan over thousands of fds stays one
// getsockname each with next to no work beside it.
const UNSEEN = -3;
let portOf = /* @__PURE__ */ new Int32Array(256).fill(UNSEEN);
// Addresses, read on first need: most fds are never asked about. null: none (no peer).
const details = new Map<number, { local?: Endpoint | null; remote?: Endpoint | null }>();
// Port -> fd(s), built on the first lookup after a bulk scan and kept up to date after that.
// Most ports belong to one fd (a client's ephemeral port), so a lone fd is kept as a number and
// a Set is made only for ports several fds share (a server's port).
let byPort: Map<number, number | Set<number>> | undefined;
// Whether a lookup has already searched the typed array since byPort was last dropped.
let scannedOnce = false;
const gaps = new Set<number>();
let highest = -1;
// Work done so far, for tests that show a call did no lookup (see lookupWork).
let listings = 0;
let probes = 0;

function link(port: number, fd: number): void {
  const held = byPort!.get(port);
  if (held === undefined) byPort!.set(port, fd);
  else if (typeof held === "number") byPort!.set(port, new Set([held, fd]));
  else held.add(fd);
}

function unlink(port: number, fd: number): void {
  const held = byPort!.get(port);
  if (held === fd) byPort!.delete(port);
  else if (typeof held === "object") {
    held.delete(fd);
    if (held.size === 1) byPort!.set(port, held.values().next().value!);
  }
}

function portsIndex(): Map<number, number | Set<number>> {
  if (byPort === undefined) {
    byPort = new Map();
    for (let fd = 0; fd <= highest; fd++) if (portOf[fd] >= 0) link(portOf[fd], fd);
  }
  return byPort;
}

function makeRoom(fd: number): void {
  const grown = new Int32Array(Math.max(fd + 1, portOf.length * 2)).fill(UNSEEN);
  grown.set(portOf);
  portOf = grown;
}

/** Probes `fd` afresh (one getsockname) and records it; returns false when it is closed. */
function probe(fd: number): boolean {
  if (fd >= portOf.length) makeRoom(fd);
  const old = portOf[fd];
  if (old >= 0 && byPort !== undefined) unlink(old, fd);
  if (details.size !== 0) details.delete(fd);
  probes++;
  const port = localPort(fd);
  portOf[fd] = port;
  if (port === PORT_CLOSED) {
    if (fd <= highest) gaps.add(fd);
    return false;
  }
  if (fd > highest) {
    for (let gap = highest + 1; gap < fd; gap++) gaps.add(gap);
    highest = fd;
  } else {
    gaps.delete(fd);
  }
  if (port >= 0 && byPort !== undefined) link(port, fd);
  return true;
}

function name(fd: number, peer: boolean): Endpoint | null {
  let seen = details.get(fd);
  if (seen === undefined) details.set(fd, seen = {});
  const known = peer ? seen.remote : seen.local;
  if (known !== undefined) return known;
  const found = socketName(fd, peer);
  const value = typeof found === "string" ? null : found;
  if (peer) seen.remote = value;
  else seen.local = value;
  return value;
}

function matches(fd: number, query: SocketQuery): boolean {
  const port = portOf[fd];
  if (query.kind === "connection") {
    if (port !== query.local.port) return false;
    const local = name(fd, false);
    if (local === null || local.ip !== query.local.ip) return false;
    const remote = name(fd, true);
    return remote !== null && remote.port === query.remote.port && remote.ip === query.remote.ip;
  }
  if (port !== query.port) return false;
  if (query.ip !== undefined) {
    const local = name(fd, false);
    if (local === null || local.ip !== query.ip) return false;
  }
  return name(fd, true) === null;
}

/** Re-reads `fd` from the kernel and checks it still is what `query` asks for. */
function confirm(fd: number, query: SocketQuery): boolean {
  if (!probe(fd)) return false;
  if (!matches(fd, query)) return false;
  // UDP sockets have IP addresses too; only a stream socket (and, for a listener, one that
  // listens, where the OS can tell) is the one asked for.
  if (socketType(fd) !== currentHost().platform.SOCK_STREAM) return false;
  return query.kind === "connection" || isListening(fd) !== 0;
}

function candidates(query: SocketQuery): number[] {
  if (highest < 0) return []; // nothing probed yet: build no map before the first scan
  const port = query.kind === "connection" ? query.local.port : query.port;
  let fds: number[];
  if (byPort === undefined && !scannedOnce) {
    // Right after a bulk scan, one pass over the typed array is cheaper than building the map
    // (a first lookup among thousands of fds); the next lookup builds it.
    scannedOnce = true;
    fds = [];
    for (let fd = 0; fd <= highest; fd++) if (portOf[fd] === port) fds.push(fd);
  } else {
    const held = portsIndex().get(port);
    if (held === undefined) return [];
    fds = typeof held === "number" ? [held] : [...held];
  }
  return fds.filter((fd) => matches(fd, query));
}

function confirmed(fds: number[], query: SocketQuery): number[] {
  return fds.filter((fd) => confirm(fd, query));
}

/** Probes the numbers never seen open: the gaps below the highest fd and the numbers above it. */
function probeUnseen(): void {
  for (const gap of [...gaps]) probe(gap);
  // Numbers above the highest were never seen, so nothing of them needs forgetting: this loop
  // is the whole cost of a first lookup among thousands of fds, and does one getsockname each.
  let closed = 0;
  for (let fd = highest + 1; closed < CLOSED_RUN; fd++) {
    if (fd >= portOf.length) makeRoom(fd);
    probes++;
    const port = localPort(fd);
    portOf[fd] = port;
    if (port === PORT_CLOSED) {
      closed++;
      continue;
    }
    for (let gap = fd - closed; gap < fd; gap++) gaps.add(gap);
    closed = 0;
    highest = fd;
    if (port >= 0 && byPort !== undefined) link(port, fd);
  }
}

/** Lists the fd directory and probes every fd in it, replacing all that was known. */
function rescan(): void {
  listings++;
  const open = listFds();
  portOf.fill(UNSEEN);
  details.clear();
  byPort = undefined;
  scannedOnce = false;
  gaps.clear();
  highest = -1;
  // The listing is the kernel's whole table (src/sys/fd_listing.ts: FreeBSD and macOS read it from
  // the kernel, a directory is refused unless it proves complete), so nothing above it is probed.
  for (const fd of open) probe(fd);
}

/**
 * The fds of the sockets matching `query`, each re-read from the kernel just now.
 *
 * @param query The connection or listener wanted.
 * @param everyMatch Find every match (a full scan), not just the first.
 * @param hint An fd the runtime suggests (read from its internals); trusted only once confirmed.
 */
export function findSockets(query: SocketQuery, everyMatch: boolean, hint?: number): number[] {
  if (!everyMatch && hint !== undefined && hint >= 0 && confirm(hint, query)) return [hint];
  if (!everyMatch) {
    const found = confirmed(candidates(query), query);
    if (found.length > 0) return found.slice(0, 1);
  }
  const direct = findByInode(query, everyMatch);
  if (direct !== undefined && direct.length > 0) return direct;
  // Where sock_diag knows of no such socket here, only one it cannot see could still match (of
  // another network namespace, say): rare enough to go straight to the full listing for it.
  // Where fd numbers are handles (Windows), a number the listing did not name is never probed.
  if (!everyMatch && direct === undefined && currentHost().backend.listedOnly !== true) {
    probeUnseen();
    const found = confirmed(candidates(query), query);
    if (found.length > 0) return found.slice(0, 1);
    // A number known to hold another socket was closed and reused. Re-probe the known numbers,
    // lowest first (a new fd takes the lowest free number), and stop at the first match.
    for (let fd = 0; fd <= highest; fd++) {
      if (portOf[fd] < 0 || !probe(fd)) continue;
      if (matches(fd, query) && confirm(fd, query)) return [fd];
    }
  }
  rescan();
  return confirmed(candidates(query), query);
}

/** How much the index holds, for tests and the benchmark. */
export function indexSize(): { sockets: number; gaps: number; highest: number } {
  let sockets = 0;
  for (let fd = 0; fd <= highest; fd++) if (portOf[fd] >= 0) sockets++;
  return { sockets, gaps: gaps.size, highest };
}

/**
 * How many fd-directory listings, single-fd probes and sock_diag requests lookups have done since
 * the process started, for tests that show a call needed no lookup (not exported by `mod.ts`).
 *
 * @returns The three counts.
 */
export function lookupWork(): { listings: number; probes: number; requests: number } {
  const direct = inodeLookupWork();
  return { listings: listings + direct.listings, probes: probes + direct.probes, requests: direct.requests };
}
