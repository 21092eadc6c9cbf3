/**
 * Windows constants (x64), in the shape of platforms/types.ts where Windows has the same notions:
 * each option as an {@link OptionConstant} (or `null` where Windows has no equivalent), with the
 * Windows build that first has it; the Winsock error codes by the errno name the library uses;
 * the ioctl and the NT handle-table constants and struct layouts that finding a socket needs.
 * A draft for the OS seam (issue 19): nothing imports it from src/ yet.
 *
 * Sources: `winsock2.h` (SOL_SOCKET, SO_*, AF_*, SOCK_*, TCP_NODELAY, IOC_IN, IOC_VENDOR,
 * _WSAIOW), `ws2ipdef.h` (TCP_KEEPALIVE/TCP_KEEPIDLE, TCP_MAXSEG, TCP_MAXRT, TCP_MAXRTMS,
 * TCP_FASTOPEN, TCP_KEEPCNT, TCP_KEEPINTVL), `mstcpip.h` (SIO_KEEPALIVE_VALS, struct
 * tcp_keepalive), `winerror.h` (WSABASEERR + n), `ntstatus.h` (STATUS_*), `winternl.h` and the
 * WDK's `ntifs.h`/`ntddk.h` (information classes, PROCESS_HANDLE_SNAPSHOT_INFORMATION,
 * SYSTEM_HANDLE_INFORMATION_EX, OBJECT_NAME_INFORMATION, PUBLIC_OBJECT_TYPE_INFORMATION).
 * Builds and units from Microsoft's "IPPROTO_TCP socket options", "SOL_SOCKET socket options" and
 * "SIO_KEEPALIVE_VALS control code" pages. Numbers checked against Debian's mingw-w64 headers
 * where they have them (mingw-w64 10 predates TCP_KEEPIDLE/INTVL/CNT, which come from the SDK's
 * ws2ipdef.h), and each one run under Wine 10 (tests/windows/probe.ts; docs/windows.md).
 *
 * @module
 */
import type { ErrnoName, OptionConstant, OptionName } from "../types.ts";

const INT_MAX = 2147483647;
const MAX_DWORD_MS = 4294967295;

/** An option as Windows defines it, and the first Windows build with it (0: every supported one). */
export interface WindowsOption extends OptionConstant {
  /** The first build number (RtlGetVersion dwBuildNumber) that accepts it. */
  readonly minBuild: number;
}

/** Every constant a Windows backend needs. */
export interface WindowsConstants {
  readonly os: "windows";
  readonly displayName: "Windows";
  readonly SOL_SOCKET: number;
  readonly IPPROTO_TCP: number;
  readonly AF_UNIX: number;
  readonly AF_INET: number;
  readonly AF_INET6: number;
  readonly SOCK_STREAM: number;
  readonly SOCK_DGRAM: number;
  /** ADDRESS_FAMILY is a USHORT at the start of SOCKADDR, as on Linux. */
  readonly sockaddrFamily: { readonly offset: 0; readonly bytes: 2 };
  /** `(SOCKET)(~0)`, what a failed socket() returns; never a real handle. */
  readonly INVALID_SOCKET: bigint;
  /** What setsockopt, getsockopt, getsockname, getpeername and WSAIoctl return on failure. */
  readonly SOCKET_ERROR: -1;
  /** Each option, or `null` where Windows has no equivalent. */
  readonly options: { readonly [K in OptionName]: WindowsOption | null };
  /** The user timeout's other spelling: TCP_MAXRT counts seconds (the table's TCP_USER_TIMEOUT is TCP_MAXRTMS). */
  readonly TCP_MAXRT: WindowsOption;
  /** SIO_KEEPALIVE_VALS: the keep-alive switch, idle and interval in one write-only ioctl. */
  readonly keepaliveVals: {
    /** `_WSAIOW(IOC_VENDOR, 4)` = IOC_IN | IOC_VENDOR | 4. */
    readonly code: number;
    /** `struct tcp_keepalive { u_long onoff; u_long keepalivetime; u_long keepaliveinterval; }`, ms. */
    readonly size: 12;
    /** Probes sent before the connection is dropped when TCP_KEEPCNT is absent (Vista and later). */
    readonly fixedCount: 10;
  };
  /** Winsock error codes (WSAGetLastError) by the errno name the library reports; `null`: none. */
  readonly errno: { readonly [K in ErrnoName]: number | null };
  /** Winsock-only codes, for messages. */
  readonly wsa: {
    readonly WSANOTINITIALISED: number;
    readonly WSAEAFNOSUPPORT: number;
    readonly WSAEPROTONOSUPPORT: number;
  };
  /** ntdll: handle listing and object names. */
  readonly nt: typeof nt;
}

// ntdll's constants; NTSTATUS values as the signed 32-bit numbers the FFI returns.
const nt = {
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
  /** 0xC0000008: the handle is not open. */
  STATUS_INVALID_HANDLE: 0xc0000008 | 0,
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
  systemHandleInformationEx: { count: 0, entries: 16, entrySize: 40, uniqueProcessId: 8, handleValue: 16 },
  /** UNICODE_STRING { USHORT Length (bytes); USHORT MaximumLength; PWSTR Buffer; }: the start of
   * OBJECT_NAME_INFORMATION and of PUBLIC_OBJECT_TYPE_INFORMATION. */
  unicodeString: { length: 0, buffer: 8 },
  /** RTL_OSVERSIONINFOW: dwOSVersionInfoSize (set to 276 first), then major, minor, build. */
  osVersionInfo: { size: 276, major: 4, minor: 8, build: 12 },
} as const;

const SOL_SOCKET = 0xffff;
const IPPROTO_TCP = 6;

/** Windows's constants. */
export const windows: WindowsConstants = {
  os: "windows",
  displayName: "Windows",
  SOL_SOCKET,
  IPPROTO_TCP,
  AF_UNIX: 1,
  AF_INET: 2,
  AF_INET6: 23,
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  sockaddrFamily: { offset: 0, bytes: 2 },
  INVALID_SOCKET: 0xffffffffffffffffn,
  SOCKET_ERROR: -1,
  options: {
    // BOOL (an int); getsockopt may write a single byte where an old provider treats it as a
    // char, so the buffer is zeroed before the call.
    SO_KEEPALIVE: {
      native: "SO_KEEPALIVE",
      level: SOL_SOCKET,
      optname: 0x0008,
      unit: "bool",
      min: 0,
      max: 1,
      minBuild: 0,
    },
    SO_REUSEADDR: {
      native: "SO_REUSEADDR",
      level: SOL_SOCKET,
      optname: 0x0004,
      unit: "bool",
      min: 0,
      max: 1,
      minBuild: 0,
    },
    // SO_REUSE_UNICASTPORT (0x3007) only shares an ephemeral port between connect()s: not SO_REUSEPORT.
    SO_REUSEPORT: null,
    SO_RCVBUF: {
      native: "SO_RCVBUF",
      level: SOL_SOCKET,
      optname: 0x1002,
      unit: "bytes",
      min: 0,
      max: INT_MAX,
      minBuild: 0,
    },
    SO_SNDBUF: {
      native: "SO_SNDBUF",
      level: SOL_SOCKET,
      optname: 0x1001,
      unit: "bytes",
      min: 0,
      max: INT_MAX,
      minBuild: 0,
    },
    // struct linger { u_short l_onoff; u_short l_linger; }: 4 bytes, two 16-bit halves (not two ints).
    SO_LINGER: {
      native: "SO_LINGER",
      level: SOL_SOCKET,
      optname: 0x0080,
      unit: "struct",
      min: 0,
      max: 65535,
      size: 4,
      minBuild: 0,
    },
    SO_ERROR: {
      native: "SO_ERROR",
      level: SOL_SOCKET,
      optname: 0x1007,
      unit: "int",
      min: 0,
      max: INT_MAX,
      readOnly: true,
      minBuild: 0,
    },
    SO_TYPE: {
      native: "SO_TYPE",
      level: SOL_SOCKET,
      optname: 0x1008,
      unit: "int",
      min: 0,
      max: INT_MAX,
      readOnly: true,
      minBuild: 0,
    },
    SO_ACCEPTCONN: {
      native: "SO_ACCEPTCONN",
      level: SOL_SOCKET,
      optname: 0x0002,
      unit: "bool",
      min: 0,
      max: 1,
      readOnly: true,
      minBuild: 0,
    },
    // No socket cookie: identity is re-checked by the socket's addresses, as on macOS.
    SO_COOKIE: null,
    TCP_NODELAY: {
      native: "TCP_NODELAY",
      level: IPPROTO_TCP,
      optname: 0x0001,
      unit: "bool",
      min: 0,
      max: 1,
      minBuild: 0,
    },
    // DWORD seconds. TCP_KEEPIDLE is ws2ipdef.h's other name for TCP_KEEPALIVE (3): Windows 10
    // 1709 (build 16299). Wine 10 hands it to Linux's TCP_KEEPIDLE (1..32767).
    TCP_KEEPIDLE: {
      native: "TCP_KEEPALIVE",
      level: IPPROTO_TCP,
      optname: 3,
      unit: "seconds",
      min: 1,
      max: 32767,
      minBuild: 16299,
    },
    TCP_KEEPINTVL: {
      native: "TCP_KEEPINTVL",
      level: IPPROTO_TCP,
      optname: 17,
      unit: "seconds",
      min: 1,
      max: 32767,
      minBuild: 16299,
    },
    // Windows documents no upper bound; 255 is the largest Windows takes (TcpMaxDataRetransmissions'
    // range), Linux via Wine takes 1..127: the backend checks what the OS answers.
    TCP_KEEPCNT: {
      native: "TCP_KEEPCNT",
      level: IPPROTO_TCP,
      optname: 16,
      unit: "int",
      min: 1,
      max: 255,
      minBuild: 15063,
    },
    // TCP_MAXRTMS: the retransmission timeout in ms; TCP_MAXRT (seconds) is the same setting. Neither
    // Wine 8 nor Wine 10 implements them (WSAENOPROTOOPT). 0xFFFFFFFF ms (-1 s) = retransmit forever.
    TCP_USER_TIMEOUT: {
      native: "TCP_MAXRTMS",
      level: IPPROTO_TCP,
      optname: 14,
      unit: "ms",
      min: 0,
      max: MAX_DWORD_MS,
      minBuild: 0,
      zero: "the system default (TcpMaxDataRetransmissions)",
    },
    // Read-only on Windows (getsockopt only, Windows 10 1607+).
    TCP_MAXSEG: {
      native: "TCP_MAXSEG",
      level: IPPROTO_TCP,
      optname: 4,
      unit: "bytes",
      min: 0,
      max: INT_MAX,
      readOnly: true,
      minBuild: 14393,
    },
    TCP_QUICKACK: null,
    // TCP_CONGESTION_ALGORITHM (12) is documented as reserved: no settable equivalent.
    TCP_CONGESTION: null,
    // BOOL, client side, before connect (Windows 10 1607, build 14393).
    TCP_FASTOPEN: {
      native: "TCP_FASTOPEN",
      level: IPPROTO_TCP,
      optname: 15,
      unit: "flag",
      min: 0,
      max: 1,
      minBuild: 14393,
    },
    TCP_NOTSENT_LOWAT: null,
  },
  TCP_MAXRT: {
    native: "TCP_MAXRT",
    level: IPPROTO_TCP,
    optname: 5,
    unit: "seconds",
    min: 0,
    max: INT_MAX,
    minBuild: 0,
  },
  keepaliveVals: { code: (0x80000000 | 0x18000000 | 4) >>> 0, size: 12, fixedCount: 10 },
  errno: {
    EPERM: null,
    ENOENT: null,
    ESRCH: null,
    EBADF: 10009, // WSAEBADF
    EAGAIN: 10035, // WSAEWOULDBLOCK
    ENOMEM: null, // Winsock reports WSAENOBUFS
    EACCES: 10013, // WSAEACCES
    EFAULT: 10014, // WSAEFAULT: optval or optlen too small or not writable
    EBUSY: null,
    EINVAL: 10022, // WSAEINVAL
    EDOM: null,
    ENOTSOCK: 10038, // WSAENOTSOCK: not a socket (a closed or foreign handle)
    ENOPROTOOPT: 10042, // WSAENOPROTOOPT: unknown option, or one this build lacks
    ENOTSUP: null,
    EOPNOTSUPP: 10045, // WSAEOPNOTSUPP
    ENOBUFS: 10055, // WSAENOBUFS
    EISCONN: 10056, // WSAEISCONN
    ENOTCONN: 10057, // WSAENOTCONN
    ECONNRESET: 10054, // WSAECONNRESET
    ETIMEDOUT: 10060, // WSAETIMEDOUT
  },
  wsa: { WSANOTINITIALISED: 10093, WSAEAFNOSUPPORT: 10047, WSAEPROTONOSUPPORT: 10043 },
  nt,
};
