/**
 * Linux constants (x86_64 and aarch64 share them).
 *
 * Sources: `<asm-generic/socket.h>` (SOL_SOCKET, SO_*), `<linux/tcp.h>` (TCP_*, `struct tcp_info`,
 * TCP_CA_NAME_MAX), `<netinet/tcp.h>` (TCP states), `<asm-generic/errno-base.h>` and
 * `<asm-generic/errno.h>` (errno), `<bits/fcntl-linux.h>` (F_GETFD, F_DUPFD_CLOEXEC), `<bits/socket.h>` (AF_*),
 * `<bits/socket_type.h>` (SOCK_*). Ranges from `include/net/tcp.h` (MAX_TCP_KEEPIDLE,
 * MAX_TCP_KEEPINTVL, MAX_TCP_KEEPCNT, TCP_MIN_MSS, MAX_TCP_WINDOW), `net/ipv4/tcp.c`
 * do_tcp_setsockopt (TCP_USER_TIMEOUT and TCP_FASTOPEN reject negatives, TCP_MAXSEG takes 0 or
 * TCP_MIN_MSS..MAX_TCP_WINDOW) and `net/core/sock.c` sk_setsockopt (SO_RCVBUF, SO_SNDBUF, SO_LINGER).
 * Checked on Debian 12 by compiling a program that prints each one (tests/fixtures/constants.c,
 * struct offsets included), and each quirk below measured on kernel 6.18.
 *
 * @module
 */
import { withOptions } from "../table.ts";
import type { TcpInfoConstant, UnixConstants, UnixTable } from "../types.ts";

const INT_MAX = 2147483647;

/** Linux's socket-option constants. */
export const linuxCore: UnixConstants = {
  os: "linux",
  displayName: "Linux",
  // glibc first; Alpine's musl names its libc after the architecture.
  libc: ["libc.so.6", "libc.musl-{arch}.so.1"],
  // For Deno's narrowest grant (--allow-ffi=<libc's path>): glibc's install paths per distribution
  // family and architecture (`{tuple}` is Debian's multiarch name,
  // https://wiki.debian.org/Multiarch/Tuples), then musl's, which is Alpine's dynamic loader.
  libcPaths: [
    "/lib/{tuple}/libc.so.6", // Debian, Ubuntu (/lib is /usr/lib on merged-/usr systems)
    "/usr/lib/{tuple}/libc.so.6",
    "/lib64/libc.so.6", // Fedora, RHEL, openSUSE, Amazon Linux
    "/usr/lib64/libc.so.6",
    "/usr/lib/libc.so.6", // Arch
    "/lib/libc.musl-{arch}.so.1",
    "/lib/ld-musl-{arch}.so.1",
  ],
  errnoAccessor: "__errno_location",
  F_GETFD: 1,
  F_DUPFD_CLOEXEC: 1030, // F_LINUX_SPECIFIC_BASE + 6
  FD_CLOEXEC: 1, // <bits/fcntl-linux.h>
  SO_NETNS_COOKIE: 71, // <asm-generic/socket.h>, Linux 5.14
  SOCK_CLOEXEC: 0o2000000, // <bits/socket_type.h>
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
  fdListing: { kind: "directory" },
  fdDirectory: "/proc/self/fd",
  direntNameOffset: 19,
  readdirSymbol: { x86_64: "readdir", aarch64: "readdir" },
  // Option numbers: SO_* from <asm-generic/socket.h>, TCP_* from <linux/tcp.h>; read-only ones
  // are those net/core/sock.c sk_setsockopt has no case for.
  options: {
    SO_KEEPALIVE: { native: "SO_KEEPALIVE", level: 1, optname: 9, unit: "bool", min: 0, max: 1 },
    SO_TYPE: { native: "SO_TYPE", level: 1, optname: 3, unit: "int", min: 0, max: INT_MAX, readOnly: true },
    SO_ACCEPTCONN: { native: "SO_ACCEPTCONN", level: 1, optname: 30, unit: "bool", min: 0, max: 1, readOnly: true },
    // A u64 from a global counter that starts at 1 and is never reused while the system runs.
    SO_COOKIE: {
      native: "SO_COOKIE",
      level: 1,
      optname: 57,
      unit: "bigint",
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
      size: 8,
      readOnly: true,
    },
    TCP_NODELAY: { native: "TCP_NODELAY", level: 6, optname: 1, unit: "bool", min: 0, max: 1 },
    // MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL (32767) and MAX_TCP_KEEPCNT (127), include/net/tcp.h.
    TCP_KEEPIDLE: { native: "TCP_KEEPIDLE", level: 6, optname: 4, unit: "seconds", min: 1, max: 32767 },
    TCP_KEEPINTVL: { native: "TCP_KEEPINTVL", level: 6, optname: 5, unit: "seconds", min: 1, max: 32767 },
    TCP_KEEPCNT: { native: "TCP_KEEPCNT", level: 6, optname: 6, unit: "int", min: 1, max: 127 },
    // net/ipv4/tcp.c do_tcp_setsockopt: negatives are EINVAL.
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
  // <asm-generic/errno-base.h> and <asm-generic/errno.h>. ENOTSUP is EOPNOTSUPP's other name
  // on Linux (95, <bits/errno.h>); listed first so that 95 reads as EOPNOTSUPP.
  errno: {
    EPERM: 1,
    ENOENT: 2,
    ESRCH: 3,
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
    ENOTSUP: 95,
    EOPNOTSUPP: 95,
    ENOBUFS: 105,
    EISCONN: 106,
    ENOTCONN: 107,
    ECONNRESET: 104,
    ETIMEDOUT: 110,
  },
};

/**
 * Linux's socket-option constants: {@link linuxCore} with every option. The host runs on the core
 * table (the options every set and get reaches); only `getOption`, `setOption` and the `options`
 * table reach this one, so a bundle of `setKeepAlive` leaves the other options out.
 */
export const linux: UnixTable = /* @__PURE__ */ withOptions(linuxCore, {
  SO_REUSEADDR: { native: "SO_REUSEADDR", level: 1, optname: 2, unit: "bool", min: 0, max: 1 },
  SO_REUSEPORT: { native: "SO_REUSEPORT", level: 1, optname: 15, unit: "bool", min: 0, max: 1 },
  // sk_setsockopt clamps to net.core.rmem_max, doubles the value and keeps at least
  // SOCK_MIN_RCVBUF; getsockopt reports the doubled size.
  SO_RCVBUF: {
    native: "SO_RCVBUF",
    level: 1,
    optname: 8,
    unit: "bytes",
    min: 0,
    max: INT_MAX,
  },
  SO_SNDBUF: {
    native: "SO_SNDBUF",
    level: 1,
    optname: 7,
    unit: "bytes",
    min: 0,
    max: INT_MAX,
  },
  // struct linger { int l_onoff; int l_linger; }: seconds, kept as jiffies in an unsigned long.
  SO_LINGER: {
    native: "SO_LINGER",
    level: 1,
    optname: 13,
    unit: "struct",
    min: 0,
    max: INT_MAX,
    size: 8,
  },
  SO_ERROR: {
    native: "SO_ERROR",
    level: 1,
    optname: 4,
    unit: "int",
    min: 0,
    max: INT_MAX,
    readOnly: true,
  },
  // 0, or TCP_MIN_MSS (88) ..MAX_TCP_WINDOW (32767); anything else is EINVAL.
  TCP_MAXSEG: {
    native: "TCP_MAXSEG",
    level: 6,
    optname: 2,
    unit: "bytes",
    min: 88,
    max: 32767,
    zero: "no limit of the socket's own",
  },
  // The kernel keeps a "pingpong" (delayed-ACK) mode and leaves quick-ACK mode by itself.
  TCP_QUICKACK: {
    native: "TCP_QUICKACK",
    level: 6,
    optname: 12,
    unit: "bool",
    min: 0,
    max: 1,
  },
  // TCP_CA_NAME_MAX is 16 with the NUL; longer names are silently cut by the kernel, so refused here.
  TCP_CONGESTION: {
    native: "TCP_CONGESTION",
    level: 6,
    optname: 13,
    unit: "string",
    min: 1,
    max: 15,
    size: 16,
    errnos: ["ENOENT"],
  },
  // fastopen_queue_tune: min(value, net.core.somaxconn); only in TCP_CLOSE or TCP_LISTEN.
  TCP_FASTOPEN: {
    native: "TCP_FASTOPEN",
    level: 6,
    optname: 23,
    unit: "int",
    min: 0,
    max: INT_MAX,
  },
  // net/ipv4/tcp.c do_tcp_setsockopt stores any int; negatives read back as huge.
  TCP_NOTSENT_LOWAT: {
    native: "TCP_NOTSENT_LOWAT",
    level: 6,
    optname: 25,
    unit: "bytes",
    min: 0,
    max: INT_MAX,
    zero: "the system default (net.ipv4.tcp_notsent_lowat)",
  },
});

/**
 * Linux's struct of live TCP statistics, apart from linux (which every set and get reaches) so that
 * only getTcpInfo and tcpSockets carry it.
 */
// struct tcp_info from <linux/tcp.h>; it grows with kernel versions, so only the bytes the
// kernel returns are decoded. Every field used here sits in the first 104 bytes (Linux 2.6).
export const linuxTcpInfo: TcpInfoConstant = {
  native: "TCP_INFO",
  optname: 11,
  // TCP_ESTABLISHED = 1 … TCP_CLOSING = 11 (<netinet/tcp.h>); 12 (TCP_NEW_SYN_RECV) and 13
  // (TCP_BOUND_INACTIVE) are internal to the kernel.
  states: [
    null,
    "ESTABLISHED",
    "SYN_SENT",
    "SYN_RECEIVED",
    "FIN_WAIT_1",
    "FIN_WAIT_2",
    "TIME_WAIT",
    "CLOSED",
    "CLOSE_WAIT",
    "LAST_ACK",
    "LISTEN",
    "CLOSING",
  ],
  fields: {
    state: { offset: 0, size: 1 }, // tcpi_state
    retransmits: { offset: 2, size: 1 }, // tcpi_retransmits
    probes: { offset: 3, size: 1 }, // tcpi_probes
    rto: { offset: 8, size: 4, unit: "us" }, // tcpi_rto
    mss: { offset: 16, size: 4 }, // tcpi_snd_mss
    unacked: { offset: 24, size: 4 }, // tcpi_unacked
    lastDataSent: { offset: 44, size: 4, unit: "ms" }, // tcpi_last_data_sent
    lastDataReceived: { offset: 52, size: 4, unit: "ms" }, // tcpi_last_data_recv
    rtt: { offset: 68, size: 4, unit: "us" }, // tcpi_rtt
    rttvar: { offset: 72, size: 4, unit: "us" }, // tcpi_rttvar
    cwnd: { offset: 80, size: 4, unit: "segments" }, // tcpi_snd_cwnd
    totalRetransmits: { offset: 100, size: 4 }, // tcpi_total_retrans
  },
};
