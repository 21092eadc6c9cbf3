/**
 * The errors sockopts throws. Bad arguments are plain `TypeError` / `RangeError`, thrown before
 * any system call; these classes cover what the system said, and what it cannot do.
 *
 * @module
 */

/**
 * The details a {@link SockoptError} carries besides its message.
 *
 * @example Reporting a failed call field by field
 * ```ts
 * import { SockoptError, type SockoptErrorDetails } from "jsr:@sockopts/sockopts";
 *
 * export function details(error: SockoptError): SockoptErrorDetails {
 *   const { code, errno, syscall, option, fd } = error;
 *   return { code, errno, syscall, option, fd }; // { code: "EBADF", errno: 9, syscall: "setsockopt", … }
 * }
 * ```
 */
export interface SockoptErrorDetails {
  /** The errno name, such as `"EBADF"`. */
  readonly code: string;
  /** The errno number on this OS. */
  readonly errno: number;
  /** The failing system call, or `null` where sockopts knew the answer without one. */
  readonly syscall: string | null;
  /** The option being read or set (canonical name), or `null`. */
  readonly option: string | null;
  /** The file descriptor the call was made on, or `null` when there was none. */
  readonly fd: number | null;
}

/**
 * A system call failed, or would fail, on the socket the caller named.
 *
 * @example Telling a closed socket from other failures
 * ```ts
 * import { SockoptError, setKeepAlive } from "jsr:@sockopts/sockopts";
 *
 * try {
 *   setKeepAlive(9999, { idle: 30_000 });
 * } catch (error) {
 *   if (error instanceof SockoptError && error.code === "EBADF") {
 *     console.log("the socket is already closed");
 *   }
 * }
 * ```
 */
export class SockoptError extends Error {
  /** The errno name, such as `"EBADF"`. */
  readonly code: string;
  /** The errno number on this OS. */
  readonly errno: number;
  /** The failing system call, or `null` where sockopts knew the answer without one. */
  readonly syscall: string | null;
  /** The option being read or set (canonical name), or `null`. */
  readonly option: string | null;
  /** The file descriptor the call was made on, or `null` when there was none. */
  readonly fd: number | null;

  /**
   * For sockopts' own use, not for applications (they catch this error, never build one): the
   * error thrown when a system call fails; `details` become its properties.
   *
   * @internal
   * @param message The whole message, such as `Cannot set TCP_KEEPCNT on fd 7: EINVAL (invalid argument)`.
   * @param details What failed.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, details: SockoptErrorDetails, options?: ErrorOptions) {
    super(message, options);
    this.name = "SockoptError";
    this.code = details.code;
    this.errno = details.errno;
    this.syscall = details.syscall;
    this.option = details.option;
    this.fd = details.fd;
  }
}

/**
 * The handle was closed before the call: its socket is gone, so nothing was touched.
 * `code` is `"EBADF"`, as it would be for a closed file descriptor.
 *
 * @example Ignoring sockets that closed meanwhile
 * ```ts
 * import { SocketClosedError, setKeepAlive, type SocketHandle } from "jsr:@sockopts/sockopts";
 *
 * export function configure(socket: SocketHandle): void {
 *   try {
 *     setKeepAlive(socket, { idle: 30_000 });
 *   } catch (error) {
 *     if (!(error instanceof SocketClosedError)) throw error;
 *   }
 * }
 * ```
 */
export class SocketClosedError extends SockoptError {
  /**
   * For sockopts' own use, not for applications (they catch this error, never build one): the
   * error thrown for a call through a handle whose socket has closed.
   *
   * @internal
   * @param message The whole message.
   * @param details What failed; `code` should be `"EBADF"`.
   */
  constructor(message: string, details: SockoptErrorDetails) {
    super(message, details);
    this.name = "SocketClosedError";
  }
}

/**
 * This OS, runtime or option is not supported: raised before any system call.
 *
 * @example Checking support up front instead
 * ```ts
 * import { isSupported, setUserTimeout, UnsupportedError } from "jsr:@sockopts/sockopts";
 *
 * export function bound(fd: number): void {
 *   if (!isSupported()) return;
 *   try {
 *     setUserTimeout(fd, 30_000);
 *   } catch (error) {
 *     if (!(error instanceof UnsupportedError)) throw error; // an OS without the option
 *   }
 * }
 * ```
 */
export class UnsupportedError extends Error {
  /** The OS (`Deno.build.os` spelling), or `"unknown"`. */
  readonly os: string;
  /** The option that is missing on this OS, or `null` when the whole OS or runtime is unsupported. */
  readonly option: string | null;

  /**
   * For sockopts' own use, not for applications (they catch this error, never build one): the
   * error thrown where the OS, the runtime or the option is unsupported.
   *
   * @internal
   * @param message The whole message, naming the OS or runtime.
   * @param os The OS.
   * @param option The option, if the OS lacks just that one.
   */
  constructor(message: string, os: string, option: string | null = null) {
    super(message);
    this.name = "UnsupportedError";
    this.os = os;
    this.option = option;
  }
}

/**
 * The runtime refused to load libc: in Deno, the program lacks `--allow-ffi`.
 *
 * @example Explaining the flag to the user
 * ```ts
 * import { PermissionError, getKeepAlive } from "jsr:@sockopts/sockopts";
 *
 * export function read(fd: number): void {
 *   try {
 *     console.log(getKeepAlive(fd));
 *   } catch (error) {
 *     if (error instanceof PermissionError) console.error(error.message); // names --allow-ffi
 *     else throw error;
 *   }
 * }
 * ```
 */
export class PermissionError extends Error {
  /**
   * For sockopts' own use, not for applications (they catch this error, never build one): the
   * error thrown when the runtime withholds FFI.
   *
   * @internal
   * @param message The whole message, naming the flag to add.
   * @param options Standard error options; `cause` holds the runtime's own error.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PermissionError";
  }
}

/**
 * A handle matched more than one socket (two SO_REUSEPORT listeners on one address, say), and
 * sockopts will not guess. `fds` lists them; `fdOf(handle, { all: true })` returns them too.
 *
 * @example Configuring every listener of a reuse-port server
 * ```ts
 * import { AmbiguousSocketError, fdOf, setKeepAlive, type SocketHandle } from "jsr:@sockopts/sockopts";
 *
 * export function configure(server: SocketHandle): void {
 *   try {
 *     setKeepAlive(server, { idle: 30_000 });
 *   } catch (error) {
 *     if (!(error instanceof AmbiguousSocketError)) throw error;
 *     for (const fd of fdOf(server, { all: true })) setKeepAlive(fd, { idle: 30_000 });
 *   }
 * }
 * ```
 */
export class AmbiguousSocketError extends Error {
  /** Every fd that matched. */
  readonly fds: readonly number[];

  /**
   * For sockopts' own use, not for applications (they catch this error, never build one): the
   * error thrown when a handle matches several sockets.
   *
   * @internal
   * @param message The whole message, naming the handle, its address and the fds.
   * @param fds Every fd that matched.
   */
  constructor(message: string, fds: readonly number[]) {
    super(message);
    this.name = "AmbiguousSocketError";
    this.fds = fds;
  }
}
