/**
 * Where libc may be: the OS's list (`platforms/<os>/constants.ts`: its names first, then its
 * absolute paths for Deno's scoped `--allow-ffi=<path>`), for this architecture. dlopen of a path whose
 * file is already loaded returns that same library (glibc and musl compare the file's device and
 * inode), so a symlinked spelling does not load libc twice.
 *
 * @module
 */
import type { UnixConstants } from "../types.ts";

/**
 * Every place libc may be for this OS and architecture, in the order to try them, without repeats.
 *
 * @param platform The OS constants (`libc`, then `libcPaths`; `{arch}` and `{tuple}` to fill in).
 * @param arch `x86_64` or `aarch64`.
 * @returns The candidates, in the order to try them.
 */
export function libcCandidates(platform: UnixConstants, arch: string): string[] {
  const tuple = `${arch}-linux-gnu`;
  const fill = (path: string) => path.replace("{arch}", arch).replace("{tuple}", tuple);
  return [...new Set([...platform.libc, ...platform.libcPaths].map(fill))];
}
