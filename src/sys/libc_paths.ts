/**
 * Where libc may be, by name and by absolute path. The name comes first: with a blanket
 * `--allow-ffi` (and in Bun) it opens the libc this process already runs on. Absolute paths
 * follow, so that Deno's narrowest grant, `--allow-ffi=<libc's path>`, works: Deno checks a
 * path against the grant before anything is loaded, and finding libc's real path without
 * `--allow-read` is impossible, so each usual location is offered in turn. dlopen of a path
 * whose file is already loaded returns that same library (glibc and musl compare the file's
 * device and inode), so a symlinked spelling does not load libc twice.
 *
 * @module
 */
import type { PlatformConstants } from "../../platforms/types.ts";

// glibc's install paths, per distribution family and architecture (the tuple is Debian's
// multiarch name, https://wiki.debian.org/Multiarch/Tuples):
const GLIBC: readonly string[] = [
  "/lib/{tuple}/libc.so.6", // Debian, Ubuntu (/lib is /usr/lib on merged-/usr systems)
  "/usr/lib/{tuple}/libc.so.6",
  "/lib64/libc.so.6", // Fedora, RHEL, openSUSE, Amazon Linux
  "/usr/lib64/libc.so.6",
  "/usr/lib/libc.so.6", // Arch
];

// musl: Alpine's libc is its dynamic loader, /lib/ld-musl-<arch>.so.1, with a libc.musl link.
const MUSL: readonly string[] = ["/lib/libc.musl-{arch}.so.1", "/lib/ld-musl-{arch}.so.1"];

const ABSOLUTE: Readonly<Record<string, readonly string[]>> = {
  linux: [...GLIBC, ...MUSL],
  freebsd: ["/lib/libc.so.7"], // FreeBSD keeps libc in /lib (src/lib/libc/Makefile: SHLIBDIR?= /lib)
  darwin: [], // the platform's own list already names /usr/lib/libSystem.B.dylib
};

/**
 * Every place libc may be for this OS and architecture: the platform's names first, then
 * absolute paths, without repeats.
 *
 * @param platform The OS constants (their `libc` names, `{arch}` to fill in).
 * @param arch `x86_64` or `aarch64`.
 * @returns The candidates, in the order to try them.
 */
export function libcCandidates(platform: PlatformConstants, arch: string): string[] {
  const tuple = `${arch}-linux-gnu`;
  const fill = (path: string) => path.replace("{arch}", arch).replace("{tuple}", tuple);
  return [...new Set([...platform.libc, ...(ABSOLUTE[platform.os] ?? [])].map(fill))];
}
