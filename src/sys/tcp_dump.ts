/**
 * Every TCP socket of the network namespace in one dump, where the OS has one (Linux's
 * sock_diag), for process-wide listing and the policy. Picked by OS here rather than through
 * the OS backend, so that a bundle of one call carries no dump code.
 *
 * @module
 */
import type { DiagTable, SystemLibrary, TcpDump } from "../../platforms/backend.ts";
import { openTcpDump } from "../../platforms/linux/tcp_dump.ts";
import { getNative, type Native } from "./native.ts";
import { sockDiagAvailable } from "./sock_diag.ts";

const DUMPS: Readonly<Record<string, (sys: SystemLibrary) => TcpDump | null>> = { linux: openTcpDump };

let dump: TcpDump | null = null;
let openedWith: Native | undefined;

/**
 * Dumps every TCP socket of the network namespace (IPv4, then IPv6); only where
 * {@link sockDiagAvailable} says so.
 * @returns The records; valid until the next dump (the storage is reused).
 * @throws {Error} when the netlink socket cannot be opened or the kernel reports an error.
 */
export function dumpTcp(): DiagTable {
  const n = getNative("socket");
  if (openedWith !== n) {
    openedWith = n;
    dump = DUMPS[n.platform.os]?.(n) ?? null;
  }
  if (dump === null || !sockDiagAvailable()) {
    throw new Error("Cannot use sock_diag: this host has no NETLINK_SOCK_DIAG listing");
  }
  return dump.dumpTcp();
}
