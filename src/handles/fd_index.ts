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
 * On Linux every lookup the handle's own fd cannot answer goes by inode (src/handles/inode_lookup.ts:
 * one sock_diag question, then statx where the socket most likely is), whose answer is the whole
 * truth for the thread's network namespace: the scans here serve only where sock_diag cannot be
 * asked. There a socket of another network namespace (which a thread that `unshare`d can hold in
 * this fd table) is told by SO_NETNS_COOKIE and left out, and several fds holding one socket (a
 * `dup`) count as one, the runtime's own kept.
 * On Windows the "fds" are the socket handles of the process's handle table
 * (platforms/windows/handles.ts), and only numbers that listing named are ever probed: any other
 * number may be a pipe or a file.
 *
 * @module
 */
import { isLinkLocal } from "../address.ts";
import { closeOnExec, cookieParts, readCookie, readNetns, threadNetns } from "../sys/inspect.ts";
import { type Endpoint, hasCookies, localPort, PORT_CLOSED, socketName } from "../sys/inspect.ts";
import { isListening, socketType } from "../sys/inspect.ts";
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
// The looking thread's network namespace (SO_NETNS_COOKIE halves), read once per lookup: null
// when not read yet, undefined where it cannot be read (then no fd is left out for it).
let lookingFrom: [number, number] | undefined | null = null;

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

/**
 * Re-reads `fd` from the kernel and checks it still is what `query` asks for, in the looking
 * thread's network namespace (unless it is the handle's `own` fd, which the runtime named: its
 * socket is the handle's wherever it lives, and a closed handle's is caught by the runtime's word).
 */
function confirm(fd: number, query: SocketQuery, own = false): boolean {
  if (!probe(fd)) return false;
  if (!matches(fd, query)) return false;
  // UDP sockets have IP addresses too; only a stream socket (and, for a listener, one that
  // listens, where the OS can tell) is the one asked for.
  if (socketType(fd) !== currentHost().platform.SOCK_STREAM) return false;
  if (query.kind === "listener" && isListening(fd) === 0) return false;
  return own || inLookingNamespace(fd);
}

/**
 * Whether the socket at `fd` belongs to the network namespace of the thread looking it up, where
 * SO_NETNS_COOKIE tells (Linux 5.14+); true where it cannot be told (older kernels, other OSes).
 */
function inLookingNamespace(fd: number): boolean {
  if (lookingFrom === null) lookingFrom = threadNetns();
  if (lookingFrom === undefined || !readNetns(fd)) return true;
  const [low, high] = cookieParts();
  return low === lookingFrom[0] && high === lookingFrom[1];
}

/**
 * One fd per socket: several fds holding one socket (a `dup`) count once, as the handle's own fd
 * (`hint`) where the runtime names it, else one with close-on-exec (every runtime sets it on its
 * sockets; a plain `dup` leaves it off). Sockets are told apart by SO_COOKIE; without one, every
 * fd counts as its own socket.
 */
function distinct(fds: number[], hint: number | undefined): number[] {
  if (fds.length < 2) return fds;
  const chosen = new Map<string, number>();
  for (const fd of fds) {
    // Only a cookie proves two fds hold one socket: without one (macOS, FreeBSD, qemu-user), two
    // SO_REUSEPORT listeners share both addresses and are two sockets, so each fd stands alone.
    const key = hasCookies() && readCookie(fd) ? cookieParts().join(":") : `fd ${fd}`;
    const held = chosen.get(key);
    if (held === undefined || (held !== hint && (fd === hint || closeOnExec(fd) > closeOnExec(held)))) {
      chosen.set(key, fd);
    }
  }
  return [...chosen.values()].sort((a, b) => a - b);
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
 * What a lookup found: one fd per socket, each re-read from the kernel just now, and whether they
 * are known to be every such socket of the looking thread's network namespace this process holds
 * (sock_diag's answer, a full listing), or the handle's own fd, which the runtime named.
 */
export interface Found {
  readonly fds: number[];
  readonly complete: boolean;
}

/**
 * The fds of the sockets matching `query`, each re-read from the kernel just now.
 *
 * @param query The connection or listener wanted.
 * @param everyMatch Find every match, not just the first (where the scans here serve).
 * @param hint The handle's own fd, which the runtime keeps internally; trusted once confirmed.
 */
export function findSockets(query: SocketQuery, everyMatch: boolean, hint?: number): Found {
  lookingFrom = null;
  // A connection is one socket: its own fd is the answer even when every match is asked for.
  const single = !everyMatch || query.kind === "connection";
  if (single && hint !== undefined && hint >= 0 && confirm(hint, query, true)) return { fds: [hint], complete: true };
  const direct = findByInode(query, hint);
  // sock_diag's answer is final: whatever it does not name is not of this network namespace.
  if (direct !== undefined) return { fds: direct, complete: true };
  // A link-local connection may have twins on other interfaces, which the index may not all know:
  // only a full listing shows them all.
  if (!everyMatch && !(query.kind === "connection" && isLinkLocal(query.local.ip))) {
    // The runtime's own fd: the hint, or close-on-exec (a plain `dup` another holder made lacks it).
    const settled = (found: number[]) => found.length === 1 && (found[0] === hint || closeOnExec(found[0]) === 1);
    let found = distinct(confirmed(candidates(query), query), hint);
    // Where fd numbers are handles (Windows), a number the listing did not name is never probed.
    const probeAll = currentHost().backend.listedOnly !== true;
    if (probeAll && (found.length === 0 || (found.length === 1 && !settled(found)))) {
      probeUnseen();
      found = distinct(confirmed(candidates(query), query), hint);
    }
    if (found.length === 0) {
      // A number known to hold another socket was closed and reused: re-probe the known numbers.
      const reused: number[] = [];
      for (let fd = 0; fd <= highest; fd++) {
        if (portOf[fd] >= 0 && probe(fd) && matches(fd, query) && confirm(fd, query)) reused.push(fd);
      }
      found = distinct(reused, hint);
    }
    if (settled(found)) return { fds: found, complete: false };
    // Several sockets share these addresses (twins on other interfaces), or only a duplicate was
    // seen: a full listing finds them all.
  }
  rescan();
  return { fds: distinct(confirmed(candidates(query), query), hint), complete: true };
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
