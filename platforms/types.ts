/**
 * The shape every OS constants module fills in. A key that one platform lacks is a type error,
 * so adding an option means deciding what it is on every OS (`null` where the OS has no such option).
 *
 * @module
 */

/** The operating systems sockopts knows the constants of. */
export type OsName = "linux" | "darwin" | "freebsd";

/**
 * How the kernel stores an option's value. The public API always speaks milliseconds for
 * durations; `seconds` options are converted by rounding up to the next whole second.
 */
export type KernelUnit = "bool" | "count" | "seconds" | "ms" | "enum" | "u64";

/** The names of the options sockopts reads and sets. Linux's spelling is the canonical one. */
export type OptionName =
  | "SO_KEEPALIVE"
  | "SO_TYPE"
  | "SO_ACCEPTCONN"
  | "SO_COOKIE"
  | "TCP_NODELAY"
  | "TCP_KEEPIDLE"
  | "TCP_KEEPINTVL"
  | "TCP_KEEPCNT"
  | "TCP_USER_TIMEOUT";

/** errno codes sockopts names in its errors. */
export type ErrnoName =
  | "EPERM"
  | "ENOENT"
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
  | "EOPNOTSUPP"
  | "ENOBUFS"
  | "EISCONN"
  | "ENOTCONN"
  | "ECONNRESET"
  | "ETIMEDOUT";

/** One socket option as one OS defines it. */
export interface OptionConstant {
  /** The name in this OS's headers, which may differ from the canonical one (macOS: `TCP_KEEPALIVE`). */
  readonly native: string;
  /** The `level` argument of setsockopt/getsockopt. */
  readonly level: number;
  /** The `optname` argument of setsockopt/getsockopt. */
  readonly optname: number;
  /** How the kernel stores the value. */
  readonly unit: KernelUnit;
  /** Smallest value the kernel accepts, in `unit`. */
  readonly min: number;
  /** Largest value the kernel accepts, in `unit`. */
  readonly max: number;
  /** What 0 means, where the kernel gives it a meaning of its own. */
  readonly zero?: string;
  /** The kernel rejects setting it. */
  readonly readOnly?: boolean;
}

/** Every constant sockopts needs from one OS. */
export interface PlatformConstants {
  /** The OS, as `Deno.build.os` and `process.platform` spell it. */
  readonly os: OsName;
  /** A human name for messages ("Linux", "macOS", "FreeBSD"). */
  readonly displayName: string;
  /** C libraries to try, in order; `{arch}` becomes `x86_64` or `aarch64`. */
  readonly libc: readonly string[];
  /** The function that returns the calling thread's `int *errno`. */
  readonly errnoAccessor: "__errno_location" | "__error";
  /** `fcntl` command that only fails (with EBADF) when the fd is not open. */
  readonly F_GETFD: number;
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
  /** The directory that lists this process's open file descriptors by number. */
  readonly fdDirectory: string;
  /** Byte offset of `d_name` in `struct dirent`. */
  readonly direntNameOffset: number;
  /** The `readdir` symbol per architecture (macOS x86_64 keeps 64-bit inodes under another name). */
  readonly readdirSymbol: { readonly x86_64: string; readonly aarch64: string };
  /** Each option, or `null` where this OS has no equivalent. */
  readonly options: { readonly [K in OptionName]: OptionConstant | null };
  /** errno numbers by name. */
  readonly errno: { readonly [K in ErrnoName]: number };
}
