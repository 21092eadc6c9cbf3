/**
 * errno names and their meanings, shared by every OS (the numbers differ; the words do not).
 *
 * @module
 */
import type { ErrnoName, PlatformConstants } from "../../platforms/types.ts";

const DESCRIPTIONS: Readonly<Record<ErrnoName, string>> = {
  EPERM: "operation not permitted",
  ENOENT: "no such file or directory",
  ESRCH: "no such process",
  EBADF: "bad file descriptor",
  EAGAIN: "resource temporarily unavailable",
  ENOMEM: "out of memory",
  EACCES: "permission denied",
  EFAULT: "bad address",
  EBUSY: "device or resource busy",
  EINVAL: "invalid argument",
  EDOM: "numerical argument out of domain",
  ENOTSOCK: "not a socket",
  ENOPROTOOPT: "protocol not available",
  ENOTSUP: "operation not supported",
  EOPNOTSUPP: "operation not supported",
  ENOBUFS: "no buffer space available",
  EISCONN: "socket is already connected",
  ENOTCONN: "socket is not connected",
  ECONNRESET: "connection reset by peer",
  ETIMEDOUT: "connection timed out",
};

/** errno numbers to names for one platform. */
export type ErrnoNames = ReadonlyMap<number, ErrnoName>;

/** Builds the number-to-name map of one platform. */
export function errnoNames(platform: PlatformConstants): ErrnoNames {
  const names = new Map<number, ErrnoName>();
  for (const [name, value] of Object.entries(platform.errno) as [ErrnoName, number][]) {
    // -1: an error this OS never reports (Windows has no EDOM).
    if (value !== -1) names.set(value, name);
  }
  return names;
}

/**
 * `EINVAL (invalid argument)`, or `errno 140` for a number sockopts has no name for. Where the OS
 * names its errors otherwise (Windows), its name and number are given too:
 * `ENOTSOCK (WSAENOTSOCK 10038: not a socket)`.
 */
export function describeErrno(
  names: ErrnoNames,
  errno: number,
  platform?: PlatformConstants,
): { code: string; text: string } {
  const name = names.get(errno);
  if (name === undefined) return { code: `E${errno}`, text: `errno ${errno}` };
  const native = platform?.errnoNative?.[name];
  if (native !== undefined) return { code: name, text: `${name} (${native} ${errno}: ${DESCRIPTIONS[name]})` };
  return { code: name, text: `${name} (${DESCRIPTIONS[name]})` };
}
