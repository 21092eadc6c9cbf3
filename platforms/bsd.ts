/**
 * What macOS and FreeBSD inherit alike from 4.4BSD, written once: the errno numbers, the TCP
 * state numbers and the options whose numbers and ranges are the same in both. darwin.ts and
 * freebsd.ts spread these into their own tables and state where they differ.
 *
 * Sources: xnu's `bsd/sys/errno.h`, `bsd/netinet/tcp_fsm.h`, `bsd/sys/socket.h`,
 * `bsd/netinet/tcp.h`, `bsd/kern/uipc_socket.c` and `bsd/netinet/tcp_usrreq.c`, and FreeBSD's
 * `sys/sys/errno.h`, `sys/netinet/tcp_fsm.h`, `sys/sys/socket.h`, `sys/netinet/tcp.h`,
 * `sys/kern/uipc_socket.c` and `sys/netinet/tcp_usrreq.c`.
 *
 * @module
 */
import { withOptions } from "./table.ts";
import type {
  CoreOptionName,
  ErrnoName,
  OptionConstant,
  OptionName,
  TcpState,
  UnixConstants,
  UnixTable,
} from "./types.ts";

// INT_MAX: a 32-bit int on every architecture both run on (xnu
// `EXTERNAL_HEADERS/architecture/*/_limits.h`, FreeBSD `sys/x86/include/_limits.h`).
const INT_MAX = 2147483647;

/**
 * errno numbers both OSes share. EOPNOTSUPP is left to each: macOS numbers it 102 in user
 * space, apart from ENOTSUP (45); on FreeBSD it is ENOTSUP's other name, 45.
 */
export const BSD_ERRNO: { readonly [K in Exclude<ErrnoName, "EOPNOTSUPP">]: number } = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
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
  ENOTSUP: 45,
  ENOBUFS: 55,
  EISCONN: 56,
  ENOTCONN: 57,
  ECONNRESET: 54,
  ETIMEDOUT: 60,
};

/** TCPS_CLOSED = 0 … TCPS_TIME_WAIT = 10 (`tcp_fsm.h` in both), by the RFC 793 names. */
export const BSD_TCP_STATES: readonly TcpState[] = [
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
];

/** The options beyond the core ones whose numbers and ranges are the same in both. */
export type BsdSharedOption = Extract<
  OptionName,
  "SO_REUSEADDR" | "SO_REUSEPORT" | "SO_RCVBUF" | "SO_SNDBUF" | "SO_ERROR" | "TCP_MAXSEG"
>;

/**
 * Options numbered and bounded alike on macOS and FreeBSD (SO_* from `socket.h`, TCP_MAXSEG from
 * `tcp.h`); {@link withBsdOptions} puts them in each OS's full table.
 */
export const BSD_OPTIONS: { readonly [K in BsdSharedOption]: OptionConstant } = {
  SO_REUSEADDR: { native: "SO_REUSEADDR", level: 0xffff, optname: 0x4, unit: "bool", min: 0, max: 1 },
  SO_REUSEPORT: { native: "SO_REUSEPORT", level: 0xffff, optname: 0x200, unit: "bool", min: 0, max: 1 },
  // `uipc_socket.c` sosetopt (sosetoptlock on macOS): "Values < 1 make no sense" (EINVAL);
  // sbreserve fails with ENOBUFS above kern.ipc.maxsockbuf.
  SO_RCVBUF: { native: "SO_RCVBUF", level: 0xffff, optname: 0x1002, unit: "bytes", min: 1, max: INT_MAX },
  SO_SNDBUF: { native: "SO_SNDBUF", level: 0xffff, optname: 0x1001, unit: "bytes", min: 1, max: INT_MAX },
  // SO_ERROR (like SO_TYPE): in sogetopt only (sogetoptlock on macOS), `uipc_socket.c`.
  SO_ERROR: {
    native: "SO_ERROR",
    level: 0xffff,
    optname: 0x1007,
    unit: "int",
    min: 0,
    max: INT_MAX,
    readOnly: true,
  },
  // At least tcp_minmss − 40 (TCP_MINMSS is 216: xnu `bsd/netinet/tcp_var.h`, FreeBSD
  // `sys/netinet/tcp.h`) and at most the current MSS (`tcp_usrreq.c` tcp_ctloutput, FreeBSD's
  // tcp_default_ctloutput).
  TCP_MAXSEG: {
    native: "TCP_MAXSEG",
    level: 6,
    optname: 0x2,
    unit: "bytes",
    min: 176,
    max: INT_MAX,
  },
};

/**
 * {@link withOptions} for macOS and FreeBSD: `core` with {@link BSD_OPTIONS} and the OS's `own`
 * options. The spread happens in here, not in the caller's arguments, so a pure-annotated call
 * that a bundle never reaches still drops whole (esbuild keeps a spread argument, which could run
 * a getter).
 *
 * @param core The OS's core constants.
 * @param own Its options other than the core and shared ones.
 * @returns The OS's full table.
 */
export function withBsdOptions(
  core: UnixConstants,
  own: { readonly [K in Exclude<OptionName, CoreOptionName | BsdSharedOption>]: OptionConstant | null },
): UnixTable {
  return withOptions(core, { ...BSD_OPTIONS, ...own });
}
