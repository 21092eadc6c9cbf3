/**
 * The TCP sockets this process holds, including those inside third-party drivers (database
 * pools, Redis and NATS clients, HTTP agents) that never hand the application a socket, and a way
 * to configure them all at once.
 *
 * @module
 */
import { type ConfigureResult, describeSkipped, NothingMatchedError, type SkippedSocket } from "./configure_result.ts";
import { debugConfigure, debugging } from "../sys/debug.ts";
import { SockoptError } from "../errors.ts";
import { describeSocket, unixNamed } from "../sys/inspect.ts";
import { getNative } from "../sys/native.ts";
import { holdsCookie } from "../sys/inspect.ts";
import { listFds } from "../sys/fd_listing.ts";
import { dumpTcp } from "../sys/tcp_dump.ts";
import { sockDiag } from "../sys/sock_diag.ts";
import { REC } from "../../platforms/backend.ts";
import {
  applySettings,
  checkFilter,
  checkSettings,
  type ConfiguredSocket,
  mismatch,
  readBack,
  type SocketFilter,
  type SocketSettings,
} from "./socket_filter.ts";
import { rowFromFd, rowFromRecord, type TcpSocketInfo } from "./socket_info.ts";
import { addressCheck, cookieCheck, GONE, throughDuplicate } from "./duplicate.ts";
import { copyOptions, describeValue } from "../values.ts";

export type { ConfiguredSocket, SocketFilter, SocketSettings } from "./socket_filter.ts";
export type { SocketAddress, TcpSocketInfo } from "./socket_info.ts";

/**
 * What kind of non-TCP socket `fd` is, for reports; undefined for no socket, and for an unnamed
 * Unix-domain socket, which is the runtime's own plumbing and not a driver's connection (a plain
 * Deno script holds three).
 */
export function socketKind(fd: number): { kind: SkippedSocket["kind"]; detail: string } | undefined {
  const n = getNative("getsockopt");
  const text = describeSocket(n, fd);
  if (text === "not a socket") return undefined;
  const kind = text.startsWith("a Unix-domain") ? "unix" : text === "a UDP socket" ? "udp" : "socket";
  if (kind === "unix" && !unixNamed(n, fd)) return undefined;
  return { kind, detail: text };
}

/**
 * Calls `tcp` for every TCP socket of this process, with its cookie's two halves from the
 * sock_diag dump on Linux (-1 when there is none), and `other` for every socket of another kind.
 */
export function eachSocket(
  tcp: (socket: TcpSocketInfo, cookieLow: number, cookieHigh: number) => void,
  other: (fd: number) => void,
): void {
  const diag = sockDiag();
  if (diag === null) {
    for (const fd of listFds()) {
      const found = rowFromFd(fd);
      if (found !== undefined) tcp(found, -1, -1);
      else if (socketKind(fd) !== undefined) other(fd);
    }
    return;
  }
  const table = dumpTcp();
  const byInode = new Map<number, number>();
  for (let i = 0; i < table.count; i++) {
    const inode = table.view.getUint32(table.offsets[i] + REC.inode, true);
    if (inode !== 0) byInode.set(inode, i);
  }
  const fds = diag.openFds().slice();
  for (let i = 0; i < fds.length; i++) {
    const fd = fds[i];
    const inode = diag.socketInode(fd);
    if (inode <= 0) continue;
    const index = byInode.get(inode);
    // Not in the dump: not TCP, or TCP opened since the dump or in another network namespace.
    const found = index === undefined ? rowFromFd(fd) : rowFromRecord(table, index, fd);
    if (found === undefined) {
      other(fd);
      continue;
    }
    if (index === undefined) tcp(found, -1, -1);
    else {
      const at = table.offsets[index] + REC.cookie;
      tcp(found, table.view.getUint32(at, true), table.view.getUint32(at + 4, true));
    }
  }
}

/**
 * Lists this process's TCP sockets: every one, including those opened inside libraries that
 * never expose them. Other fds (files, pipes, UDP and Unix-domain sockets) are left out.
 *
 * @returns One entry per TCP socket, in fd order.
 * @throws {UnsupportedError} on an OS or runtime sockopts cannot drive.
 *
 * @example Finding the connections a PostgreSQL pool opened
 * ```ts
 * import { tcpSockets } from "jsr:@sockopts/sockopts";
 *
 * const postgres = tcpSockets().filter((s) => s.remote?.port === 5432);
 * console.log(postgres.map((s) => `fd ${s.fd}: ${s.local.address}:${s.local.port} -> ${s.state}`));
 * ```
 */
export function tcpSockets(): TcpSocketInfo[] {
  const found: TcpSocketInfo[] = [];
  eachSocket((socket) => found.push(socket), () => {});
  return found;
}

/**
 * Options for {@link configureSockets}.
 *
 * @example Insisting that the pool's connections were found
 * ```ts
 * import { type ConfigureOptions, configureSockets } from "jsr:@sockopts/sockopts";
 *
 * const options: ConfigureOptions = { atLeast: 1 };
 * try {
 *   configureSockets({ remotePort: 5432 }, { detectWithin: 30_000 }, options);
 * } catch (error) {
 *   console.error((error as Error).message); // "Cannot configure sockets: 0 of … TCP sockets configured …"
 * }
 * ```
 */
export interface ConfigureOptions {
  /** Throw {@link NothingMatchedError} when fewer sockets than this were configured (default 0: never). */
  readonly atLeast?: number;
}

/**
 * Applies a dead-peer bound (`detectWithin`), or keep-alive and/or a user timeout, to every TCP
 * socket of this process that matches `filter`: the way to reach sockets a driver keeps to itself.
 * Every value is checked before any socket is touched. The result is the array of sockets
 * configured, with the values read back, and also says how many TCP sockets were `seen` and which
 * sockets were `skipped` and why: not matching, not TCP (a driver on a Unix-domain socket), closed
 * meanwhile, or refused by the kernel. On Linux a socket still connecting is matched by the
 * address it is connecting to; configure it again once connected (or use {@link keepConfigured},
 * which does).
 *
 * @param filter Which sockets: `{ remotePort?, remoteHost?, localPort?, listening? }`, or `{ all: true }`.
 * @param settings `{ detectWithin }`, or `{ keepAlive?, userTimeout? }` in the shapes `setKeepAlive` and `setUserTimeout` take.
 * @param options `{ atLeast }`: fewer sockets configured than that is an error.
 * @returns The sockets configured, with `seen` and `skipped` beside them.
 * @throws {TypeError} for a filter or setting of the wrong type, before any system call.
 * @throws {RangeError} for a value out of range, before any system call.
 * @throws {NothingMatchedError} when fewer than `atLeast` sockets were configured; its message lists what was seen.
 *
 * @example A dead-peer bound for every connection a PostgreSQL pool holds
 * ```ts
 * import { configureSockets } from "jsr:@sockopts/sockopts";
 *
 * // After the pool has connected (keepConfigured follows it as it grows):
 * const changed = configureSockets({ remotePort: 5432 }, { detectWithin: 45_000 });
 * console.log(`configured ${changed.length} of ${changed.seen} TCP sockets`, changed.skipped);
 * ```
 */
export function configureSockets(
  filter: SocketFilter,
  settings: SocketSettings,
  options?: ConfigureOptions,
): ConfigureResult {
  const f = checkFilter(filter);
  const s = checkSettings(settings);
  const atLeast = options === undefined ? 0 : checkAtLeast(options);
  const changed: ConfiguredSocket[] = [];
  const skipped: SkippedSocket[] = [];
  let seen = 0;
  const closedMeanwhile = (socket: TcpSocketInfo) =>
    skipped.push({ fd: socket.fd, kind: "tcp", reason: "closed", detail: "closed while it was configured", socket });
  eachSocket((socket, cookieLow, cookieHigh) => {
    seen++;
    const why = mismatch(f, socket);
    if (why !== undefined) {
      skipped.push({ fd: socket.fd, kind: "tcp", reason: "filter", detail: why, socket });
      return;
    }
    // Configured through a duplicate of the fd, checked to hold the socket the listing found
    // (its cookie; without one, its addresses): another thread that closes the fd and opens a
    // socket at its number meanwhile never passes that socket the settings (src/process/duplicate.ts).
    const check = cookieLow === -1 ? addressCheck(socket) : cookieCheck(cookieLow, cookieHigh);
    try {
      const done = throughDuplicate(socket.fd, check, (copy) => {
        applySettings(copy, s);
        return readBack(socket, s, copy);
      });
      // Gone from its number before, or while, it was configured: closed, as this process sees it.
      if (done === GONE || (cookieLow !== -1 && !holdsCookie(socket.fd, cookieLow, cookieHigh))) {
        closedMeanwhile(socket);
        return;
      }
      changed.push(done);
    } catch (error) {
      if (error instanceof SockoptError && (error.code === "EBADF" || error.code === "ENOTSOCK")) {
        closedMeanwhile(socket);
      } else if (error instanceof SockoptError) {
        skipped.push({ fd: socket.fd, kind: "tcp", reason: "failed", detail: error.message, socket, error });
      } else throw error;
    }
  }, (fd) => {
    const kind = socketKind(fd);
    if (kind !== undefined) skipped.push({ fd, kind: kind.kind, reason: "not-tcp", detail: kind.detail });
  });
  if (debugging) {
    for (const socket of changed) debugConfigure(socket.fd, null);
    for (const skip of skipped) debugConfigure(skip.fd, skip.detail);
  }
  const result = Object.assign(changed, { seen, skipped });
  if (changed.length < atLeast) {
    throw new NothingMatchedError(
      `Cannot configure sockets: ${changed.length} of ${seen} TCP sockets configured for filter ${f.text} ` +
        `(wanted at least ${atLeast}); seen: ${describeSkipped(skipped)}`,
      result,
    );
  }
  return result;
}

// The most sockets a process can hold: one per fd number (0..2147483647).
const MOST_SOCKETS = 2_147_483_647;

/** `atLeast`, checked before any socket is touched: a count no process can reach is refused here. */
function checkAtLeast(options: unknown): number {
  // A plain object only, read once: no inherited key, no class instance, no getter run twice.
  const { atLeast } = copyOptions("Cannot configure sockets", "an options object", options, ["atLeast"]);
  if (atLeast === undefined) return 0;
  if (typeof atLeast !== "number") {
    throw new TypeError(`Cannot configure sockets: atLeast must be a number of sockets, got ${describeValue(atLeast)}`);
  }
  if (!Number.isInteger(atLeast) || atLeast < 0 || atLeast > MOST_SOCKETS) {
    throw new RangeError(
      `Cannot configure sockets: atLeast ${atLeast} is not a number of sockets (expected an integer 0..${MOST_SOCKETS})`,
    );
  }
  return atLeast;
}
