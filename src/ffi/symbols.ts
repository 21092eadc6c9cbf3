/**
 * The one table of C functions sockopts calls, written in Deno's FFI notation. The Bun adapter
 * translates it; the Deno adapter checks it with `satisfies Deno.ForeignLibraryInterface`.
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
  // int fcntl(int fd, int cmd, ...); bound without the variadic argument, which F_GETFD does
  // not take, so the call is correct on ABIs that pass variadics differently (Apple arm64).
  fcntl: {
    parameters: [
      "i32", // int fd
      "i32", // int cmd
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
  // int *__errno_location(void) on Linux, int *__error(void) on macOS and FreeBSD; the
  // platform module names the real symbol.
  errno_location: {
    parameters: [],
    result: "pointer",
  },
} as const;

/** Symbols whose C name depends on the platform, and the name to bind each under. */
export type SymbolNames = { readonly errno_location: string; readonly readdir: string };

/** An FFI type as the symbol table spells it. */
export type NativeType = "i32" | "u32" | "pointer";

declare const pointerBrand: unique symbol;

/** An address in native memory: a number in Bun, a pointer object (or null) in Deno. */
export type Pointer = { readonly [pointerBrand]: true };

type JsValue<T> = T extends "pointer" ? Pointer : number;
type JsParameters<P extends readonly NativeType[]> = { -readonly [I in keyof P]: JsValue<P[I]> };

/** The bound functions, typed from {@link SYMBOLS}. */
export type Symbols = {
  readonly [K in keyof typeof SYMBOLS]: (
    ...args: JsParameters<(typeof SYMBOLS)[K]["parameters"]>
  ) => JsValue<(typeof SYMBOLS)[K]["result"]>;
};
