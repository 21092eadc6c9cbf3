/**
 * How {@link keepConfigured} finds what changed since its last tick, at the cost of one sock_diag
 * dump when nothing did. Linux: each TCP socket of the namespace is known by its cookie (never
 * reused); a cookie not seen before is looked for where a new fd can be (fd numbers that were
 * free, and those of sockets that closed: the kernel hands out the lowest free number), and, when
 * a full scan is due (every 30 s), in every fd; what each fd held is kept in the fd index handle
 * lookups share (sys/fd_inodes.ts). A cookie found in no fd is taken for another process's until
 * it turns up at a number a tick reads (a connection handed over with SCM_RIGHTS lands at the
 * lowest free one) or the next full scan looks again. A scan yields between parts of its work
 * (policy_slices.ts), so that a timer tick reads the dump and the fds across event-loop turns.
 * Elsewhere: a full listing per tick, sockets known by fd and both addresses.
 *
 * @module
 */
import { cookieParts, holdsCookie, readCookie } from "../sys/inspect.ts";
import { socketKind } from "./process_sockets.ts";
import { type DiagTable, type FdListingReader, REC, type TcpDumpReader } from "../../platforms/backend.ts";
import { forget, freed, highestOpen, known, look } from "../sys/fd_inodes.ts";
import { fdListingReader, tcpDumpReader } from "../sys/sock_diag.ts";
import type { Budget, Work } from "./policy_slices.ts";
import { rowFromFd, rowFromRecord, type TcpSocketInfo } from "./socket_info.ts";
import type { TcpState } from "../options/tcp_info.ts";

/** A TCP socket of this process the scanner knows. */
export interface Seen {
  /** Its identity: the cookie (as a number) on Linux, else fd and addresses. */
  readonly key: number | string;
  readonly fd: number;
  /** Its inode (0 without sock_diag). */
  readonly inode: number;
  /** The row as last listed. */
  socket: TcpSocketInfo;
  /** The tick that last saw it. */
  stamp: number;
  /** Whether the filter matches it (decided by the policy). */
  matched: boolean;
  /** The state it was last configured in, or undefined. */
  configuredIn: TcpState | undefined;
  /** The kernel's state number as last dumped (-1 without sock_diag): compared without a lookup. */
  code: number;
}

/** What one scan found. */
export interface ScanResult {
  /** TCP sockets of this process seen for the first time. */
  readonly added: Seen[];
  /** Known sockets whose state changed (SYN_SENT to ESTABLISHED, …). */
  readonly changed: Seen[];
  /** Known sockets that are gone. */
  readonly removed: Seen[];
  /** Sockets of other kinds seen for the first time (fd, kind, words). */
  readonly others: { fd: number; kind: "unix" | "udp" | "socket"; detail: string }[];
  /** TCP sockets of this process now. */
  readonly seen: number;
}

/** Finds new, changed and closed sockets tick by tick. */
export interface Scanner {
  /** The sockets known now. */
  readonly known: ReadonlyMap<number | string, Seen>;
  /**
   * Looks again; `full` reads every fd even when nothing seems new. Yields wherever `budget` says
   * the slice is up (policy_slices.ts): between two parts of the dump or of the fd listing, or a
   * few statx.
   */
  scan(full: boolean, budget: Budget): Work<ScanResult>;
}

/** 2 ** 32: a cookie's two halves as one number. */
export const TWO32 = 2 ** 32;
/** How many dump records a scan sorts between two looks at its budget (about 0.1 ms of work). */
const STAMP_RUN = 512;
/** TCP_LISTEN in include/net/tcp_states.h: the state number sock_diag reports for a listener. */
const TCP_LISTEN = 10;

/** Linux: one sock_diag dump a tick, sockets known by cookie (see the module doc). */
export class DiagScanner implements Scanner {
  readonly known = new Map<number, Seen>();
  #foreign = new Map<number, number>();
  /** The inodes this scanner has sorted: its TCP sockets' and the others' (reported once). */
  #sorted = new Set<number>();
  #others = new Set<number>();
  #tick = 0;
  #dump: TcpDumpReader | undefined;
  #listing: FdListingReader | undefined;

  *scan(full: boolean, budget: Budget): Work<ScanResult> {
    const tick = ++this.#tick;
    const table = (yield* read(this.#dump ??= tcpDumpReader(), budget)).table();
    const fresh: number[] = [];
    const changed: Seen[] = [];
    let stamped = 0;
    for (let from = 0; from < table.count; from += STAMP_RUN) {
      if (from > 0 && budget.due()) yield;
      stamped += this.#stamp(table, from, Math.min(from + STAMP_RUN, table.count), tick, full, fresh, changed);
    }
    const removed: Seen[] = [];
    // Every known socket was in the dump: nothing closed, and no need to walk them all.
    for (const [key, seen] of stamped === this.known.size ? [] : this.known) {
      if (seen.stamp === tick) continue;
      // Not in the dump, but still at its fd: the kernel's walk skipped it (a socket added or
      // removed in its hash bucket between two parts of the dump shifts the walk's place).
      if (holdsCookie(seen.fd, key % TWO32, Math.floor(key / TWO32))) {
        seen.stamp = tick;
        continue;
      }
      this.known.delete(key);
      // Its fd number is free again: the next socket may get it.
      freed(seen.fd);
      this.#sorted.delete(seen.inode);
      removed.push(seen);
    }
    for (const [key, stamp] of this.#foreign) if (stamp !== tick) this.#foreign.delete(key);
    const added: Seen[] = [];
    const others: ScanResult["others"] = [];
    yield* this.#locate(table, fresh, full, tick, added, others, budget);
    return { added, changed, removed, others, seen: this.known.size };
  }

  /**
   * Stamps the known sockets among records `from..to` with `tick`, noting those whose state
   * changed; the others are new (or, at a full scan, thought another process's). A plain method,
   * not the generator's own loop: the runtimes optimise a hot loop there as they do not in a
   * generator.
   * @returns How many known sockets it stamped.
   */
  #stamp(
    table: DiagTable,
    from: number,
    to: number,
    tick: number,
    full: boolean,
    fresh: number[],
    changed: Seen[],
  ): number {
    const { view } = table;
    let stamped = 0;
    for (let i = from; i < to; i++) {
      const at = table.offsets[i];
      if (view.getUint32(at + REC.inode, true) === 0) continue;
      const key = view.getUint32(at + REC.cookie + 4, true) * TWO32 + view.getUint32(at + REC.cookie, true);
      const seen = this.known.get(key);
      if (seen !== undefined) {
        if (seen.stamp !== tick) stamped++;
        seen.stamp = tick;
        const code = table.bytes[at + REC.state];
        if (code !== seen.code) {
          seen.code = code;
          const socket = rowFromRecord(table, i, seen.fd);
          if (socket !== undefined) {
            seen.socket = socket;
            changed.push(seen);
          }
        }
      } else if (!full && this.#foreign.has(key)) this.#foreign.set(key, tick);
      else fresh.push(i); // new, or (full scan) thought another process's: looked for again
    }
    return stamped;
  }

  /**
   * Reads what `fd` holds now (the shared fd index records it): a wanted record's socket is taken;
   * so is any other TCP socket no tick has taken, read from the fd itself (one opened since the
   * dump, or one taken for another process's: a connection handed over with SCM_RIGHTS, which no
   * fd held when a tick first saw it). A socket of another kind is reported once. False when the
   * number is free.
   */
  #look(
    fd: number,
    wanted: Map<number, number>,
    take: (fd: number, inode: number, record: number) => void,
    adopt: (fd: number, inode: number, socket: TcpSocketInfo) => void,
    others: ScanResult["others"],
  ): boolean {
    const inode = look(fd);
    if (inode < 0) return false;
    if (inode === 0 || this.#sorted.has(inode)) return true;
    const record = wanted.get(inode);
    if (record !== undefined) {
      take(fd, inode, record);
      return true;
    }
    const socket = rowFromFd(fd);
    if (socket !== undefined) {
      adopt(fd, inode, socket);
      return true;
    }
    const kind = socketKind(fd);
    if (kind !== undefined) others.push({ fd, kind: kind.kind as "unix" | "udp" | "socket", detail: kind.detail });
    this.#others.add(inode);
    this.#sorted.add(inode);
    return true;
  }

  /**
   * Looks where a new fd can be: numbers that were free or never read (the kernel hands out the
   * lowest free number), lowest first, then past the highest fd known until 64 numbers in a row
   * are free. With no TCP socket left to find it stops at the first number still free, so a quiet
   * tick costs one statx, and a new Unix-domain or UDP socket is still reported at once.
   */
  *#probe(look: (fd: number) => boolean, wanted: Map<number, number>, budget: Budget): Work<void> {
    const highest = highestOpen();
    // Up to the highest number itself: freed when its socket closed, it is the next one's to take.
    for (let fd = 0; fd <= highest; fd++) {
      if (known(fd) >= 0) continue;
      if (!look(fd) && wanted.size === 0) return;
      if (budget.due()) yield;
    }
    let run = 0;
    for (let fd = highest + 1; run < 64; fd++) {
      if (look(fd)) run = 0;
      else if (wanted.size === 0) return;
      else run++;
      if (budget.due()) yield;
    }
  }

  /**
   * Drops the wanted records that another process's listener accepted (their local port is one
   * that only listeners of other processes listen on: listeners a tick looked for and found in no
   * fd): the far ends of this process's own connections to a server on the same host, which no fd
   * here holds. A listener not looked for yet may be this process's, new since the last tick:
   * what its port accepted stays wanted, to be found with it.
   */
  #acceptedElsewhere(table: DiagTable, wanted: Map<number, number>, tick: number): void {
    const open = new Set<number>(); // ports with a listener of this process, or of owner not known yet
    const theirs = new Set<number>();
    for (let i = 0; i < table.count; i++) {
      const at = table.offsets[i];
      if (table.bytes[at + REC.state] !== TCP_LISTEN) continue;
      const port = table.view.getUint16(at + REC.sport, false);
      (this.#foreign.has(cookieOf(table, i)) ? theirs : open).add(port);
    }
    if (theirs.size === 0) return;
    for (const [inode, i] of wanted) {
      const port = table.view.getUint16(table.offsets[i] + REC.sport, false);
      if (!theirs.has(port) || open.has(port)) continue;
      wanted.delete(inode);
      this.#foreign.set(cookieOf(table, i), tick);
    }
  }

  /**
   * Reads again every number that last held no TCP socket of this process, lowest first, until
   * every wanted record is found: a file, pipe or other socket that closed since leaves its number
   * to the next socket, and nothing tells the scanner it closed.
   */
  *#reread(look: (fd: number) => boolean, wanted: Map<number, number>, budget: Budget): Work<void> {
    const tcpFds = new Set<number>();
    for (const seen of this.known.values()) tcpFds.add(seen.fd);
    const highest = highestOpen();
    for (let fd = 0; fd <= highest && wanted.size > 0; fd++) {
      if (known(fd) >= 0 && !tcpFds.has(fd)) look(fd);
      if ((fd & 31) === 31 && budget.due()) yield;
    }
  }

  /** Finds the fds of the `fresh` records; what no fd holds is another process's. */
  *#locate(
    table: DiagTable,
    fresh: number[],
    full: boolean,
    tick: number,
    added: Seen[],
    others: ScanResult["others"],
    budget: Budget,
  ): Work<void> {
    const wanted = new Map<number, number>();
    for (const i of fresh) wanted.set(table.view.getUint32(table.offsets[i] + REC.inode, true), i);
    const take = (fd: number, inode: number, i: number) => {
      wanted.delete(inode);
      const socket = rowFromRecord(table, i, fd);
      if (socket === undefined) return;
      const key = cookieOf(table, i);
      this.#foreign.delete(key);
      const code = table.bytes[table.offsets[i] + REC.state];
      this.#sorted.add(inode);
      const seen: Seen = { key, fd, inode, socket, stamp: tick, matched: false, configuredIn: undefined, code };
      this.known.set(key, seen);
      added.push(seen);
    };
    const adopt = (fd: number, inode: number, socket: TcpSocketInfo) => {
      if (!readCookie(fd)) return; // closed meanwhile, or no SO_COOKIE: the next tick's dump tells
      const [low, high] = cookieParts();
      const key = high * TWO32 + low;
      this.#foreign.delete(key);
      this.#sorted.add(inode);
      // Its state number comes with the next dump: a change then, which the policy handles as any.
      const seen: Seen = { key, fd, inode, socket, stamp: tick, matched: false, configuredIn: undefined, code: -1 };
      this.known.set(key, seen);
      added.push(seen);
    };
    const look = (fd: number) => this.#look(fd, wanted, take, adopt, others);
    if (full) {
      const fds = (yield* read(this.#listing ??= fdListingReader(), budget)).fds().slice();
      // Every fd read again, from nothing known: free numbers and others rebuilt as it goes.
      forget();
      const present = new Set<number>();
      for (let i = 0; i < fds.length; i++) {
        if (look(fds[i])) present.add(known(fds[i]));
        if ((i & 31) === 31 && budget.due()) yield;
      }
      for (const inode of this.#others) {
        if (present.has(inode)) continue;
        this.#others.delete(inode);
        this.#sorted.delete(inode);
      }
    } else {
      if (wanted.size > 0) this.#acceptedElsewhere(table, wanted, tick);
      yield* this.#probe(look, wanted, budget);
      if (wanted.size > 0) yield* this.#reread(look, wanted, budget);
    }
    // In no fd of this process: another process's. Not looked for again until the next full scan.
    for (const i of wanted.values()) this.#foreign.set(cookieOf(table, i), tick);
  }
}

/**
 * Reads `reader` to the end, a part at a time, yielding when `budget` says the slice is up; a
 * reader abandoned half way (the policy stopped) is closed.
 */
function* read<R extends TcpDumpReader | FdListingReader>(reader: R, budget: Budget): Work<R> {
  reader.start();
  try {
    while (!reader.step()) if (budget.due() || reader.longNext()) yield;
  } finally {
    reader.cancel();
  }
  return reader;
}

/** Record `i`'s cookie as one number (cookies count up from 1: far below 2 ** 53). */
function cookieOf(table: DiagTable, i: number): number {
  const at = table.offsets[i] + REC.cookie;
  return table.view.getUint32(at + 4, true) * TWO32 + table.view.getUint32(at, true);
}
