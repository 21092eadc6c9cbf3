/**
 * macOS: libSystem, and `proc_pidinfo` for the fd table. No sock_diag: sockets are found by
 * reading each fd.
 *
 * @module
 */
import type { OsBackend } from "../backend.ts";
import { unixLibc } from "../unix/libc.ts";
import { DARWIN_PROC_FDINFO, darwinCore } from "./constants.ts";
import { listProcFds } from "./proc_fds.ts";

/** The macOS backend. */
export const darwinBackend: OsBackend = {
  constants: darwinCore,
  library: (arch) => unixLibc(darwinCore, arch),
  listFds: (sys) => listProcFds(sys, DARWIN_PROC_FDINFO),
};
