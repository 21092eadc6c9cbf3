/**
 * Twins: connections with the same addresses and ports over several interfaces, as IPv6
 * link-local addresses allow (fe80::1 is fe80::1 on every link). A handle whose addresses show no
 * interface (Deno's carry no zone) is told from its twins two ways: a socket another live handle
 * already resolved to is not its own (this file), and the handle picks its own out itself
 * (a target's `pick`, deno.ts).
 *
 * @module
 */
import { cookieParts, hasCookies, readCookie } from "../sys/inspect.ts";

// Link-local connections resolved so far: the socket's SO_COOKIE, never reused, to the handle
// that holds it. Weak, so a dropped handle neither stays alive nor keeps its claim.
const claims = new Map<string, WeakRef<object>>();
// Dead entries are swept when the map outgrows this.
let sweepAt = 64;

function cookieOf(fd: number): string | undefined {
  return hasCookies() && readCookie(fd) ? cookieParts().join(":") : undefined;
}

/**
 * `fds` without the sockets other live handles resolved to: each twin's handle claims its own
 * socket, so a later twin's lookup needs no pick once the others are known.
 */
export function unclaimed(handle: object, fds: readonly number[]): number[] {
  return fds.filter((fd) => {
    const key = cookieOf(fd);
    const holder = key === undefined ? undefined : claims.get(key)?.deref();
    return holder === undefined || holder === handle;
  });
}

/** Notes that `handle` holds the socket at `fd` (a link-local connection, proven its own). */
export function claim(handle: object, fd: number): void {
  const key = cookieOf(fd);
  if (key === undefined) return;
  claims.set(key, new WeakRef(handle));
  if (claims.size < sweepAt) return;
  for (const [cookie, holder] of claims) if (holder.deref() === undefined) claims.delete(cookie);
  sweepAt = Math.max(64, claims.size * 2);
}
