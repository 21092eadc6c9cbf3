/**
 * The shape every OS constants module fills in. A key that one platform lacks is a type error,
 * so adding an option means deciding what it is on every OS (`null` where the OS has no such option).
 *
 * @module
 */

/**
 * The operating systems sockopts knows the constants of.
 *
 * @example Where an option exists
 * ```ts
 * import { options, type OsName } from "jsr:@sockopts/sockopts";
 *
 * const where: readonly OsName[] = options.TCP_USER_TIMEOUT.supportedOn; // ["linux", "darwin", "freebsd", "windows"]
 * console.log(where.includes("freebsd")); // false
 * ```
 */
export type OsName = "linux" | "darwin" | "freebsd" | "windows";

/**
 * How the kernel stores an option's value:
 *
 * - `bool`: an int, 0 or not;
 * - `int`: an int (a count, a flag set or a type code);
 * - `flag`: an int the caller sets to 0 or 1 and reads back as 0 or 1, whatever nonzero value the
 *   kernel reports for "on" (FreeBSD's TCP_FASTOPEN reads back `t_flags & TF_FASTOPEN`, 0x80000000);
 * - `bytes`: an int counting bytes;
 * - `seconds`: an int counting whole seconds, exposed as milliseconds (rounded up when set);
 * - `ms`: an int counting milliseconds;
 * - `string`: a NUL-padded name of at most `max` characters (`min`..`max` bound its length);
 * - `struct`: `struct linger` (`min`..`max` bound its seconds);
 * - `bigint`: a 64-bit unsigned integer, read as a bigint.
 *
 * @example Which OSes keep the idle time in seconds
 * ```ts
 * import { type KernelUnit, options } from "jsr:@sockopts/sockopts";
 *
 * const unit: KernelUnit | undefined = options.TCP_KEEPIDLE.os.linux?.unit;
 * console.log(unit); // "seconds": set in ms, rounded up to whole seconds
 * ```
 */
export type KernelUnit = "bool" | "int" | "flag" | "bytes" | "seconds" | "ms" | "string" | "struct" | "bigint";

/**
 * The names of the options sockopts reads and sets. Linux's spelling is the canonical one.
 *
 * @example Printing any option by name
 * ```ts
 * import { getOption, type OptionName } from "jsr:@sockopts/sockopts";
 *
 * export function show(fd: number, name: OptionName): string {
 *   return `${name} = ${JSON.stringify(getOption(fd, name), (_key, v) => typeof v === "bigint" ? String(v) : v)}`;
 * }
 * ```
 */
export type OptionName =
  | "SO_KEEPALIVE"
  | "SO_REUSEADDR"
  | "SO_REUSEPORT"
  | "SO_RCVBUF"
  | "SO_SNDBUF"
  | "SO_LINGER"
  | "SO_ERROR"
  | "SO_TYPE"
  | "SO_ACCEPTCONN"
  | "SO_COOKIE"
  | "TCP_NODELAY"
  | "TCP_KEEPIDLE"
  | "TCP_KEEPINTVL"
  | "TCP_KEEPCNT"
  | "TCP_USER_TIMEOUT"
  | "TCP_MAXSEG"
  | "TCP_QUICKACK"
  | "TCP_CONGESTION"
  | "TCP_FASTOPEN"
  | "TCP_NOTSENT_LOWAT";

/**
 * errno codes sockopts names in its errors.
 *
 * @example Telling a closed socket from other failures
 * ```ts
 * import { type ErrnoName, SockoptError } from "jsr:@sockopts/sockopts";
 *
 * const GONE: ReadonlySet<ErrnoName> = new Set<ErrnoName>(["EBADF", "ENOTSOCK", "ENOTCONN"]);
 *
 * export function socketGone(error: unknown): boolean {
 *   return error instanceof SockoptError && GONE.has(error.code as ErrnoName);
 * }
 * ```
 */
export type ErrnoName =
  | "EPERM"
  | "ENOENT"
  | "ESRCH"
  | "EBADF"
  | "EAGAIN"
  | "ENOMEM"
  | "EACCES"
  | "EFAULT"
  | "EBUSY"
  | "EINVAL"
  | "EDOM"
  | "ENOTSOCK"
  | "ENOPROTOOPT"
  | "ENOTSUP"
  | "EOPNOTSUPP"
  | "ENOBUFS"
  | "EISCONN"
  | "ENOTCONN"
  | "ECONNRESET"
  | "ETIMEDOUT";

/**
 * One socket option as one OS defines it.
 *
 * @example What macOS calls the idle time, and its numbers
 * ```ts
 * import { type OptionConstant, options } from "jsr:@sockopts/sockopts";
 *
 * const idle: OptionConstant | null = options.TCP_KEEPIDLE.os.darwin;
 * console.log(idle?.native, idle?.level, idle?.optname); // TCP_KEEPALIVE 6 16
 * ```
 */
export interface OptionConstant {
  /** The name in this OS's headers, which may differ from the canonical one (macOS: `TCP_KEEPALIVE`). */
  readonly native: string;
  /** The `level` argument of setsockopt/getsockopt. */
  readonly level: number;
  /** The `optname` argument of setsockopt/getsockopt. */
  readonly optname: number;
  /** How the kernel stores the value. */
  readonly unit: KernelUnit;
  /**
   * Smallest value the kernel accepts, in `unit` (for `string`, the shortest name; for `struct`,
   * the fewest seconds). For read-only options, the smallest value the kernel reports.
   */
  readonly min: number;
  /** Largest value the kernel accepts, in `unit` (for `string`, the longest name). */
  readonly max: number;
  /** What 0 means, where the kernel gives it a meaning of its own; 0 is then accepted even below `min`. */
  readonly zero?: string;
  /** The kernel rejects setting it. */
  readonly readOnly?: boolean;
  /** Bytes of the value, where it is not a 4-byte int (`struct linger`: 8; a name: its buffer). */
  readonly size?: number;
  /**
   * errnos this option returns besides the usual setsockopt ones (TCP_CONGESTION: ENOENT for an
   * unknown algorithm). Because a stray errno read through FFI most often looks like these, one
   * counts only once two calls agree.
   */
  readonly errnos?: readonly ErrnoName[];
  /** What the kernel does that a round trip would not show, such as Linux doubling SO_RCVBUF. Only
   * in the `options` table: the OS tables leave it to platforms/notes.ts. */
  readonly note?: string;
  /**
   * Windows only: the first build (`RtlGetVersion`'s dwBuildNumber) that has the option; an older
   * build reaches it another way or not at all (README "Windows").
   */
  readonly minBuild?: number;
}

/**
 * TCP states by their RFC 793 names, as `getTcpInfo` reports them.
 *
 * @example Spotting connections the peer has closed
 * ```ts
 * import { getTcpInfo, type TcpState } from "jsr:@sockopts/sockopts";
 *
 * export function peerClosed(fd: number): boolean {
 *   const state: TcpState = getTcpInfo(fd).state;
 *   return state === "CLOSE_WAIT" || state === "LAST_ACK";
 * }
 * ```
 */
export type TcpState =
  | "CLOSED"
  | "LISTEN"
  | "SYN_SENT"
  | "SYN_RECEIVED"
  | "ESTABLISHED"
  | "CLOSE_WAIT"
  | "FIN_WAIT_1"
  | "CLOSING"
  | "LAST_ACK"
  | "FIN_WAIT_2"
  | "TIME_WAIT"
  | "UNKNOWN";

/** The connection statistics sockopts decodes from the OS's TCP info struct. */
export type TcpInfoFieldName =
  | "state"
  | "rto"
  | "rtt"
  | "rttvar"
  | "retransmits"
  | "totalRetransmits"
  | "probes"
  | "cwnd"
  | "mss"
  | "unacked"
  | "lastDataSent"
  | "lastDataReceived";

/** Where one field sits in the TCP info struct, and what it counts. */
export interface TcpInfoField {
  /** Byte offset from the start of the struct. */
  readonly offset: number;
  /** Width of the unsigned integer there. */
  readonly size: 1 | 4 | 8;
  /** Its unit, where a conversion is needed: durations become ms, a window in bytes becomes segments. */
  readonly unit?: "us" | "ms" | "bytes" | "segments";
}

/** The OS's struct of live TCP connection statistics. */
export interface TcpInfoConstant {
  /** Its name in the OS's headers: `TCP_INFO`, or macOS's `TCP_CONNECTION_INFO`. */
  readonly native: string;
  /** The `optname` argument of getsockopt (at level IPPROTO_TCP). */
  readonly optname: number;
  /** State names by the state number the struct holds; `null` for numbers with no public name. */
  readonly states: readonly (TcpState | null)[];
  /** Each field, or `null` where this OS does not report it. */
  readonly fields: { readonly [K in TcpInfoFieldName]: TcpInfoField | null };
}

/** FreeBSD's `struct kinfo_file` (`sys/sys/user.h`): the fields sockopts reads, by byte offset. */
export interface KinfoFileLayout {
  /** The sysctl name: CTL_KERN, KERN_PROC, KERN_PROC_FILEDESC (the pid is appended). */
  readonly mib: readonly [number, number, number];
  /** KINFO_FILE_SIZE: the largest record; packed records are shorter (kf_path is cut at its NUL). */
  readonly size: number;
  /** `int kf_structsize`: this record's length, a multiple of 8. */
  readonly structsize: number;
  /** `int kf_type`: KF_TYPE_SOCKET and the others. */
  readonly type: number;
  /** `int kf_fd`: the descriptor; negative for the cwd, root, jail, text and ctty entries. */
  readonly fd: number;
  /** `int kf_sock_domain0`, `kf_sock_type0`, `kf_sock_protocol0` (kf_sock in the kf_un union). */
  readonly sockDomain: number;
  readonly sockType: number;
  readonly sockProtocol: number;
  /** `struct sockaddr_storage kf_sa_local` and `kf_sa_peer`. */
  readonly saLocal: number;
  readonly saPeer: number;
  /** KF_TYPE_SOCKET. */
  readonly typeSocket: number;
}

/** macOS's `proc_pidinfo` PROC_PIDLISTFDS (`bsd/sys/proc_info.h`): an array of `struct proc_fdinfo`. */
export interface ProcFdInfoLayout {
  /** PROC_PIDLISTFDS, the `flavor` argument. */
  readonly flavor: number;
  /** PROC_PIDLISTFD_SIZE: `sizeof(struct proc_fdinfo)`. */
  readonly size: number;
  /** `int32_t proc_fd`. */
  readonly fd: number;
  /** `uint32_t proc_fdtype`: PROX_FDTYPE_SOCKET and the others. */
  readonly type: number;
  /** PROX_FDTYPE_SOCKET. */
  readonly typeSocket: number;
}

/** How one OS lists a process's open file descriptors. */
export type FdListing =
  | { readonly kind: "directory" }
  | { readonly kind: "kinfo_file"; readonly layout: KinfoFileLayout }
  | { readonly kind: "proc_pidinfo"; readonly layout: ProcFdInfoLayout };

/** Every constant sockopts needs from one OS. */
export interface PlatformConstants {
  /** The OS, as `Deno.build.os` spells it (`process.platform`'s `win32` is `windows` here). */
  readonly os: OsName;
  /** A human name for messages ("Linux", "macOS", "FreeBSD", "Windows"). */
  readonly displayName: string;
  /** Socket-level option level. */
  readonly SOL_SOCKET: number;
  /** TCP option level. */
  readonly IPPROTO_TCP: number;
  /** Address families, to name a socket in an error. */
  readonly AF_UNIX: number;
  readonly AF_INET: number;
  readonly AF_INET6: number;
  /** Socket types, to name a socket in an error. */
  readonly SOCK_STREAM: number;
  readonly SOCK_DGRAM: number;
  /** Where `sa_family` sits in `struct sockaddr`: BSDs put a one-byte `sa_len` before a one-byte family. */
  readonly sockaddrFamily: { readonly offset: number; readonly bytes: 1 | 2 };
  /**
   * The options every set and get reaches, each or `null` where this OS has no equivalent; the
   * others are in the OS's full table ({@link PlatformTable}), which only `getOption`, `setOption`
   * and the `options` table reach.
   */
  readonly options: { readonly [K in CoreOptionName]: OptionConstant | null };
  /**
   * The error numbers the OS's last-error call reports, by the errno name sockopts gives them
   * (Windows: `WSAGetLastError()` codes; -1 where the OS has no such error and never reports it).
   */
  readonly errno: { readonly [K in ErrnoName]: number };
  /** The OS's own names of those errors where they differ (Windows: `WSAENOTSOCK`), for messages. */
  readonly errnoNative?: { readonly [K in ErrnoName]?: string };
}

/** What a Unix OS adds: where libc is, how errno is read, and how the fd table is listed. */
export interface UnixConstants extends PlatformConstants {
  /** C libraries to try by name, in order; `{arch}` becomes `x86_64` or `aarch64`. */
  readonly libc: readonly string[];
  /**
   * Absolute paths to try after the names, so that Deno's narrowest grant (`--allow-ffi=<path>`)
   * works: Deno checks a path against the grant before loading, and libc's real path cannot be
   * found without `--allow-read`. `{arch}` as above, `{tuple}` the Debian multiarch tuple.
   */
  readonly libcPaths: readonly string[];
  /** The function that returns the calling thread's `int *errno`. */
  readonly errnoAccessor: "__errno_location" | "__error";
  /** `fcntl` command that only fails (with EBADF) when the fd is not open. */
  readonly F_GETFD: number;
  /** `fcntl` command that duplicates an fd, close-on-exec, to the lowest free number at or above the argument. */
  readonly F_DUPFD_CLOEXEC: number;
  /** The close-on-exec bit of the fd flags F_GETFD returns: every runtime opens its sockets with it. */
  readonly FD_CLOEXEC: number;
  /**
   * SO_NETNS_COOKIE (SOL_SOCKET): a socket's network namespace as a never-reused 64-bit cookie
   * (Linux 5.14+), or `null` where the OS has no network namespaces.
   */
  readonly SO_NETNS_COOKIE: number | null;
  /** The flag that opens a socket close-on-exec (`socket(2)`'s type argument), or `null` where it is not needed. */
  readonly SOCK_CLOEXEC: number | null;
  /**
   * Where the kernel lists this process's open file descriptors: a directory of fd numbers
   * (Linux `/proc/self/fd`), FreeBSD's per-process file table (`sysctl` KERN_PROC_FILEDESC), or
   * macOS's `proc_pidinfo` PROC_PIDLISTFDS.
   */
  readonly fdListing: FdListing;
  /** The directory that lists this process's open file descriptors by number (`directory` listings only). */
  readonly fdDirectory: string;
  /** Byte offset of `d_name` in `struct dirent`. */
  readonly direntNameOffset: number;
  /** The `readdir` symbol per architecture (macOS x86_64 keeps 64-bit inodes under another name). */
  readonly readdirSymbol: { readonly x86_64: string; readonly aarch64: string };
}

/**
 * The options the host's core table holds: keep-alive and the user timeout (`setKeepAlive`,
 * `setUserTimeout`, `configureSockets`), and those the socket checks read (SO_TYPE, SO_ACCEPTCONN,
 * SO_COOKIE, and TCP_NODELAY, which only a TCP socket has).
 */
export type CoreOptionName =
  | "SO_KEEPALIVE"
  | "SO_TYPE"
  | "SO_ACCEPTCONN"
  | "SO_COOKIE"
  | "TCP_NODELAY"
  | "TCP_KEEPIDLE"
  | "TCP_KEEPINTVL"
  | "TCP_KEEPCNT"
  | "TCP_USER_TIMEOUT";

/** An OS's full table: its core constants and every option. */
export interface PlatformTable extends PlatformConstants {
  /** Each option, or `null` where this OS has no equivalent. */
  readonly options: { readonly [K in OptionName]: OptionConstant | null };
}

/** A Unix OS's full table. */
export interface UnixTable extends PlatformTable, UnixConstants {
  readonly options: { readonly [K in OptionName]: OptionConstant | null };
}
