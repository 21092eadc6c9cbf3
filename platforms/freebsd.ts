/**
 * FreeBSD constants (amd64 and arm64 share them).
 *
 * Sources (freebsd-src): `sys/sys/socket.h` (SOL_SOCKET, SO_*, AF_*, SOCK_*),
 * `sys/netinet/tcp.h` (TCP_*), `sys/sys/errno.h` (errno), `sys/sys/fcntl.h` (F_GETFD). Ranges from
 * `sys/netinet/tcp_usrreq.c` tcp_default_ctloutput: idle and interval are unsigned seconds that
 * must fit `UINT_MAX / hz` (hz is 1000 by default), and 0 falls back to the sysctl default.
 * FreeBSD has no per-socket user timeout. Cross-checked against the rust-lang/libc crate.
 *
 * @module
 */
import type { PlatformConstants } from "./types.ts";

const INT_MAX = 2147483647;
// UINT_MAX / hz with the default hz of 1000.
const MAX_SECONDS = 4294967;

/** FreeBSD's socket-option constants. */
export const freebsd: PlatformConstants = {
  os: "freebsd",
  displayName: "FreeBSD",
  libc: ["libc.so.7"],
  errnoAccessor: "__error",
  F_GETFD: 1,
  SOL_SOCKET: 0xffff,
  IPPROTO_TCP: 6,
  AF_UNIX: 1,
  AF_INET: 2,
  AF_INET6: 28,
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  sockaddrFamily: { offset: 1, bytes: 1 },
  // Lists every open fd only where fdescfs is mounted on /dev/fd; otherwise 0-2, and sockopts
  // probes the numbers above the listing. struct dirent (`sys/sys/dirent.h`, FreeBSD 12+):
  // d_fileno (8), d_off (8), d_reclen (2), d_type (1), d_pad0 (1), d_namlen (2), d_pad1 (2), d_name.
  fdDirectory: "/dev/fd",
  direntNameOffset: 24,
  readdirSymbol: { x86_64: "readdir", aarch64: "readdir" },
  options: {
    SO_KEEPALIVE: { native: "SO_KEEPALIVE", level: 0xffff, optname: 0x8, unit: "bool", min: 0, max: 1 },
    SO_TYPE: { native: "SO_TYPE", level: 0xffff, optname: 0x1008, unit: "enum", min: 0, max: INT_MAX, readOnly: true },
    SO_ACCEPTCONN: { native: "SO_ACCEPTCONN", level: 0xffff, optname: 0x2, unit: "bool", min: 0, max: 1, readOnly: true },
    SO_COOKIE: null,
    TCP_NODELAY: { native: "TCP_NODELAY", level: 6, optname: 1, unit: "bool", min: 0, max: 1 },
    TCP_KEEPIDLE: {
      native: "TCP_KEEPIDLE",
      level: 6,
      optname: 256,
      unit: "seconds",
      min: 0,
      max: MAX_SECONDS,
      zero: "the system default (net.inet.tcp.keepidle)",
    },
    TCP_KEEPINTVL: {
      native: "TCP_KEEPINTVL",
      level: 6,
      optname: 512,
      unit: "seconds",
      min: 0,
      max: MAX_SECONDS,
      zero: "the system default (net.inet.tcp.keepintvl)",
    },
    TCP_KEEPCNT: {
      native: "TCP_KEEPCNT",
      level: 6,
      optname: 1024,
      unit: "count",
      min: 0,
      max: INT_MAX,
      zero: "the system default (net.inet.tcp.keepcnt)",
    },
    TCP_USER_TIMEOUT: null,
  },
  errno: {
    EPERM: 1,
    ENOENT: 2,
    EBADF: 9,
    EAGAIN: 35,
    ENOMEM: 12,
    EACCES: 13,
    EFAULT: 14,
    EBUSY: 16,
    EINVAL: 22,
    EDOM: 33,
    ENOTSOCK: 38,
    ENOPROTOOPT: 42,
    EOPNOTSUPP: 45,
    ENOBUFS: 55,
    EISCONN: 56,
    ENOTCONN: 57,
    ECONNRESET: 54,
    ETIMEDOUT: 60,
  },
};
