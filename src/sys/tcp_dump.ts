/**
 * Every TCP socket of the network namespace in one dump, where the OS has one (Linux's
 * sock_diag), for process-wide listing and the policy. Picked by OS here rather than through
 * the OS backend, so that a bundle of one call carries no dump code.
 *
 * @module
 */
import type { DiagTable, SystemLibrary, TcpDump } from "../../platforms/backend.ts";
import { openTcpDump } from "../../platforms/linux/tcp_dump.ts";

export { dumpWay, usePerFamilyDumps } from "../../platforms/linux/tcp_dump.ts";
import { getNative, type Native } from "./native.ts";
import { sockDiagAvailable } from "./sock_diag.ts";

const DUMPS: Readonly<Record<string, (sys: SystemLibrary) => TcpDump | null>> = { linux: openTcpDump };

let dump: TcpDump | null = null;
let openedWith: Native | undefined;

function ready(): TcpDump {
  const n = getNative("socket");
  if (openedWith !== n) {
    openedWith = n;
    dump = DUMPS[n.platform.os]?.(n) ?? null;
  }
  if (dump === null || !sockDiagAvailable()) {
    throw new Error("Cannot use sock_diag: this host has no NETLINK_SOCK_DIAG listing");
  }
  return dump;
}

/**
 * Dumps every TCP socket of the network namespace (IPv4, then IPv6); only where
 * {@link sockDiagAvailable} says so.
 * @param netlink A socket from {@link openDumpSocket} to ask through (it stays open), for another
 *   namespace's sockets; by default one opened here, in this thread's namespace, and closed again.
 * @returns The records; valid until the next dump (the storage is reused).
 * @throws {Error} when the netlink socket cannot be opened or the kernel reports an error.
 */
export function dumpTcp(netlink?: number): DiagTable {
  return ready().dumpTcp(netlink);
}

/**
 * Opens a socket to dump through, answering for the network namespace the calling thread is in
 * when it opens (src/sys/pidfd.ts opens one inside another process's namespace).
 * @returns Its fd, or -1 when the kernel refuses; the caller closes it.
 */
export function openDumpSocket(): number {
  return ready().openSocket();
}
