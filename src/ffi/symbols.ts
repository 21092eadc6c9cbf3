/**
 * The one table of C functions sockopts calls, written in Deno's FFI notation. The Bun adapter
 * translates it; the Deno adapter checks it with `satisfies Deno.ForeignLibraryInterface`.
 * {@link SYMBOLS} exists in every libc; {@link OS_SYMBOLS} adds what only one OS has, bound only
 * there, because a runtime refuses to open a library when any symbol it is asked for is missing
 * (glibc has no `sysctl`, and only macOS has `proc_pidinfo`).
 *
 * @module
 */

/** The libc functions sockopts binds, with each C parameter named beside its FFI type. */
export const SYMBOLS = {
  // int setsockopt(int sockfd, int level, int optname, const void *optval, socklen_t optlen);
  setsockopt: {
    parameters: [
      "i32", // int sockfd
      "i32", // int level
      "i32", // int optname
      "pointer", // const void *optval
      "u32", // socklen_t optlen
    ],
    result: "i32",
  },
  // int getsockopt(int sockfd, int level, int optname, void *optval, socklen_t *optlen);
  getsockopt: {
    parameters: [
      "i32", // int sockfd
      "i32", // int level
      "i32", // int optname
      "pointer", // void *optval
      "pointer", // socklen_t *optlen
    ],
    result: "i32",
  },
  // int getsockname(int sockfd, struct sockaddr *addr, socklen_t *addrlen);
  getsockname: {
    parameters: [
      "i32", // int sockfd
      "pointer", // struct sockaddr *addr
      "pointer", // socklen_t *addrlen
    ],
    result: "i32",
  },
  // int getpeername(int sockfd, struct sockaddr *addr, socklen_t *addrlen);
  getpeername: {
    parameters: [
      "i32", // int sockfd
      "pointer", // struct sockaddr *addr
      "pointer", // socklen_t *addrlen
    ],
    result: "i32",
  },
  // int fcntl(int fd, int cmd, ...); the variadic argument bound as an int. x86_64 and aarch64
  // Linux and FreeBSD pass a variadic int where a named one goes, so F_DUPFD_CLOEXEC reads it;
  // Apple's arm64 ABI passes variadics on the stack, so there only F_GETFD (which reads no
  // argument) is made, and dup() duplicates instead.
  fcntl: {
    parameters: [
      "i32", // int fd
      "i32", // int cmd
      "i32", // int arg (the variadic one)
    ],
    result: "i32",
  },
  // int dup(int oldfd); the duplicate where fcntl's variadic argument cannot be passed (Apple arm64).
  dup: {
    parameters: [
      "i32", // int oldfd
    ],
    result: "i32",
  },
  // DIR *opendir(const char *name);
  opendir: {
    parameters: [
      "pointer", // const char *name
    ],
    result: "pointer",
  },
  // struct dirent *readdir(DIR *dirp); macOS x86_64 binds readdir$INODE64, named by the platform.
  readdir: {
    parameters: [
      "pointer", // DIR *dirp
    ],
    result: "pointer",
  },
  // int closedir(DIR *dirp);
  closedir: {
    parameters: [
      "pointer", // DIR *dirp
    ],
    result: "i32",
  },
  // int socket(int domain, int type, int protocol); the NETLINK_SOCK_DIAG socket that lists TCP
  // sockets in one dump (Linux).
  socket: {
    parameters: [
      "i32", // int domain
      "i32", // int type
      "i32", // int protocol
    ],
    result: "i32",
  },
  // ssize_t send(int sockfd, const void *buf, size_t len, int flags);
  send: {
    parameters: [
      "i32", // int sockfd
      "pointer", // const void *buf
      "usize", // size_t len
      "i32", // int flags
    ],
    result: "isize",
  },
  // ssize_t recv(int sockfd, void *buf, size_t len, int flags);
  recv: {
    parameters: [
      "i32", // int sockfd
      "pointer", // void *buf
      "usize", // size_t len
      "i32", // int flags
    ],
    result: "isize",
  },
  // int close(int fd); only ever called on fds sockopts itself opened: netlink sockets, the one
  // that names the thread's network namespace, /proc directories, the duplicates it configures
  // other code's sockets through, and the command's pidfds and duplicates of another process's fds.
  close: {
    parameters: [
      "i32", // int fd
    ],
    result: "i32",
  },
  // int statx(int dirfd, const char *pathname, int flags, unsigned int mask, struct statx *statxbuf);
  // Linux only (glibc 2.28, musl 1.2.5): with AT_EMPTY_PATH and "" it stats the fd itself, and
  // struct statx has one layout on every architecture. Optional: missing, the listing falls back.
  statx: {
    parameters: [
      "i32", // int dirfd
      "pointer", // const char *pathname
      "i32", // int flags
      "u32", // unsigned int mask
      "pointer", // struct statx *statxbuf
    ],
    result: "i32",
    optional: true,
  },
  // int open(const char *pathname, int flags, ...); bound without the variadic mode, which
  // O_RDONLY does not take. Used on Linux only, to read /proc/self/fd (and the command's
  // /proc/PID/fd and /proc/PID/ns/net) with getdents64.
  open: {
    parameters: [
      "pointer", // const char *pathname
      "i32", // int flags
    ],
    result: "i32",
  },
  // ssize_t getdents64(int fd, void *dirp, size_t count); Linux only (glibc 2.30): a whole
  // directory in a few calls instead of one readdir per entry. Optional, like statx.
  getdents64: {
    parameters: [
      "i32", // int fd
      "pointer", // void *dirp
      "usize", // size_t count
    ],
    result: "isize",
    optional: true,
  },
  // unsigned int if_nametoindex(const char *ifname); (<net/if.h>) the interface a filter's zone
  // names (`fe80::1%eth0`). Optional: without it only numeric zones are accepted.
  if_nametoindex: {
    parameters: [
      "pointer", // const char *ifname
    ],
    result: "u32",
    optional: true,
  },
  // int *__errno_location(void) on Linux, int *__error(void) on macOS and FreeBSD; the
  // platform module names the real symbol.
  errno_location: {
    parameters: [],
    result: "pointer",
  },
} as const;

/** Symbols that exist on one OS only, in the same notation, bound only on that OS. */
export const OS_SYMBOLS = {
  linux: {
    // int dirfd(DIR *dirp); proves the listing complete: the stream's own fd must be in it.
    dirfd: {
      parameters: [
        "pointer", // DIR *dirp
      ],
      result: "i32",
    },
    // long syscall(long number, ...); pidfd_open and pidfd_getfd, which glibc wraps only from 2.36.
    // Bound with three longs after the number: x86_64 and arm64 pass variadic integers as named
    // ones, and the kernel reads each register as its own argument type.
    syscall: {
      parameters: [
        "isize", // long number
        "isize", // long a (pidfd_open: pid_t pid; pidfd_getfd: int pidfd)
        "isize", // long b (pidfd_open: unsigned int flags; pidfd_getfd: int targetfd)
        "isize", // long c (pidfd_getfd: unsigned int flags)
      ],
      result: "isize",
    },
    // int setns(int fd, int nstype); moves the calling thread into another process's network
    // namespace, for the sock_diag socket that lists its TCP sockets, and back.
    setns: {
      parameters: [
        "i32", // int fd
        "i32", // int nstype
      ],
      result: "i32",
    },
  },
  freebsd: {
    // int sysctl(const int *name, u_int namelen, void *oldp, size_t *oldlenp, const void *newp,
    //   size_t newlen); reads KERN_PROC_FILEDESC, the process's file table.
    sysctl: {
      parameters: [
        "pointer", // const int *name
        "u32", // u_int namelen
        "pointer", // void *oldp
        "pointer", // size_t *oldlenp
        "pointer", // const void *newp
        "usize", // size_t newlen
      ],
      result: "i32",
    },
    // pid_t getpid(void);
    getpid: { parameters: [], result: "i32" },
  },
  darwin: {
    // int proc_pidinfo(int pid, int flavor, uint64_t arg, void *buffer, int buffersize);
    // (libproc.h) reads PROC_PIDLISTFDS, the process's fd list.
    proc_pidinfo: {
      parameters: [
        "i32", // int pid
        "i32", // int flavor
        "u64", // uint64_t arg
        "pointer", // void *buffer
        "i32", // int buffersize
      ],
      result: "i32",
    },
    // pid_t getpid(void);
    getpid: { parameters: [], result: "i32" },
  },
} as const;

/** The OSes {@link OS_SYMBOLS} has extras for. */
export type SymbolOs = keyof typeof OS_SYMBOLS;

/**
 * Symbols whose C name depends on the platform, the name to bind each under, and the OS whose
 * {@link OS_SYMBOLS} to bind as well.
 */
export type SymbolNames = { readonly errno_location: string; readonly readdir: string; readonly os?: SymbolOs };

/** One symbol to bind: the key the core calls it by, its C name in the library, and its signature. */
export type BindEntry = readonly [key: string, cName: string, symbol: SymbolDefinition];

/** One library of a {@link BindPlan}: the first of `paths` that opens, with `symbols` bound from it. */
export interface LibraryPlan {
  /** What messages call it (`libc`, `ws2_32.dll`). */
  readonly name: string;
  /** Names or paths to try, in order. */
  readonly paths: readonly string[];
  readonly symbols: readonly BindEntry[];
  /**
   * The C runtime: where an adapter takes its memory helpers (`memmove` and `memcpy` under Deno,
   * `malloc` and `free` under Node). One library of a plan has it.
   */
  readonly crt?: boolean;
}

/**
 * What an OS backend asks a runtime adapter to bind: one or more libraries, whose symbols become
 * one table, and how the calling thread's last error is read.
 */
export interface BindPlan {
  readonly libraries: readonly LibraryPlan[];
  /**
   * The symbol (by key) behind the last error: an accessor returning the address of the thread's
   * `int` (errno: `__errno_location`, `__error`), read at that address after each failure, or a
   * function returning the error itself (Windows: `WSAGetLastError`).
   */
  readonly lastError: { readonly key: string; readonly via: "address" | "result" };
}

/**
 * The plan for a Unix OS: libc alone, from `paths`, with {@link SYMBOLS} and the OS's extras, and
 * errno read through its accessor.
 *
 * @param paths Where libc may be, in order.
 * @param names The platform-dependent C names and the OS whose extras to bind.
 * @returns The plan.
 */
export function libcPlan(paths: readonly string[], names: SymbolNames): BindPlan {
  return {
    libraries: [{ name: "libc", paths, symbols: symbolsToBind(names), crt: true }],
    lastError: { key: "errno_location", via: "address" },
  };
}

/** One symbol as the tables spell it. */
export interface SymbolDefinition {
  readonly parameters: readonly NativeType[];
  readonly result: NativeType;
  /** Bound as `null` where the library lacks it, instead of failing the whole load. */
  readonly optional?: boolean;
}

/**
 * Every symbol to bind for `names.os`: the common table and that OS's extras, each with the C
 * name to look up (which differs from the key for the renamed ones). Adapters translate this.
 */
export function symbolsToBind(names: SymbolNames): BindEntry[] {
  const extras: Record<string, SymbolDefinition> = names.os === undefined ? {} : OS_SYMBOLS[names.os];
  const all: Record<string, SymbolDefinition> = { ...SYMBOLS, ...extras };
  return Object.keys(all).map((key) => [
    key,
    key === "errno_location" ? names.errno_location : key === "readdir" ? names.readdir : key,
    all[key],
  ]);
}

/** An FFI type as the symbol table spells it: `usize` is C's size_t, `isize` its ssize_t. */
export type NativeType = "i32" | "u32" | "u64" | "pointer" | "usize" | "isize";

declare const pointerBrand: unique symbol;

/** An address in native memory: a number in Bun, a pointer object (or null) in Deno. */
export type Pointer = { readonly [pointerBrand]: true };

// 64-bit values come back as a number, or a bigint where the runtime chose one: Number() them.
type JsValue<T> = T extends "pointer" ? Pointer : T extends "u64" | "usize" | "isize" ? number | bigint : number;
type JsParameters<P extends readonly NativeType[]> = { -readonly [I in keyof P]: JsValue<P[I]> };

type Bound<T extends SymbolDefinition> = (...args: JsParameters<T["parameters"]>) => JsValue<T["result"]>;

type Extras = { [O in SymbolOs]: (typeof OS_SYMBOLS)[O] }[SymbolOs];
type ExtraName = { [O in SymbolOs]: keyof (typeof OS_SYMBOLS)[O] }[SymbolOs];
type ExtraOf<K extends ExtraName> = Extract<Extras, { readonly [P in K]: unknown }>[K];

/**
 * The bound functions, typed from {@link SYMBOLS}: an `optional` symbol the library lacks is
 * `null`; the {@link OS_SYMBOLS} extras are present only on their OS.
 */
export type Symbols =
  & {
    readonly [K in keyof typeof SYMBOLS]: (typeof SYMBOLS)[K] extends { optional: true }
      ? Bound<(typeof SYMBOLS)[K]> | null
      : Bound<(typeof SYMBOLS)[K]>;
  }
  & { readonly [K in ExtraName]?: ExtraOf<K> extends infer T extends SymbolDefinition ? Bound<T> : never };
