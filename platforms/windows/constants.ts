/**
 * Windows constants (x64): the options as Winsock defines them, with the first Windows build
 * that has each where that is later than Windows 10's first (10240); Winsock's error codes under
 * the errno names sockopts reports; SIO_KEEPALIVE_VALS; and the NT constants and struct layouts
 * that finding a socket in the process's handle table needs.
 *
 * Sources: `winsock2.h` (SOL_SOCKET, SO_*, AF_*, SOCK_*, TCP_NODELAY, IOC_IN, IOC_VENDOR,
 * _WSAIOW, struct linger), `ws2ipdef.h` (TCP_KEEPALIVE/TCP_KEEPIDLE, TCP_MAXSEG, TCP_MAXRT,
 * TCP_MAXRTMS, TCP_FASTOPEN, TCP_KEEPCNT, TCP_KEEPINTVL), `mstcpip.h` (SIO_KEEPALIVE_VALS, struct
 * tcp_keepalive), `winerror.h` (WSABASEERR + n), `ntstatus.h` (STATUS_*), `winternl.h` and the
 * WDK's `ntifs.h`/`ntddk.h` (information classes, PROCESS_HANDLE_SNAPSHOT_INFORMATION,
 * SYSTEM_HANDLE_INFORMATION_EX, OBJECT_NAME_INFORMATION, PUBLIC_OBJECT_TYPE_INFORMATION).
 * Builds and units from Microsoft's "IPPROTO_TCP socket options", "SOL_SOCKET socket options" and
 * "SIO_KEEPALIVE_VALS control code" pages. Numbers checked against Debian's mingw-w64 headers
 * where they have them (mingw-w64 10 predates TCP_KEEPIDLE/INTVL/CNT, which come from the SDK's
 * ws2ipdef.h), and each one run under Wine 10 (docs/windows.md).
 *
 * @module
 */
import { withOptions } from "../table.ts";
import type { OptionConstant, PlatformConstants, PlatformTable } from "../types.ts";

const INT_MAX = 2147483647;
const SOL_SOCKET = 0xffff;
const IPPROTO_TCP = 6;

/**
 * Windows builds (RtlGetVersion's dwBuildNumber) that options arrive in: Windows 10 1607, 1703
 * and 1709.
 */
export const BUILD = { v1607: 14393, v1703: 15063, v1709: 16299 } as const;

/** TCP_FASTOPEN: BOOL, client side, before connect (Windows 10 1607). Apart, so that the backend's
 * build gate reaches it without the full table. */
export const WINDOWS_FASTOPEN: OptionConstant = {
  native: "TCP_FASTOPEN",
  level: IPPROTO_TCP,
  optname: 15,
  unit: "flag",
  min: 0,
  max: 1,
  minBuild: BUILD.v1607,
};

/** Windows's core constants: the options every set and get reaches, and Winsock's errors. */
export const windowsCore: PlatformConstants = {
  os: "windows",
  displayName: "Windows",
  SOL_SOCKET,
  IPPROTO_TCP,
  AF_UNIX: 1,
  AF_INET: 2,
  AF_INET6: 23,
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  // ADDRESS_FAMILY is a USHORT at the start of SOCKADDR, as on Linux.
  sockaddrFamily: { offset: 0, bytes: 2 },
  options: {
    // BOOL (an int); some providers answer with a single byte, which the reads allow for.
    SO_KEEPALIVE: { native: "SO_KEEPALIVE", level: SOL_SOCKET, optname: 0x0008, unit: "bool", min: 0, max: 1 },
    SO_TYPE: {
      native: "SO_TYPE",
      level: SOL_SOCKET,
      optname: 0x1008,
      unit: "int",
      min: 0,
      max: INT_MAX,
      readOnly: true,
    },
    SO_ACCEPTCONN: {
      native: "SO_ACCEPTCONN",
      level: SOL_SOCKET,
      optname: 0x0002,
      unit: "bool",
      min: 0,
      max: 1,
      readOnly: true,
    },
    // No socket cookie: identity is re-checked by the socket's addresses, as on macOS.
    SO_COOKIE: null,
    TCP_NODELAY: { native: "TCP_NODELAY", level: IPPROTO_TCP, optname: 0x0001, unit: "bool", min: 0, max: 1 },
    // DWORD seconds. TCP_KEEPIDLE is ws2ipdef.h's other name for TCP_KEEPALIVE (3). Before 1709
    // the backend writes both times with SIO_KEEPALIVE_VALS (platforms/windows/option_calls.ts).
    // Wine 10 hands them to Linux's TCP_KEEPIDLE/TCP_KEEPINTVL (1..32767), hence the bound.
    TCP_KEEPIDLE: {
      native: "TCP_KEEPALIVE",
      level: IPPROTO_TCP,
      optname: 3,
      unit: "seconds",
      min: 1,
      max: 32767,
      minBuild: BUILD.v1709,
    },
    TCP_KEEPINTVL: {
      native: "TCP_KEEPINTVL",
      level: IPPROTO_TCP,
      optname: 17,
      unit: "seconds",
      min: 1,
      max: 32767,
      minBuild: BUILD.v1709,
    },
    // Windows takes up to 255 (TcpMaxDataRetransmissions' range); Linux under Wine stops at 127
    // and answers WSAEINVAL above it. Before 1703 the count is fixed at 10 (Vista and later).
    TCP_KEEPCNT: {
      native: "TCP_KEEPCNT",
      level: IPPROTO_TCP,
      optname: 16,
      unit: "int",
      min: 1,
      max: 255,
      minBuild: BUILD.v1703,
    },
    // TCP_MAXRTMS: how long retransmissions may go unacknowledged, in ms; where the system
    // refuses it, TCP_MAXRT (the same in seconds, Vista and later) is used; where both are
    // refused (Wine 8 and 10 implement neither), UnsupportedError.
    TCP_USER_TIMEOUT: {
      native: "TCP_MAXRTMS",
      level: IPPROTO_TCP,
      optname: 14,
      unit: "ms",
      min: 0,
      max: INT_MAX,
      zero: "the system default (TcpMaxDataRetransmissions)",
    },
  },
  // winerror.h: WSABASEERR (10000) + the BSD number for the socket errors. -1: Winsock has no such
  // error and never reports it.
  errno: {
    EPERM: -1,
    ENOENT: -1,
    ESRCH: -1,
    EBADF: 10009, // WSAEBADF
    EAGAIN: 10035, // WSAEWOULDBLOCK
    ENOMEM: 8, // WSA_NOT_ENOUGH_MEMORY (ERROR_NOT_ENOUGH_MEMORY)
    EACCES: 10013, // WSAEACCES
    EFAULT: 10014, // WSAEFAULT: optval or optlen too small or not writable
    EBUSY: -1,
    EINVAL: 10022, // WSAEINVAL
    EDOM: -1,
    ENOTSOCK: 10038, // WSAENOTSOCK: not a socket (a closed or foreign handle)
    ENOPROTOOPT: 10042, // WSAENOPROTOOPT: unknown option, or one this build lacks
    ENOTSUP: 10045, // WSAEOPNOTSUPP: one code for both, as on Linux
    EOPNOTSUPP: 10045, // WSAEOPNOTSUPP
    ENOBUFS: 10055, // WSAENOBUFS
    EISCONN: 10056, // WSAEISCONN
    ENOTCONN: 10057, // WSAENOTCONN
    ECONNRESET: 10054, // WSAECONNRESET
    ETIMEDOUT: 10060, // WSAETIMEDOUT
  },
  errnoNative: {
    EBADF: "WSAEBADF",
    EAGAIN: "WSAEWOULDBLOCK",
    ENOMEM: "WSA_NOT_ENOUGH_MEMORY",
    EACCES: "WSAEACCES",
    EFAULT: "WSAEFAULT",
    EINVAL: "WSAEINVAL",
    ENOTSOCK: "WSAENOTSOCK",
    ENOPROTOOPT: "WSAENOPROTOOPT",
    ENOTSUP: "WSAEOPNOTSUPP",
    EOPNOTSUPP: "WSAEOPNOTSUPP",
    ENOBUFS: "WSAENOBUFS",
    EISCONN: "WSAEISCONN",
    ENOTCONN: "WSAENOTCONN",
    ECONNRESET: "WSAECONNRESET",
    ETIMEDOUT: "WSAETIMEDOUT",
  },
};

/**
 * Windows's socket-option constants: {@link windowsCore} with every option. Options Windows has
 * no equivalent of are `null`, so asking for them throws UnsupportedError naming Windows.
 */
export const windows: PlatformTable = /* @__PURE__ */ withOptions(windowsCore, {
  // Windows lets another socket bind the same address unless it asks for SO_EXCLUSIVEADDRUSE.
  SO_REUSEADDR: { native: "SO_REUSEADDR", level: SOL_SOCKET, optname: 0x0004, unit: "bool", min: 0, max: 1 },
  // SO_REUSE_UNICASTPORT (0x3007) only shares an ephemeral port between connect()s: not SO_REUSEPORT.
  SO_REUSEPORT: null,
  SO_RCVBUF: { native: "SO_RCVBUF", level: SOL_SOCKET, optname: 0x1002, unit: "bytes", min: 0, max: INT_MAX },
  SO_SNDBUF: { native: "SO_SNDBUF", level: SOL_SOCKET, optname: 0x1001, unit: "bytes", min: 0, max: INT_MAX },
  // struct linger { u_short l_onoff; u_short l_linger; }: 4 bytes, two 16-bit halves.
  SO_LINGER: {
    native: "SO_LINGER",
    level: SOL_SOCKET,
    optname: 0x0080,
    unit: "struct",
    min: 0,
    max: 65535,
    size: 4,
  },
  SO_ERROR: {
    native: "SO_ERROR",
    level: SOL_SOCKET,
    optname: 0x1007,
    unit: "int",
    min: 0,
    max: INT_MAX,
    readOnly: true,
  },
  // Documented for getsockopt only (Windows 10 and later): a set is left to the system to refuse.
  TCP_MAXSEG: { native: "TCP_MAXSEG", level: IPPROTO_TCP, optname: 4, unit: "bytes", min: 0, max: INT_MAX },
  TCP_QUICKACK: null,
  // TCP_CONGESTION_ALGORITHM (12) is documented as reserved: no settable equivalent.
  TCP_CONGESTION: null,
  TCP_FASTOPEN: WINDOWS_FASTOPEN,
  TCP_NOTSENT_LOWAT: null,
});

/** TCP_MAXRT: the user timeout in seconds, where TCP_MAXRTMS is refused. */
export const TCP_MAXRT = { level: IPPROTO_TCP, optname: 5 } as const;

/** SIO_KEEPALIVE_VALS: the keep-alive switch, idle and interval in one write-only ioctl. */
export const KEEPALIVE_VALS = {
  /** `_WSAIOW(IOC_VENDOR, 4)` = IOC_IN | IOC_VENDOR | 4. */
  code: (0x80000000 | 0x18000000 | 4) >>> 0,
  /** `struct tcp_keepalive { u_long onoff; u_long keepalivetime; u_long keepaliveinterval; }`, ms. */
  size: 12,
  /** Probes sent before the connection is dropped where TCP_KEEPCNT is absent (Vista and later). */
  fixedCount: 10,
  /** Windows's defaults (KeepAliveTime, KeepAliveInterval under Tcpip\Parameters): 2 h and 1 s. */
  defaultIdleMs: 7_200_000,
  defaultIntervalMs: 1_000,
} as const;

/** ntdll's constants; NTSTATUS values as the signed 32-bit numbers the FFI returns. */
export const NT = {
  /** PROCESSINFOCLASS ProcessHandleInformation: this process's handles (Windows 8+). */
  ProcessHandleInformation: 51,
  /** SYSTEM_INFORMATION_CLASS SystemExtendedHandleInformation: every process's, with pids. */
  SystemExtendedHandleInformation: 64,
  /** OBJECT_INFORMATION_CLASS. */
  ObjectNameInformation: 1,
  ObjectTypeInformation: 2,
  /** 0xC0000004, 0xC0000023, 0x80000005: the buffer was too small; the return length says how big. */
  STATUS_INFO_LENGTH_MISMATCH: 0xc0000004 | 0,
  STATUS_BUFFER_TOO_SMALL: 0xc0000023 | 0,
  STATUS_BUFFER_OVERFLOW: 0x80000005 | 0,
  /** The object type name of every file, pipe and socket handle. */
  fileType: "File",
  /** The object name of a socket: the Ancillary Function Driver's device. */
  afdDevice: "\\Device\\Afd",
  /** PROCESS_HANDLE_SNAPSHOT_INFORMATION { ULONG_PTR NumberOfHandles; ULONG_PTR Reserved;
   * PROCESS_HANDLE_TABLE_ENTRY_INFO Handles[] } with each entry { HANDLE HandleValue;
   * ULONG_PTR HandleCount; ULONG_PTR PointerCount; ULONG GrantedAccess; ULONG ObjectTypeIndex;
   * ULONG HandleAttributes; ULONG Reserved; }. */
  processHandleSnapshot: { count: 0, entries: 16, entrySize: 40, handleValue: 0, objectTypeIndex: 28 },
  /** SYSTEM_HANDLE_INFORMATION_EX { ULONG_PTR NumberOfHandles; ULONG_PTR Reserved; entries[] } with
   * each SYSTEM_HANDLE_TABLE_ENTRY_INFO_EX { PVOID Object; ULONG_PTR UniqueProcessId;
   * ULONG_PTR HandleValue; ULONG GrantedAccess; USHORT CreatorBackTraceIndex;
   * USHORT ObjectTypeIndex; ULONG HandleAttributes; ULONG Reserved; }. */
  systemHandleInformationEx: {
    count: 0,
    entries: 16,
    entrySize: 40,
    uniqueProcessId: 8,
    handleValue: 16,
    objectTypeIndex: 34,
  },
  /** UNICODE_STRING { USHORT Length (bytes); USHORT MaximumLength; PWSTR Buffer; }: the start of
   * OBJECT_NAME_INFORMATION and of PUBLIC_OBJECT_TYPE_INFORMATION. */
  unicodeString: { length: 0, buffer: 8 },
  /** RTL_OSVERSIONINFOW: dwOSVersionInfoSize (set to 276 first), then major, minor, build. */
  osVersionInfo: { size: 276, major: 4, minor: 8, build: 12 },
} as const;
