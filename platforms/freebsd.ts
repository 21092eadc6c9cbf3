/**
 * FreeBSD constants (amd64 and arm64 share them).
 *
 * Sources (freebsd-src): `sys/sys/socket.h` (SOL_SOCKET, SO_*, AF_*, SOCK_*),
 * `sys/netinet/tcp.h` (TCP_*, TCP_CA_NAME_MAX, `struct tcp_info`), `sys/netinet/tcp_fsm.h`
 * (TCPS_* states), `sys/sys/errno.h` (errno), `sys/sys/fcntl.h` (F_GETFD). Ranges from
 * `sys/netinet/tcp_usrreq.c` tcp_default_ctloutput: idle and interval are unsigned seconds that
 * must fit `UINT_MAX / hz` (hz is 1000 by default), and 0 falls back to the sysctl default;
 * TCP_MAXSEG and TCP_CONGESTION from tcp_ctloutput; SO_* from `sys/kern/uipc_socket.c` sosetopt
 * and sogetopt. FreeBSD has no per-socket user timeout, TCP_QUICKACK, TCP_NOTSENT_LOWAT or
 * SO_COOKIE. Cross-checked against the rust-lang/libc crate. None of this can be run here; the
 * tests decode a `tcp_info` built byte by byte from the header.
 *
 * @module
 */
import type { PlatformConstants } from "./types.ts";

const INT_MAX = 2147483647;
// UINT_MAX / hz with the default hz of 1000.
const MAX_SECONDS = 4294967;
// so_linger has been a short; kept to what a short holds.
const MAX_LINGER_SECONDS = 32767;
// TCP_MAXSEG must be ≥ V_tcp_minmss − 40 (TCP_MINMSS is 216) and ≤ the current MSS.
const MIN_MAXSEG = 176;

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
    SO_REUSEADDR: { native: "SO_REUSEADDR", level: 0xffff, optname: 0x4, unit: "bool", min: 0, max: 1 },
    SO_REUSEPORT: { native: "SO_REUSEPORT", level: 0xffff, optname: 0x200, unit: "bool", min: 0, max: 1 },
    // "Values < 1 make no sense": EINVAL; sbreserve fails with ENOBUFS above kern.ipc.maxsockbuf.
    SO_RCVBUF: { native: "SO_RCVBUF", level: 0xffff, optname: 0x1002, unit: "bytes", min: 1, max: INT_MAX },
    SO_SNDBUF: { native: "SO_SNDBUF", level: 0xffff, optname: 0x1001, unit: "bytes", min: 1, max: INT_MAX },
    SO_LINGER: {
      native: "SO_LINGER",
      level: 0xffff,
      optname: 0x80,
      unit: "struct",
      min: 0,
      max: MAX_LINGER_SECONDS,
      size: 8,
    },
    SO_ERROR: {
      native: "SO_ERROR",
      level: 0xffff,
      optname: 0x1007,
      unit: "int",
      min: 0,
      max: INT_MAX,
      readOnly: true,
      note: "Reading it clears the pending error",
    },
    SO_TYPE: { native: "SO_TYPE", level: 0xffff, optname: 0x1008, unit: "int", min: 0, max: INT_MAX, readOnly: true },
    SO_ACCEPTCONN: {
      native: "SO_ACCEPTCONN",
      level: 0xffff,
      optname: 0x2,
      unit: "bool",
      min: 0,
      max: 1,
      readOnly: true,
    },
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
      unit: "int",
      min: 0,
      max: INT_MAX,
      zero: "the system default (net.inet.tcp.keepcnt)",
    },
    TCP_USER_TIMEOUT: null,
    TCP_MAXSEG: {
      native: "TCP_MAXSEG",
      level: 6,
      optname: 2,
      unit: "bytes",
      min: MIN_MAXSEG,
      max: INT_MAX,
      note: "Can only lower the current MSS (EINVAL above it); 176 is net.inet.tcp.minmss (216) − 40",
    },
    TCP_QUICKACK: null,
    // TCP_CA_NAME_MAX is 16 with the NUL; an algorithm that is not loaded is EINVAL.
    TCP_CONGESTION: {
      native: "TCP_CONGESTION",
      level: 6,
      optname: 64,
      unit: "string",
      min: 1,
      max: 15,
      size: 16,
      note: "Only algorithms whose cc_* module is loaded",
    },
    TCP_FASTOPEN: {
      native: "TCP_FASTOPEN",
      level: 6,
      optname: 1025,
      unit: "int",
      min: 0,
      max: 1,
      note: "On (1) or off (0); needs net.inet.tcp.fastopen.server_enable (or client_enable)",
    },
    TCP_NOTSENT_LOWAT: null,
  },
  // struct tcp_info (sys/netinet/tcp.h): Linux's field order and names, with FreeBSD's own state
  // numbers; times in µs, the congestion window in bytes. The fields prefixed `__tcpi_` are not
  // filled in (retransmits, probes, unacked, last data sent), so they are left out.
  tcpInfo: {
    native: "TCP_INFO",
    optname: 32,
    // TCPS_CLOSED = 0 … TCPS_TIME_WAIT = 10 (sys/netinet/tcp_fsm.h).
    states: [
      "CLOSED",
      "LISTEN",
      "SYN_SENT",
      "SYN_RECEIVED",
      "ESTABLISHED",
      "CLOSE_WAIT",
      "FIN_WAIT_1",
      "CLOSING",
      "LAST_ACK",
      "FIN_WAIT_2",
      "TIME_WAIT",
    ],
    fields: {
      state: { offset: 0, size: 1 }, // tcpi_state
      rto: { offset: 8, size: 4, unit: "us" }, // tcpi_rto
      mss: { offset: 16, size: 4 }, // tcpi_snd_mss
      lastDataReceived: { offset: 52, size: 4, unit: "us" }, // tcpi_last_data_recv
      rtt: { offset: 68, size: 4, unit: "us" }, // tcpi_rtt
      rttvar: { offset: 72, size: 4, unit: "us" }, // tcpi_rttvar
      cwnd: { offset: 80, size: 4, unit: "bytes" }, // tcpi_snd_cwnd
      totalRetransmits: { offset: 120, size: 4 }, // tcpi_snd_rexmitpack
      retransmits: null,
      probes: null,
      unacked: null,
      lastDataSent: null,
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
    EOPNOTSUPP: 45,
    ENOBUFS: 55,
    EISCONN: 56,
    ENOTCONN: 57,
    ECONNRESET: 54,
    ETIMEDOUT: 60,
  },
};
