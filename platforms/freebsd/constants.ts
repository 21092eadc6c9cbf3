/**
 * FreeBSD constants (amd64 and arm64 share them).
 *
 * Sources (freebsd-src): `sys/sys/socket.h` (SOL_SOCKET, SO_*, AF_*, SOCK_*),
 * `sys/netinet/tcp.h` (TCP_*, TCP_CA_NAME_MAX, `struct tcp_info`), `sys/netinet/tcp_fsm.h`
 * (TCPS_* states), `sys/sys/errno.h` (errno), `sys/sys/fcntl.h` (F_GETFD, F_DUPFD_CLOEXEC). Ranges from
 * `sys/netinet/tcp_usrreq.c` tcp_default_ctloutput: idle and interval are unsigned seconds that
 * must fit `UINT_MAX / hz` (hz is 1000 by default), and 0 falls back to the sysctl default;
 * TCP_MAXSEG and TCP_CONGESTION from tcp_ctloutput; SO_* from `sys/kern/uipc_socket.c` sosetopt
 * and sogetopt. The per-process file table from `sys/sys/user.h` (`struct kinfo_file`),
 * `sys/sys/sysctl.h` (CTL_KERN, KERN_PROC, KERN_PROC_FILEDESC) and `sys/kern/kern_descrip.c`
 * (sysctl_kern_proc_filedesc packs each record to kf_path's NUL, rounded up to 8 bytes). FreeBSD
 * has no TCP_QUICKACK, TCP_NOTSENT_LOWAT or SO_COOKIE. Cross-checked against the rust-lang/libc
 * crate. None of this can be run here; the tests decode a `tcp_info` and a `kinfo_file` table
 * built byte by byte from the headers' offsets.
 *
 * @module
 */
import { BSD_ERRNO, BSD_TCP_STATES, withBsdOptions } from "../bsd.ts";
import type { KinfoFileLayout, TcpInfoConstant, UnixConstants, UnixTable } from "../types.ts";

// INT_MAX (`sys/x86/include/_limits.h`, `sys/arm64/include/_limits.h`).
const INT_MAX = 2147483647;
// UINT_MAX / hz with the default hz of 1000 (`sys/netinet/tcp_usrreq.c` tcp_default_ctloutput
// refuses more with EINVAL before multiplying by hz).
const MAX_SECONDS = 4294967;
// `sys/kern/uipc_socket.c` sosetopt: EDOM when l_linger < 0, > USHRT_MAX or > INT_MAX / hz
// (2147483 at hz 1000), so USHRT_MAX bounds it.
const MAX_LINGER_SECONDS = 65535;

/** FreeBSD's socket-option constants. */
/** `struct kinfo_file` as KERN_PROC_FILEDESC packs it (offsets explained in {@link freebsdCore}). */
export const FREEBSD_KINFO_FILE: KinfoFileLayout = {
  mib: [1, 14, 33],
  size: 1392,
  structsize: 0,
  type: 4,
  fd: 8,
  sockDomain: 36,
  sockType: 40,
  sockProtocol: 44,
  saLocal: 48,
  saPeer: 176,
  typeSocket: 2,
};

export const freebsdCore: UnixConstants = {
  os: "freebsd",
  displayName: "FreeBSD",
  // lib/libc/Versions.def and the shared library's SONAME since FreeBSD 7.
  libc: ["libc.so.7"],
  libcPaths: ["/lib/libc.so.7"], // SHLIBDIR?= /lib (src/lib/libc/Makefile)
  // `lib/libc/sys/__error.c`; errno.h defines errno as (*__error()).
  errnoAccessor: "__error",
  F_GETFD: 1, // sys/sys/fcntl.h
  F_DUPFD_CLOEXEC: 17, // sys/sys/fcntl.h
  FD_CLOEXEC: 1, // sys/sys/fcntl.h
  SO_NETNS_COOKIE: null, // no network namespaces (a VNET jail is per process, not per thread)
  SOCK_CLOEXEC: null,
  SOL_SOCKET: 0xffff, // sys/sys/socket.h
  IPPROTO_TCP: 6, // sys/netinet/in.h
  AF_UNIX: 1, // sys/sys/socket.h
  AF_INET: 2, // sys/sys/socket.h
  AF_INET6: 28, // sys/sys/socket.h
  SOCK_STREAM: 1, // sys/sys/socket.h
  SOCK_DGRAM: 2, // sys/sys/socket.h
  // struct sockaddr (sys/sys/socket.h): unsigned char sa_len, sa_family_t (uint8_t) sa_family.
  sockaddrFamily: { offset: 1, bytes: 1 },
  // /dev/fd lists 0, 1 and 2 only, unless fdescfs is mounted there (it is not by default), so
  // the kernel's own per-process file table is read instead: sysctl {CTL_KERN 1, KERN_PROC 14,
  // KERN_PROC_FILEDESC 33, pid} (sys/sys/sysctl.h) returns packed `struct kinfo_file` records
  // (sys/sys/user.h): kf_structsize 0, kf_type 4, kf_fd 8, kf_ref_count 12, kf_flags 16,
  // kf_pad0 20, kf_offset (int64) 24, then the kf_un union at 32 whose kf_sock member holds
  // kf_sock_sendq 32, kf_sock_domain0 36, kf_sock_type0 40, kf_sock_protocol0 44, kf_sa_local 48
  // and kf_sa_peer 176 (two 128-byte sockaddr_storage); KINFO_FILE_SIZE is 1392. KF_TYPE_SOCKET 2.
  fdListing: { kind: "kinfo_file", layout: FREEBSD_KINFO_FILE },
  // Kept for completeness (the listing above does not read it). struct dirent (`sys/sys/dirent.h`,
  // FreeBSD 12+): d_fileno (8), d_off (8), d_reclen (2), d_type (1), d_pad0 (1), d_namlen (2),
  // d_pad1 (2), d_name.
  fdDirectory: "/dev/fd",
  direntNameOffset: 24,
  readdirSymbol: { x86_64: "readdir", aarch64: "readdir" },
  // Option numbers: SO_* from sys/sys/socket.h, TCP_* from sys/netinet/tcp.h.
  options: {
    SO_KEEPALIVE: { native: "SO_KEEPALIVE", level: 0xffff, optname: 0x8, unit: "bool", min: 0, max: 1 },
    // SO_TYPE and SO_ACCEPTCONN (like SO_ERROR): sogetopt only (`sys/kern/uipc_socket.c`).
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
    // `sys/netinet/tcp_usrreq.c` tcp_default_ctloutput: u_int seconds, EINVAL above UINT_MAX / hz
    // (a negative int is a huge u_int); the count is any u_int; 0 makes TP_KEEP* use the sysctl.
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
    // tcp(4): "the interval in seconds during which a connection must make progress", at least
    // one byte acknowledged, or the stack resets it; a u_int, bounded like the keep-alive times
    // (`sys/netinet/tcp_usrreq.c` tcp_default_ctloutput, FreeBSD 14 and later).
    TCP_USER_TIMEOUT: {
      native: "TCP_MAXUNACKTIME",
      level: 6,
      optname: 68,
      unit: "seconds",
      min: 0,
      max: MAX_SECONDS,
      zero: "no limit (the progress check is off, as it is by default)",
    },
  },
  // sys/sys/errno.h: 4.4BSD's numbers (bsd.ts). ENOTSUP is EOPNOTSUPP's other name (45); it
  // comes first so that 45 reads as EOPNOTSUPP, as strerror spells it.
  errno: { ...BSD_ERRNO, EOPNOTSUPP: 45 },
};

/**
 * FreeBSD's socket-option constants: {@link freebsdCore} with every option. The host runs on the core
 * table (the options every set and get reaches); only `getOption`, `setOption` and the `options`
 * table reach this one, so a bundle of `setKeepAlive` leaves the other options out.
 */
export const freebsd: UnixTable = /* @__PURE__ */ withBsdOptions(freebsdCore, {
  // SO_REUSEADDR, SO_REUSEPORT, SO_RCVBUF, SO_SNDBUF, SO_ERROR and TCP_MAXSEG come from bsd.ts,
  // the same as macOS's.
  // struct linger (sys/sys/socket.h): int l_onoff, int l_linger, in seconds.
  SO_LINGER: {
    native: "SO_LINGER",
    level: 0xffff,
    optname: 0x80,
    unit: "struct",
    min: 0,
    max: MAX_LINGER_SECONDS,
    size: 8,
  },
  TCP_QUICKACK: null,
  // TCP_CA_NAME_MAX is 16 with the NUL (sys/netinet/cc/cc.h); `sys/netinet/tcp_usrreq.c`
  // tcp_congestion fails with ESRCH for an algorithm that is not loaded.
  TCP_CONGESTION: {
    native: "TCP_CONGESTION",
    level: 6,
    optname: 64,
    unit: "string",
    min: 1,
    max: 15,
    size: 16,
    errnos: ["ESRCH"],
  },
  // Set as an int (nonzero: on); read back as `t_flags & TF_FASTOPEN`, that is 0x80000000
  // (sys/netinet/tcp_var.h), which a signed int shows as -2147483648: a flag, not a count.
  TCP_FASTOPEN: {
    native: "TCP_FASTOPEN",
    level: 6,
    optname: 1025,
    unit: "flag",
    min: 0,
    max: 1,
  },
  TCP_NOTSENT_LOWAT: null,
});

/**
 * FreeBSD's struct of live TCP statistics, apart from freebsd (which every set and get reaches) so that
 * only getTcpInfo and tcpSockets carry it.
 */
// struct tcp_info (sys/netinet/tcp.h): Linux's field order and names, with FreeBSD's own state
// numbers; times in µs, the congestion window in bytes. The fields prefixed `__tcpi_` are not
// filled in (retransmits, probes, unacked, last data sent), so they are left out.
export const freebsdTcpInfo: TcpInfoConstant = {
  native: "TCP_INFO",
  optname: 32,
  // TCPS_CLOSED = 0 … TCPS_TIME_WAIT = 10 (sys/netinet/tcp_fsm.h).
  states: BSD_TCP_STATES,
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
};
