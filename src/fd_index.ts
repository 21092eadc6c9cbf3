/**
 * Finds the fd of a socket from its addresses, for handles that do not expose one (Deno's).
 *
 * Listing and probing every fd costs about a microsecond each, so a server that configures every
 * connection it accepts cannot afford a scan per connection. The index remembers what each fd
 * held when last probed and answers from that, probing only what it has not seen: numbers above
 * the highest it knows and the gaps below. Only when those miss (an fd number was closed and
 * reused since) does it list the directory again. Whatever it returns was re-read from the
 * kernel just before, so a stale entry can cost time but never name the wrong socket.
 *
 * @module
 */
import { type EndpointKey, endpointKey, WILDCARD } from "./address.ts";
import { type Endpoint, isListening, listFds, type NameResult, socketName, socketType } from "./libc.ts";
import { currentHost } from "./platform.ts";

/** A connection by its two ends, or a listener by its local end (`ip` undefined: any address). */
export type SocketQuery =
  | { readonly kind: "connection"; readonly local: Endpoint; readonly remote: Endpoint }
  | { readonly kind: "listener"; readonly ip: string | undefined; readonly port: number };

interface Entry {
  // The local end, or null for an fd that is not an IP socket (file, pipe, Unix-domain socket).
  readonly local: Endpoint | null;
  readonly localKey: EndpointKey;
  // undefined until read: most fds are never asked about, so their peer is not fetched.
  remote: Endpoint | null | undefined;
}

// Probing stops after this many closed numbers in a row above the highest fd known.
const CLOSED_RUN = 16;

const entries = new Map<number, Entry>();
const byLocal = new Map<EndpointKey, Set<number>>();
const byPort = new Map<number, Set<number>>();
const gaps = new Set<number>();
let highest = -1;

function link(map: Map<number | string, Set<number>>, key: number | string, fd: number): void {
  let set = map.get(key);
  if (set === undefined) map.set(key, set = new Set());
  set.add(fd);
}

function unlink(map: Map<number | string, Set<number>>, key: number | string, fd: number): void {
  const set = map.get(key);
  if (set === undefined) return;
  set.delete(fd);
  if (set.size === 0) map.delete(key);
}

function forget(fd: number): void {
  const entry = entries.get(fd);
  if (entry === undefined) return;
  entries.delete(fd);
  if (entry.local !== null) {
    unlink(byLocal as Map<number | string, Set<number>>, entry.localKey, fd);
    unlink(byPort as Map<number | string, Set<number>>, entry.local.port, fd);
  }
  if (fd <= highest) gaps.add(fd);
}

/** Probes `fd` afresh and records it; returns false when it is closed. */
function probe(fd: number): boolean {
  forget(fd);
  const local: NameResult = socketName(fd, false);
  if (local === "closed") {
    if (fd <= highest) gaps.add(fd);
    return false;
  }
  gaps.delete(fd);
  if (fd > highest) {
    for (let gap = highest + 1; gap < fd; gap++) gaps.add(gap);
    highest = fd;
  }
  if (typeof local === "string") {
    entries.set(fd, { local: null, localKey: "", remote: null });
    return true;
  }
  const localKey = endpointKey(local.ip, local.port);
  entries.set(fd, { local, localKey, remote: undefined });
  link(byLocal as Map<number | string, Set<number>>, localKey, fd);
  link(byPort as Map<number | string, Set<number>>, local.port, fd);
  return true;
}

function remoteOf(fd: number, entry: Entry): Endpoint | null {
  if (entry.remote === undefined) {
    const remote = socketName(fd, true);
    entry.remote = typeof remote === "string" ? null : remote;
  }
  return entry.remote;
}

function matches(fd: number, entry: Entry, query: SocketQuery): boolean {
  if (entry.local === null) return false;
  if (query.kind === "connection") {
    if (entry.local.port !== query.local.port || entry.local.ip !== query.local.ip) return false;
    const remote = remoteOf(fd, entry);
    return remote !== null && remote.port === query.remote.port && remote.ip === query.remote.ip;
  }
  if (entry.local.port !== query.port) return false;
  if (query.ip !== undefined && entry.local.ip !== query.ip) return false;
  return remoteOf(fd, entry) === null;
}

/** Re-reads `fd` from the kernel and checks it still is what `query` asks for. */
function confirm(fd: number, query: SocketQuery): boolean {
  if (!probe(fd)) return false;
  const entry = entries.get(fd)!;
  if (!matches(fd, entry, query)) return false;
  // UDP sockets have IP addresses too; only a stream socket (and, for a listener, one that
  // listens, where the OS can tell) is the one asked for.
  if (socketType(fd) !== currentHost().platform.SOCK_STREAM) return false;
  return query.kind === "connection" || isListening(fd) !== 0;
}

function candidates(query: SocketQuery): number[] {
  const set = query.kind === "connection"
    ? byLocal.get(endpointKey(query.local.ip, query.local.port))
    : byPort.get(query.port);
  if (set === undefined) return [];
  const found: number[] = [];
  for (const fd of set) if (matches(fd, entries.get(fd)!, query)) found.push(fd);
  return found;
}

function confirmed(fds: number[], query: SocketQuery): number[] {
  return fds.filter((fd) => confirm(fd, query));
}

/** Probes the numbers never seen open: the gaps below the highest fd and the numbers above it. */
function probeUnseen(): void {
  for (const gap of [...gaps]) probe(gap);
  let closed = 0;
  for (let fd = highest + 1; closed < CLOSED_RUN; fd++) {
    if (probe(fd)) closed = 0;
    else closed++;
  }
}

/** Lists the fd directory and probes every fd in it, replacing all that was known. */
function rescan(): void {
  const open = listFds();
  for (const fd of [...entries.keys()]) forget(fd);
  gaps.clear();
  highest = -1;
  for (const fd of open) probe(fd);
  // fdescfs-less FreeBSD lists only 0-2: probe upwards from what the listing showed.
  probeUnseen();
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
    let found = confirmed(candidates(query), query);
    if (found.length > 0) return found.slice(0, 1);
    probeUnseen();
    found = confirmed(candidates(query), query);
    if (found.length > 0) return found.slice(0, 1);
  }
  rescan();
  return confirmed(candidates(query), query);
}

/** Human text for a query, for messages. */
export function describeQuery(query: SocketQuery, show: (ip: string, port: number) => string): string {
  if (query.kind === "connection") return `${show(query.local.ip, query.local.port)} -> ${show(query.remote.ip, query.remote.port)}`;
  return show(query.ip ?? WILDCARD, query.port);
}

/** How much the index holds, for tests and the benchmark. */
export function indexSize(): { entries: number; gaps: number; highest: number } {
  return { entries: entries.size, gaps: gaps.size, highest };
}
