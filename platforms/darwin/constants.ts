/**
 * macOS constants (x86_64 and arm64 share them).
 *
 * Sources (xnu): `bsd/sys/socket.h` (SOL_SOCKET, SO_*, AF_*, SOCK_*), `bsd/netinet/tcp.h`
 * (TCP_NODELAY, TCP_MAXSEG, TCP_KEEPALIVE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_RXT_CONNDROPTIME,
 * TCP_FASTOPEN, TCP_CONNECTION_INFO, TCP_NOTSENT_LOWAT, `struct tcp_connection_info`),
 * `bsd/netinet/tcp_fsm.h` (TCPS_* states), `bsd/sys/errno.h` (errno), `bsd/sys/fcntl.h`
 * (F_GETFD, F_DUPFD_CLOEXEC). Ranges from `bsd/netinet/tcp_usrreq.c` tcp_ctloutput: idle and interval are
 * seconds that must fit `UINT32_MAX / TCP_RETRANSHZ` (1000 ticks a second), negatives are EINVAL,
 * and 0 falls back to the sysctl default; and from `bsd/kern/uipc_socket.c` sosetoptlock and
 * sogetoptlock (SO_LINGER_SEC, SO_SNDBUF, SO_RCVBUF; no SO_ACCEPTCONN case). Cross-checked against
 * the rust-lang/libc crate's apple module. The fd listing from `bsd/sys/proc_info.h`
 * (PROC_PIDLISTFDS, `struct proc_fdinfo`, PROX_FDTYPE_SOCKET) and `bsd/kern/proc_info.c`
 * proc_pidfdlist. None of this can be run here; the tests decode a `tcp_connection_info` and a
 * `proc_fdinfo` array built byte by byte from the headers' offsets.
 *
 * @module
 */
import { BSD_ERRNO, BSD_TCP_STATES, withBsdOptions } from "../bsd.ts";
import type { ProcFdInfoLayout, TcpInfoConstant, UnixConstants, UnixTable } from "../types.ts";

// INT_MAX (`EXTERNAL_HEADERS/architecture/*/_limits.h`, `bsd/arm/_limits.h`).
const INT_MAX = 2147483647;
// UINT32_MAX / TCP_RETRANSHZ (1000, `bsd/netinet/tcp_timer.h`): `bsd/netinet/tcp_usrreq.c`
// tcp_ctloutput refuses more with EINVAL for TCP_KEEPALIVE and TCP_KEEPINTVL.
const MAX_SECONDS = 4294967;
// `bsd/kern/uipc_socket.c` sosetoptlock stores SO_LINGER_SEC as `(short)(seconds * hz)` with
// hz = 100 (`bsd/kern/clock.c`): 327 s is the most that fits.
const MAX_LINGER_SECONDS = 327;

/** macOS's socket-option constants. */
/** `struct proc_fdinfo` as PROC_PIDLISTFDS fills it (explained in {@link darwinCore}). */
export const DARWIN_PROC_FDINFO: ProcFdInfoLayout = { flavor: 1, size: 8, fd: 0, type: 4, typeSocket: 2 };

export const darwinCore: UnixConstants = {
  os: "darwin",
  displayName: "macOS",
  // libSystem re-exports libsystem_c (readdir), libsystem_kernel (socket calls, __error) and
  // libproc (proc_pidinfo); the dyld shared cache answers the full path too.
  libc: ["libSystem.B.dylib", "/usr/lib/libSystem.B.dylib"],
  libcPaths: [], // the list above already names its absolute path
  // `bsd/sys/errno.h`: errno is (*__error()).
  errnoAccessor: "__error",
  F_GETFD: 1, // bsd/sys/fcntl.h
  F_DUPFD_CLOEXEC: 67, // bsd/sys/fcntl.h
  FD_CLOEXEC: 1, // bsd/sys/fcntl.h
  SO_NETNS_COOKIE: null, // no network namespaces
  SOCK_CLOEXEC: null,
  SOL_SOCKET: 0xffff, // bsd/sys/socket.h
  IPPROTO_TCP: 6, // bsd/netinet/in.h
  AF_UNIX: 1, // bsd/sys/socket.h
  AF_INET: 2, // bsd/sys/socket.h
  AF_INET6: 30, // bsd/sys/socket.h
  SOCK_STREAM: 1, // bsd/sys/socket.h
  SOCK_DGRAM: 2, // bsd/sys/socket.h
  // struct sockaddr (bsd/sys/socket.h): __uint8_t sa_len, sa_family_t (__uint8_t) sa_family.
  sockaddrFamily: { offset: 1, bytes: 1 },
  // The kernel's own list: proc_pidinfo(getpid(), PROC_PIDLISTFDS 1, 0, buffer, size) fills an
  // array of `struct proc_fdinfo { int32_t proc_fd; uint32_t proc_fdtype; }` (8 bytes,
  // PROC_PIDLISTFD_SIZE) and returns the bytes written; PROX_FDTYPE_SOCKET is 2.
  fdListing: { kind: "proc_pidinfo", layout: DARWIN_PROC_FDINFO },
  // devfs lists every open fd here too; kept for completeness (the listing above is used). struct dirent (64-bit inodes, `bsd/sys/dirent.h`): d_ino (8),
  // d_seekoff (8), d_reclen (2), d_namlen (2), d_type (1), then d_name. On x86_64 that layout
  // is only behind the $INODE64 symbol; plain `readdir` there is the 32-bit-inode one.
  fdDirectory: "/dev/fd",
  direntNameOffset: 21,
  readdirSymbol: { x86_64: "readdir$INODE64", aarch64: "readdir" },
  // Option numbers: SO_* from bsd/sys/socket.h, TCP_* from bsd/netinet/tcp.h.
  options: {
    SO_KEEPALIVE: { native: "SO_KEEPALIVE", level: 0xffff, optname: 0x8, unit: "bool", min: 0, max: 1 },
    // SO_TYPE (like SO_ERROR): sogetoptlock only (`bsd/kern/uipc_socket.c`).
    SO_TYPE: { native: "SO_TYPE", level: 0xffff, optname: 0x1008, unit: "int", min: 0, max: INT_MAX, readOnly: true },
    // sys/socket.h defines SO_ACCEPTCONN (0x2), but sogetoptlock has no case for it: ENOPROTOOPT.
    SO_ACCEPTCONN: null,
    SO_COOKIE: null,
    TCP_NODELAY: { native: "TCP_NODELAY", level: 6, optname: 0x1, unit: "bool", min: 0, max: 1 },
    // `bsd/netinet/tcp_usrreq.c` tcp_ctloutput: idle and interval EINVAL below 0 or above
    // UINT32_MAX / TCP_RETRANSHZ; the count EINVAL below 0; 0 makes TCP_CONN_KEEP* use the sysctl.
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
      unit: "int",
      min: 0,
      max: INT_MAX,
      zero: "the system default (net.inet.tcp.keepcnt)",
    },
    // macOS bounds a connection's retransmissions in seconds, not milliseconds.
    // `bsd/netinet/tcp_usrreq.c` tcp_ctloutput rejects only negatives (EINVAL), then keeps
    // `optval * TCP_RETRANSHZ` in a u_int32_t: above 4294967 s the stored time wraps.
    TCP_USER_TIMEOUT: {
      native: "TCP_RXT_CONNDROPTIME",
      level: 6,
      optname: 0x80,
      unit: "seconds",
      min: 0,
      max: INT_MAX,
      zero: "the system default",
    },
  },
  // bsd/sys/errno.h: 4.4BSD's numbers (bsd.ts), but ENOTSUP (45) and EOPNOTSUPP (102) are
  // different numbers in user space.
  errno: { ...BSD_ERRNO, EOPNOTSUPP: 102 },
};

/**
 * macOS's socket-option constants: {@link darwinCore} with every option. The host runs on the core
 * table (the options every set and get reaches); only `getOption`, `setOption` and the `options`
 * table reach this one, so a bundle of `setKeepAlive` leaves the other options out.
 */
export const darwin: UnixTable = /* @__PURE__ */ withBsdOptions(darwinCore, {
  // SO_REUSEADDR, SO_REUSEPORT, SO_RCVBUF, SO_SNDBUF, SO_ERROR and TCP_MAXSEG come from bsd.ts,
  // the same as FreeBSD's.
  // Plain SO_LINGER (0x80) counts clock ticks on macOS; SO_LINGER_SEC counts seconds.
  SO_LINGER: {
    native: "SO_LINGER_SEC",
    level: 0xffff,
    optname: 0x1080,
    unit: "struct",
    min: 0,
    max: MAX_LINGER_SECONDS,
    size: 8,
  },
  TCP_QUICKACK: null,
  TCP_CONGESTION: null,
  // A flag here, not a queue length: 0 or 1, listeners only (`bsd/netinet/tcp_usrreq.c`
  // tcp_ctloutput: EINVAL off a listener, ENOTSUP (45) while the sysctl disables the server side).
  TCP_FASTOPEN: {
    native: "TCP_FASTOPEN",
    level: 6,
    optname: 0x105,
    unit: "int",
    errnos: ["ENOTSUP"],
    min: 0,
    max: 1,
  },
  // tcp_ctloutput: negatives are EINVAL; 0 clears SOF_NOTSENT_LOWAT.
  TCP_NOTSENT_LOWAT: {
    native: "TCP_NOTSENT_LOWAT",
    level: 6,
    optname: 0x201,
    unit: "bytes",
    min: 0,
    max: INT_MAX,
    zero: "no low-water mark",
  },
});

/**
 * macOS's struct of live TCP statistics, apart from darwin (which every set and get reaches) so that
 * only getTcpInfo and tcpSockets carry it.
 */
// struct tcp_connection_info (bsd/netinet/tcp.h), the public counterpart of Linux's tcp_info:
// durations in ms, the congestion window in bytes. Retransmit counts of the current segment,
// keep-alive probes, unacked segments and last-data times are not in it.
export const darwinTcpInfo: TcpInfoConstant = {
  native: "TCP_CONNECTION_INFO",
  optname: 0x106,
  // TCPS_CLOSED = 0 … TCPS_TIME_WAIT = 10 (bsd/netinet/tcp_fsm.h).
  states: BSD_TCP_STATES,
  fields: {
    state: { offset: 0, size: 1 }, // tcpi_state
    // tcp_connection_fill_info reports t_rxtcur only while TCPT_REXMT runs, else 0.
    rto: { offset: 12, size: 4, unit: "ms" }, // tcpi_rto
    mss: { offset: 16, size: 4 }, // tcpi_maxseg
    cwnd: { offset: 24, size: 4, unit: "bytes" }, // tcpi_snd_cwnd
    rtt: { offset: 44, size: 4, unit: "ms" }, // tcpi_srtt (tcpi_rttcur at 40 is the latest sample)
    rttvar: { offset: 48, size: 4, unit: "ms" }, // tcpi_rttvar
    totalRetransmits: { offset: 104, size: 8 }, // tcpi_txretransmitpackets
    retransmits: null,
    probes: null,
    unacked: null,
    lastDataSent: null,
    lastDataReceived: null,
  },
};
