/**
 * This process's open file descriptors, as the kernel itself lists them, through the OS backend
 * (`platforms/<os>/backend.ts`); tests may point the listing at a directory of their own.
 *
 * @module
 */
import type { FdEntry } from "../../platforms/backend.ts";
import { listDirectory } from "../../platforms/unix/fd_directory.ts";
import { currentHost } from "./host.ts";
import { getNative } from "./native.ts";

// A directory tests point the listing at, in place of the OS's own table.
let directory: string | undefined;

/**
 * Points the listing at another directory of fd numbers, or back at the platform's own
 * (`undefined`). For tests, which reproduce FreeBSD's fdescfs-less `/dev/fd` with a folder
 * holding only 0, 1 and 2.
 *
 * @param path The directory, or `undefined` for the platform's.
 */
export function useFdDirectory(path: string | undefined): void {
  directory = path;
}

/**
 * The directory {@link useFdDirectory} set, or `undefined` for the platform's own.
 * @returns The directory tests pointed the listing at, if any.
 */
export function fdDirectoryOverride(): string | undefined {
  return directory;
}

/**
 * Every open fd of this process, from the kernel's own table.
 *
 * @returns The descriptors, each with whether it is a socket where the kernel says so.
 * @throws {Error} when the kernel's table cannot be read, or a directory listing proves incomplete.
 */
export function listFdEntries(): FdEntry[] {
  const n = getNative("opendir");
  if (directory !== undefined) return listDirectory(n, directory).map((fd) => ({ fd }));
  return currentHost().backend.listFds(n);
}

/**
 * Every open fd number of this process, from the kernel's own table.
 *
 * @returns The descriptors.
 * @throws {Error} when the kernel's table cannot be read, or a directory listing proves incomplete.
 */
export function listFds(): number[] {
  return listFdEntries().map((entry) => entry.fd);
}
