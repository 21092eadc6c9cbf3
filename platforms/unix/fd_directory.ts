/**
 * A directory of fd numbers read with `opendir`/`readdir` (`<dirent.h>`): Linux's
 * `/proc/self/fd`, and FreeBSD's `/dev/fd` where fdescfs is mounted. A directory is trusted only
 * once it lists the fd it was read through.
 *
 * @module
 */
import { nativeBytes } from "../../src/ffi/adapter.ts";
import type { Library } from "../../src/ffi/adapter.ts";
import type { SystemLibrary } from "../backend.ts";
import type { UnixConstants } from "../types.ts";

// The directory last read, NUL-terminated, and the library its bytes belong to.
let directory: string | undefined;
let directoryBytes: Uint8Array | undefined;
let directoryLib: Library | undefined;

// fd numbers have at most 10 digits; d_name is read a few bytes at a time, without a string.
const NAME = /* @__PURE__ */ new Uint8Array(12);

/**
 * The fd numbers a directory of them lists (`opendir`/`readdir`), refused unless it lists the fd
 * it was read through, which proves it is this process's whole table.
 * @param n libc, bound.
 * @param path The directory, such as `/proc/self/fd`.
 * @returns The fds, ascending.
 * @throws {Error} when it cannot be opened, or proves incomplete.
 */
export function listDirectory(n: SystemLibrary, path: string): number[] {
  const { lib, fn } = n;
  // Only Unix hosts list a directory of fds.
  const nameOffset = (n.platform as UnixConstants).direntNameOffset;
  // Native memory belongs to the library that allocated it (tests reload libc for other hosts).
  if (directoryBytes === undefined || directoryLib !== lib || directory !== path) {
    directoryLib = lib;
    directory = path;
    const encoded = new TextEncoder().encode(`${path}\0`);
    directoryBytes = nativeBytes(lib, encoded.length);
    directoryBytes.set(encoded);
  }
  const dir = fn.opendir(lib.pointerOf(directoryBytes));
  if (lib.isNull(dir)) throw new Error(`Cannot list open file descriptors: opendir(${path}) failed`);
  const fds: number[] = [];
  // The stream's own fd is open while it is read, so a listing without it is not this process's.
  const own = fn.dirfd === undefined ? -1 : fn.dirfd(dir);
  let sawOwn = false;
  try {
    for (;;) {
      const entry = fn.readdir(dir);
      if (lib.isNull(entry)) break;
      lib.copyInto(entry, nameOffset, NAME);
      let fd = 0;
      let digits = 0;
      for (; digits < NAME.length; digits++) {
        const c = NAME[digits];
        if (c < 48 || c > 57) break;
        fd = fd * 10 + c - 48;
      }
      // "." and "..", or anything else that is not a plain number, end before a digit or after.
      if (digits === 0 || NAME[digits] !== 0) continue;
      if (fd === own) sawOwn = true;
      else fds.push(fd);
    }
  } finally {
    fn.closedir(dir);
  }
  fds.sort((a, b) => a - b);
  if (own >= 0 && !sawOwn) {
    throw new Error(
      `Cannot list open file descriptors: ${path} lists ${fds.length} fds (${fds.slice(0, 8).join(", ")}` +
        `${fds.length > 8 ? ", …" : ""}) but not fd ${own} it was read through, so it is not this ` +
        `process's full fd table (is procfs mounted?)`,
    );
  }
  return fds;
}
