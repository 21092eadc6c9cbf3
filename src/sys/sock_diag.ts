/**
 * The OS backend's fast way to a socket (Linux: sock_diag, statx, getdents64), opened once for
 * the loaded library; hosts without one (and tests that point the fd listing at a directory of
 * their own) are served by the fd listing instead.
 *
 * @module
 */
import type { FdListingReader, SockDiag, TcpDumpReader } from "../../platforms/backend.ts";
import { fdDirectoryOverride } from "./fd_listing.ts";
import { currentHost } from "./host.ts";
import { getNative, type Native } from "./native.ts";

let diag: SockDiag | null = null;
// The library the view was opened with: tests reload libc for other hosts.
let openedWith: Native | undefined;

/** The view, or `null` where this host has none (or a test points the fd listing elsewhere). */
export function sockDiag(): SockDiag | null {
  const n = getNative("statx");
  if (openedWith !== n) {
    openedWith = n;
    diag = currentHost().backend.openSockDiag?.(n) ?? null;
  }
  return fdDirectoryOverride() === undefined ? diag : null;
}

function ready(): SockDiag {
  const found = sockDiag();
  if (found === null) throw new Error("Cannot use sock_diag: this host has no NETLINK_SOCK_DIAG listing");
  return found;
}

/** Whether this host can list sockets through sock_diag (Linux with statx and getdents64 bound). */
export function sockDiagAvailable(): boolean {
  return sockDiag() !== null;
}

/**
 * A dump of every TCP socket to read a part at a time (`start()`, then `step()` until true), in
 * storage of its own: a policy tick spreads it over event-loop turns.
 * @returns A new reader.
 * @throws {Error} where this host has no sock_diag.
 */
export function tcpDumpReader(): TcpDumpReader {
  return ready().tcpDumpReader();
}

/**
 * A listing of every open fd to read a part at a time, in storage of its own.
 * @returns A new reader.
 * @throws {Error} where this host has no sock_diag.
 */
export function fdListingReader(): FdListingReader {
  return ready().fdListingReader();
}
