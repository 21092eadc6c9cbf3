/**
 * macOS constants (x86_64 and arm64 share them).
 *
 * Sources (xnu): `bsd/sys/socket.h` (SOL_SOCKET, SO_*, AF_*, SOCK_*), `bsd/netinet/tcp.h`
 * (TCP_NODELAY, TCP_KEEPALIVE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_RXT_CONNDROPTIME),
 * `bsd/sys/errno.h` (errno), `bsd/sys/fcntl.h` (F_GETFD). Ranges from `bsd/netinet/tcp_usrreq.c`
 * tcp_ctloutput: idle and interval are seconds that must fit `UINT32_MAX / TCP_RETRANSHZ`
 * (1000 ticks a second), negatives are EINVAL, and 0 falls back to the sysctl default.
 * Cross-checked against the rust-lang/libc crate's apple module.
 *
 * @module
 */
import type { PlatformConstants } from "./types.ts";

const INT_MAX = 2147483647;
// UINT32_MAX / TCP_RETRANSHZ: the largest number of seconds xnu can hold as milliseconds.
const MAX_SECONDS = 4294967;

/** macOS's socket-option constants. */
export const darwin: PlatformConstants = {
  os: "darwin",
  displayName: "macOS",
  libc: ["libSystem.B.dylib", "/usr/lib/libSystem.B.dylib"],
  errnoAccessor: "__error",
  F_GETFD: 1,
  SOL_SOCKET: 0xffff,
  IPPROTO_TCP: 6,
  AF_UNIX: 1,
  AF_INET: 2,
  AF_INET6: 30,
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  sockaddrFamily: { offset: 1, bytes: 1 },
  // devfs lists every open fd here. struct dirent (64-bit inodes, `bsd/sys/dirent.h`): d_ino (8),
  // d_seekoff (8), d_reclen (2), d_namlen (2), d_type (1), then d_name. On x86_64 that layout
  // is only behind the $INODE64 symbol; plain `readdir` there is the 32-bit-inode one.
  fdDirectory: "/dev/fd",
  direntNameOffset: 21,
  readdirSymbol: { x86_64: "readdir$INODE64", aarch64: "readdir" },
  options: {
    SO_KEEPALIVE: { native: "SO_KEEPALIVE", level: 0xffff, optname: 0x8, unit: "bool", min: 0, max: 1 },
    SO_TYPE: { native: "SO_TYPE", level: 0xffff, optname: 0x1008, unit: "enum", min: 0, max: INT_MAX, readOnly: true },
    // Defined in socket.h, but xnu's sogetopt has no case for it (ENOPROTOOPT).
    SO_ACCEPTCONN: null,
    SO_COOKIE: null,
    TCP_NODELAY: { native: "TCP_NODELAY", level: 6, optname: 0x1, unit: "bool", min: 0, max: 1 },
    TCP_KEEPIDLE: {
      native: "TCP_KEEPALIVE",
      level: 6,
      optname: 0x10,
      unit: "seconds",
      min: 0,
      max: MAX_SECONDS,
      zero: "the system default (net.inet.tcp.keepidle)",
    },
    TCP_KEEPINTVL: {
      native: "TCP_KEEPINTVL",
      level: 6,
      optname: 0x101,
      unit: "seconds",
      min: 0,
      max: MAX_SECONDS,
      zero: "the system default (net.inet.tcp.keepintvl)",
    },
    TCP_KEEPCNT: {
      native: "TCP_KEEPCNT",
      level: 6,
      optname: 0x102,
      unit: "count",
      min: 0,
      max: INT_MAX,
      zero: "the system default (net.inet.tcp.keepcnt)",
    },
    // macOS bounds a connection's retransmissions in seconds, not milliseconds.
    TCP_USER_TIMEOUT: {
      native: "TCP_RXT_CONNDROPTIME",
      level: 6,
      optname: 0x80,
      unit: "seconds",
      min: 0,
      max: MAX_SECONDS,
      zero: "the system default",
    },
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
    EOPNOTSUPP: 102,
    ENOBUFS: 55,
    EISCONN: 56,
    ENOTCONN: 57,
    ECONNRESET: 54,
    ETIMEDOUT: 60,
  },
};
