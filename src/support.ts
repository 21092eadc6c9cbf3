/**
 * Whether sockopts can run here, asked without loading anything or needing any permission.
 *
 * @module
 */
import { runsOnThisHost } from "./sys/host.ts";

/**
 * Tells whether this runtime (Deno, Bun, or Node.js 26.9+) and OS (Linux, macOS or FreeBSD) are ones sockopts
 * drives. Where it returns `false`, every other call throws {@link UnsupportedError} naming the
 * OS or runtime. It needs no permission: in Deno, `--allow-ffi` is still needed for the calls.
 *
 * @returns `true` on Deno, Bun or Node.js 26.9+ (26.1+ with `--experimental-ffi`) under Linux, macOS or FreeBSD.
 *
 * @example Configuring only where it can work
 * ```ts
 * import { isSupported, setKeepAlive } from "jsr:@sockopts/sockopts";
 *
 * export function maybeGuard(fd: number): void {
 *   if (isSupported()) setKeepAlive(fd, { idle: 60_000 });
 * }
 * ```
 */
export function isSupported(): boolean {
  return runsOnThisHost();
}
