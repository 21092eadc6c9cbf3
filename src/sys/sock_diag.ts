/**
 * The OS backend's fast socket view (Linux: sock_diag, statx, getdents64), opened once for the
 * loaded library; hosts without one (and tests that point the fd listing at a directory of their
 * own) are served by the fd listing instead.
 *
 * @module
 */
import type { DiagTable, FdListingReader, SockDiag, TcpDumpReader, TcpQuestion } from "../../platforms/backend.ts";
import { fdDirectoryOverride } from "./fd_listing.ts";
import { currentHost } from "./host.ts";
import { getNative, type Native } from "./native.ts";

let diag: SockDiag | null | undefined;
// The library the view was opened with: tests reload libc for other hosts.
let openedWith: Native | undefined;

function view(): SockDiag | null {
  const n = getNative("statx");
  if (openedWith !== n) {
    openedWith = n;
    diag = currentHost().backend.openSockDiag?.(n) ?? null;
  }
  return diag!;
}

/** Whether this host can list sockets through sock_diag (Linux with statx and getdents64 bound). */
export function sockDiagAvailable(): boolean {
  // A test pointing the listing at another directory is served by the directory listing.
  if (fdDirectoryOverride() !== undefined) return false;
  return view() !== null;
}

function ready(): SockDiag {
  const found = fdDirectoryOverride() === undefined ? view() : null;
  if (found === null) throw new Error("Cannot use sock_diag: this host has no NETLINK_SOCK_DIAG listing");
  return found;
}

/**
 * Dumps every TCP socket of the network namespace (IPv4, then IPv6).
 * @returns The records; valid until the next dump (the storage is reused).
 * @throws {Error} when the netlink socket cannot be opened or the kernel reports an error.
 */
export function dumpTcp(): DiagTable {
  return ready().dumpTcp();
}

/**
 * Asks each question on one netlink socket, handing every record to `each` while it is in the
 * receive buffer.
 * @returns The netlink socket's fd number, which was the lowest free one when it opened, or -1
 * when sock_diag could not answer (the caller then looks elsewhere).
 */
export function askTcp(questions: readonly TcpQuestion[], each: (view: DataView, at: number) => void): number {
  return ready().askTcp(questions, each);
}

/** The inode of the socket at `fd`, 0 when `fd` holds something else, -1 when it is not open. */
export function socketInode(fd: number): number {
  return (diag ?? ready()).socketInode(fd);
}

/**
 * Every open fd number, read from `/proc/self/fd` with getdents64.
 * @returns A view of the numbers, valid until the next call (the storage is reused).
 */
export function openFds(): Int32Array {
  return ready().openFds();
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
