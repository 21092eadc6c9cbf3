/**
 * What each OS's kernel does with an option that a round trip would not show (the `note` of an
 * `OptionConstant` in the `options` table), from the same sources as the OS tables beside it
 * (platforms/<os>/constants.ts). Kept apart from those tables so that code reaching the OS
 * constants (every set and get) does not carry this prose: only the `options` table merges it in.
 *
 * @module
 */
import type { OptionName, OsName } from "./types.ts";

/** Per OS, the note of each option that has one. */
export const OPTION_NOTES: Readonly<Record<OsName, Partial<Record<OptionName, string>>>> = {
  linux: {
    SO_RCVBUF: "Linux doubles the value (room for bookkeeping), clamps it to 2 × net.core.rmem_max and to at " +
      "least SOCK_MIN_RCVBUF, and reads back the doubled size",
    SO_SNDBUF: "Linux doubles the value (room for bookkeeping), clamps it to 2 × net.core.wmem_max and to at " +
      "least SOCK_MIN_SNDBUF, and reads back the doubled size",
    SO_LINGER: "Turning it off (enable: false) leaves the previous seconds in place, and they read back",
    SO_ERROR: "Reading it clears the pending error",
    TCP_MAXSEG: "Reads back what was set only before connect() and on a listener (0 then reads as 536); " +
      "a connected socket reads its current MSS",
    TCP_QUICKACK: "Not sticky: the kernel switches between quick and delayed ACKs by itself as traffic flows, " +
      "so a read reports the current mode",
    TCP_CONGESTION: "An algorithm the kernel lacks fails with ENOENT; one outside " +
      "net.ipv4.tcp_allowed_congestion_control needs CAP_NET_ADMIN (EPERM)",
    TCP_FASTOPEN: "The queue of pending Fast Open requests, for a listener (set before or after listen()); " +
      "a connected socket fails with EINVAL, and the kernel clamps the length to net.core.somaxconn",
  },
  darwin: {
    SO_LINGER: "xnu keeps hundredths of a second in a 16-bit field, so at most 327 s",
    SO_ERROR: "Reading it clears the pending error",
    TCP_USER_TIMEOUT: "xnu keeps it as ms in 32 bits: above 4294967 s the timeout it stores wraps around",
    TCP_MAXSEG: "Can only lower the current MSS (EINVAL above it); 176 is net.inet.tcp.minmss (216) − 40",
    TCP_FASTOPEN: "On (1) or off (0), on a listener only (EINVAL otherwise), and only while net.inet.tcp.fastopen " +
      "enables the server side (ENOTSUP otherwise)",
  },
  freebsd: {
    SO_LINGER: "Seconds above 65535 (USHRT_MAX) fail with EDOM",
    SO_ERROR: "Reading it clears the pending error",
    TCP_MAXSEG: "Can only lower the current MSS (EINVAL above it); 176 is net.inet.tcp.minmss (216) − 40",
    TCP_CONGESTION: "Only algorithms whose cc_* module is loaded; another name fails with ESRCH",
    TCP_FASTOPEN: "On (1) or off (0); needs net.inet.tcp.fastopen.server_enable (or client_enable)",
  },
  windows: {
    SO_REUSEADDR: "Lets another socket bind the same address and port even while this one listens " +
      "(SO_EXCLUSIVEADDRUSE is Windows's way to forbid that)",
    SO_LINGER: "struct linger holds two u_shorts: at most 65535 s",
    TCP_MAXSEG: "Documented for reading only; Windows refuses to set it",
    SO_ERROR: "Reading it clears the pending error",
    TCP_KEEPIDLE: "Windows 10 1709 (build 16299) and later; before that sockopts writes both keep-alive times " +
      'with SIO_KEEPALIVE_VALS, which turns keep-alive on and cannot be read back (README "Windows")',
    TCP_KEEPINTVL: "Windows 10 1709 (build 16299) and later; before that sockopts writes both keep-alive times " +
      'with SIO_KEEPALIVE_VALS, which turns keep-alive on and cannot be read back (README "Windows")',
    TCP_KEEPCNT: "Windows 10 1703 (build 15063) and later; before that the count is fixed at 10. Wine stops at " +
      "127 (Linux's bound) and answers WSAEINVAL above it",
    TCP_USER_TIMEOUT: "TCP_MAXRTMS, or TCP_MAXRT (whole seconds) where the system refuses it; Wine implements " +
      "neither (UnsupportedError)",
    TCP_FASTOPEN: "Windows 10 1607 (build 14393) and later; client side, before connect()",
  },
};
