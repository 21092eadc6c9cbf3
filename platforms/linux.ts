/**
 * Linux constants (x86_64 and aarch64 share them).
 *
 * Sources: `<asm-generic/socket.h>` (SOL_SOCKET, SO_*), `<linux/tcp.h>` (TCP_*),
 * `<asm-generic/errno-base.h>` and `<asm-generic/errno.h>` (errno), `<bits/fcntl-linux.h>`
 * (F_GETFD), `<bits/socket.h>` (AF_*), `<bits/socket_type.h>` (SOCK_*). Ranges from
 * `include/net/tcp.h` (MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL, MAX_TCP_KEEPCNT) and
 * `net/ipv4/tcp.c` do_tcp_setsockopt (TCP_USER_TIMEOUT rejects negatives).
 * Checked on Debian 12 by compiling a program that prints each one.
 *
 * @module
 */
import type { PlatformConstants } from "./types.ts";

const INT_MAX = 2147483647;

/** Linux's socket-option constants. */
export const linux: PlatformConstants = {
  os: "linux",
  displayName: "Linux",
  // glibc first; Alpine's musl names its libc after the architecture.
  libc: ["libc.so.6", "libc.musl-{arch}.so.1"],
  errnoAccessor: "__errno_location",
  F_GETFD: 1,
  SOL_SOCKET: 1,
  IPPROTO_TCP: 6,
  AF_UNIX: 1,
  AF_INET: 2,
  AF_INET6: 10,
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  sockaddrFamily: { offset: 0, bytes: 2 },
  // Listing /proc/self/fd through libc needs only --allow-ffi in Deno. dirent: d_ino (8),
  // d_off (8), d_reclen (2), d_type (1), then d_name, in glibc's and musl's <dirent.h> alike.
  fdDirectory: "/proc/self/fd",
  direntNameOffset: 19,
  readdirSymbol: { x86_64: "readdir", aarch64: "readdir" },
  options: {
    SO_KEEPALIVE: { native: "SO_KEEPALIVE", level: 1, optname: 9, unit: "bool", min: 0, max: 1 },
    SO_TYPE: { native: "SO_TYPE", level: 1, optname: 3, unit: "enum", min: 0, max: INT_MAX, readOnly: true },
    SO_ACCEPTCONN: { native: "SO_ACCEPTCONN", level: 1, optname: 30, unit: "bool", min: 0, max: 1, readOnly: true },
    // A 64-bit identity the kernel never reuses while it runs: one getsockopt tells whether a
    // cached fd still holds the same socket.
    SO_COOKIE: { native: "SO_COOKIE", level: 1, optname: 57, unit: "u64", min: 0, max: Number.MAX_SAFE_INTEGER, readOnly: true },
    TCP_NODELAY: { native: "TCP_NODELAY", level: 6, optname: 1, unit: "bool", min: 0, max: 1 },
    TCP_KEEPIDLE: { native: "TCP_KEEPIDLE", level: 6, optname: 4, unit: "seconds", min: 1, max: 32767 },
    TCP_KEEPINTVL: { native: "TCP_KEEPINTVL", level: 6, optname: 5, unit: "seconds", min: 1, max: 32767 },
    TCP_KEEPCNT: { native: "TCP_KEEPCNT", level: 6, optname: 6, unit: "count", min: 1, max: 127 },
    TCP_USER_TIMEOUT: {
      native: "TCP_USER_TIMEOUT",
      level: 6,
      optname: 18,
      unit: "ms",
      min: 0,
      max: INT_MAX,
      zero: "the system default (retransmission limits from tcp_retries2)",
    },
  },
  errno: {
    EPERM: 1,
    ENOENT: 2,
    EBADF: 9,
    EAGAIN: 11,
    ENOMEM: 12,
    EACCES: 13,
    EFAULT: 14,
    EBUSY: 16,
    EINVAL: 22,
    EDOM: 33,
    ENOTSOCK: 88,
    ENOPROTOOPT: 92,
    EOPNOTSUPP: 95,
    ENOBUFS: 105,
    EISCONN: 106,
    ENOTCONN: 107,
    ECONNRESET: 104,
    ETIMEDOUT: 110,
  },
};
