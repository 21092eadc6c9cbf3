/**
 * Linux: libc (glibc or musl), `/proc/self/fd` for the fd table, and sock_diag for the TCP
 * sockets of the namespace.
 *
 * @module
 */
import type { OsBackend } from "../backend.ts";
import { unixLibc } from "../unix/libc.ts";
import { listDirectory } from "../unix/fd_directory.ts";
import { linuxCore } from "./constants.ts";
import { openSockDiag } from "./sock_diag.ts";

/** The Linux backend. */
export const linuxBackend: OsBackend = {
  constants: linuxCore,
  library: (arch) => unixLibc(linuxCore, arch),
  listFds: (sys) => listDirectory(sys, linuxCore.fdDirectory).map((fd) => ({ fd })),
  openSockDiag,
};
