/**
 * The system library (libc, or Windows's DLLs: whatever the OS backend's plan names) opened once,
 * on first use, with every buffer allocated then, and the errno of a failed call checked against
 * the kernel before anything reports it; libc.ts makes the calls.
 *
 * @module
 */
import type { OptionCalls } from "../../platforms/backend.ts";
import type { ErrnoName, OptionConstant, PlatformConstants, UnixConstants } from "../../platforms/types.ts";
import { type ErrnoNames, errnoNames } from "../errno.ts";
import { type Library, nativeBytes } from "../ffi/adapter.ts";
import type { Pointer, Symbols } from "../ffi/symbols.ts";
import { currentHost } from "./host.ts";

// One block of native memory for every call. Byte offsets:
/** socklen_t for the value. */
export const LEN = 0;
/** socklen_t for the checks. */
export const CHECK_LEN = 4;
/** int for the checks. */
export const CHECK = 8;
/** socklen_t for the address. */
export const ADDR_LEN = 12;
/** struct sockaddr_storage (128 bytes). */
export const ADDR = 16;
/** u64 socket cookie (Linux). */
export const COOKIE = 144;
/** socklen_t for the cookie. */
export const COOKIE_LEN = 152;
/** The option's value. */
export const VALUE = 256;
const BLOCK = 1024;

/** Bytes available for one option value. */
export const VALUE_CAPACITY: number = BLOCK - VALUE;

// errnos setsockopt/getsockopt can return on a socket that is open and is a socket; EBADF and
// ENOTSOCK are left out on purpose: those two are decided by asking the kernel, not errno.
const PLAUSIBLE: readonly ErrnoName[] = [
  "EINVAL",
  "ENOPROTOOPT",
  "EOPNOTSUPP",
  "EPERM",
  "EACCES",
  "ENOMEM",
  "ENOBUFS",
  "EFAULT",
  "EDOM",
  "EISCONN",
  "ENOTCONN",
  "ECONNRESET",
  "EBUSY",
];

// How often an idempotent call is repeated when errno names something it cannot return.
const RETRIES = 3;

/** libc, bound, with its buffers. */
export interface Native {
  readonly platform: PlatformConstants;
  readonly lib: Library;
  readonly fn: Symbols;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly valuePtr: Pointer;
  readonly lenPtr: Pointer;
  readonly checkPtr: Pointer;
  readonly checkLenPtr: Pointer;
  readonly addrPtr: Pointer;
  readonly addrLenPtr: Pointer;
  readonly cookiePtr: Pointer;
  readonly cookieLenPtr: Pointer;
  readonly names: ErrnoNames;
  readonly plausible: ReadonlySet<number>;
  /** Whether `fd` is open: fcntl(F_GETFD), or the backend's own question (Windows). */
  readonly isOpen: (fd: number) => boolean;
  /** Options the backend sets and reads itself (platforms/backend.ts OptionCalls); null on most OSes. */
  readonly calls: ReadonlyMap<OptionConstant, OptionCalls> | null;
}

/**
 * The loaded library, or undefined before the first call: read it as `native ?? getNative(call)`,
 * which skips a function call on every later syscall.
 */
export let native: Native | undefined;

function load(call: string): Native {
  const { runtime, platform, backend } = currentHost();
  const lib = runtime.open(backend.library(runtime.arch), call);
  const bytes = nativeBytes(lib, BLOCK);
  const at = (offset: number) => lib.pointerOf(bytes.subarray(offset));
  const fn = lib.symbols;
  const sys = { platform, lib, fn };
  // F_GETFD fails for one reason only: fd is not open.
  const F_GETFD = (platform as UnixConstants).F_GETFD;
  const ask = backend.isOpen;
  return {
    platform,
    lib,
    fn,
    isOpen: ask === undefined ? (fd) => fn.fcntl(fd, F_GETFD) !== -1 : (fd) => ask(sys, fd),
    calls: backend.optionCalls?.(sys) ?? null,
    bytes,
    view: new DataView(bytes.buffer),
    valuePtr: at(VALUE),
    lenPtr: at(LEN),
    checkPtr: at(CHECK),
    checkLenPtr: at(CHECK_LEN),
    addrPtr: at(ADDR),
    addrLenPtr: at(ADDR_LEN),
    cookiePtr: at(COOKIE),
    cookieLenPtr: at(COOKIE_LEN),
    names: errnoNames(platform),
    plausible: new Set(PLAUSIBLE.map((name) => platform.errno[name])),
  };
}

/**
 * libc, opened on first use so that importing sockopts needs no permission.
 * @param call The C function about to be called, which a loading failure names.
 * @throws {UnsupportedError} on an OS or runtime sockopts cannot drive.
 * @throws {PermissionError} in Deno without `--allow-ffi`.
 */
export function getNative(call: string): Native {
  return native ??= load(call);
}

/** Forgets the loaded library, so the next call loads it for the current host (tests swap hosts). */
export function dropNative(): void {
  native = undefined;
  valueArea = undefined;
}

let valueArea: Uint8Array | undefined;

/**
 * The native value area ({@link VALUE_CAPACITY} bytes) that libc.ts's `setBytes` sends and
 * `getBytes` fills, for values other than a 4-byte int.
 */
export function valueBytes(call: "setsockopt" | "getsockopt"): Uint8Array {
  return valueArea ??= (native ?? getNative(call)).bytes.subarray(VALUE);
}

/** Whether `fd` is open. */
export function isOpen(n: Native, fd: number): boolean {
  return n.isOpen(fd);
}

/** SO_TYPE of `fd`, or -1 when getsockopt fails. */
export function readType(n: Native, fd: number): number {
  n.view.setUint32(CHECK_LEN, 4, true);
  const ok = n.fn.getsockopt(fd, n.platform.SOL_SOCKET, n.platform.options.SO_TYPE!.optname, n.checkPtr, n.checkLenPtr);
  return ok === 0 ? n.view.getInt32(CHECK, true) : -1;
}

/** Whether the open `fd` is a socket. */
export function isSocket(n: Native, fd: number): boolean {
  // On an open fd, SO_TYPE fails for one reason only: it is not a socket.
  return readType(n, fd) !== -1;
}

/**
 * The errno of a failed call, made true: errno read through FFI can be overwritten by runtime
 * work between the call and the read, so EBADF and ENOTSOCK are derived from the kernel, and any
 * other code must be one the call can return, or the call is repeated. An errno only this option
 * returns (`extra`, such as ENOENT for TCP_CONGESTION) is also what a stray errno most often
 * reads as, so it counts once two calls in a row report it.
 * Returns 0 when a repeat succeeded.
 */
export function verifiedErrno(
  n: Native,
  fd: number,
  errno: number,
  retry: () => number,
  source: () => number,
  extra?: ReadonlySet<number>,
): number {
  const { EBADF, ENOTSOCK } = n.platform.errno;
  let previous = -1;
  for (let attempt = 0;; attempt++) {
    if (!isOpen(n, fd)) return EBADF;
    if (!isSocket(n, fd)) return ENOTSOCK;
    if (n.plausible.has(errno) || attempt === RETRIES) return errno;
    if (extra !== undefined && extra.has(errno) && errno === previous) return errno;
    previous = errno;
    if (retry() === 0) return 0;
    errno = source();
  }
}

/**
 * {@link verifiedErrno} with the errno read from `source` instead of libc, so tests can hand it
 * an errno that lies; the kernel checks (fcntl, SO_TYPE) are real.
 * @param fd The fd the failed call was made on.
 * @param reported The errno the failed call reported.
 * @param retry Repeats the call: 0 on success, -1 on failure.
 * @param source Reads the errno after a failed repeat.
 * @param extra Names of errnos only this option returns (TCP_CONGESTION's ENOENT).
 * @returns The errno to report, or 0 when a repeat succeeded.
 */
export function verifyErrno(
  fd: number,
  reported: number,
  retry: () => number,
  source: () => number,
  extra: readonly ErrnoName[] = [],
): number {
  const n = native ?? getNative("getsockopt");
  return verifiedErrno(n, fd, reported, retry, source, new Set(extra.map((name) => n.platform.errno[name])));
}
