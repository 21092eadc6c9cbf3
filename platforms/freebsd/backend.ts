/**
 * FreeBSD: libc, and the kernel's per-process file table for the fd table (its `/dev/fd` lists
 * only 0, 1 and 2 without fdescfs). No sock_diag: sockets are found by reading each fd.
 *
 * @module
 */
import type { OsBackend } from "../backend.ts";
import { unixLibc } from "../unix/libc.ts";
import { FREEBSD_KINFO_FILE, freebsdCore } from "./constants.ts";
import { listKinfoFiles } from "./kinfo_files.ts";

/** The FreeBSD backend. */
export const freebsdBackend: OsBackend = {
  constants: freebsdCore,
  library: (arch) => unixLibc(freebsdCore, arch),
  listFds: (sys) => listKinfoFiles(sys, FREEBSD_KINFO_FILE),
};
