/**
 * The system library (libc, or Windows's DLLs: whatever the OS backend's plan names) opened once,
 * on first use, with every buffer allocated then, and the errno of a failed call checked against
 * the kernel before anything reports it; libc.ts makes the calls.
 *
 * @module
 */
import type { OptionCalls } from "../../platforms/backend.ts";
import type { ErrnoName, OptionConstant, PlatformConstants, UnixConstants } from "../../platforms/types.ts";
import { type ErrnoNames, errnoNames } from "./errno.ts";
import { type Library, nativeBytes } from "../ffi/adapter.ts";
import { publicCall } from "../ffi/caller.ts";
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
  /** fcntl's variadic argument can be passed (not Apple arm64): F_DUPFD_CLOEXEC, else dup(). */
  readonly variadicArgument: boolean;
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
  const arch = runtime.arch === "aarch64" ? "aarch64" : "x86_64";
  const lib = runtime.open(backend.library(runtime.arch), publicCall(call));
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
    isOpen: ask === undefined ? (fd) => fn.fcntl(fd, F_GETFD, 0) !== -1 : (fd) => ask(sys, fd),
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
    variadicArgument: !(platform.os === "darwin" && arch === "aarch64"),
  };
}

/**
 * libc, opened on first use so that importing sockopts needs no permission.
 * @param call The C function about to be called; a loading failure names the application's call
 *   to sockopts instead where the stack shows it (`setKeepAlive`, not `statx`).
 * @throws {UnsupportedError} on an OS or runtime sockopts cannot drive.
 * @throws {PermissionError} in Deno without `--allow-ffi`.
 */
export function getNative(call: string): Native {
  if (native !== undefined) return native;
  if (lent !== undefined) {
    throw new Error(
      `Cannot use sockopts inside its debug listener (this call needed ${call}): the call the event ` +
        "reports is still running and its native buffers are in use; keep the event and act on it " +
        "once that call has returned",
    );
  }
  return native = load(call);
}

/** Forgets the loaded library, so the next call loads it for the current host (tests swap hosts). */
export function dropNative(): void {
  native = undefined;
  valueArea = undefined;
}

// The library and value area, put away while a debug listener runs (undefined otherwise).
let lent: { native: Native | undefined; valueArea: Uint8Array | undefined } | undefined;

/**
 * Runs `listener` (the debug view's) with the library put away: every path to libc's buffers
 * reads `native ?? getNative(…)` or calls {@link getNative}, which then throws, so a sockopts
 * call made by the listener is refused before it touches a buffer the reported call is still
 * using (a value it has yet to read back, the sock_diag dump it is walking).
 * @param listener Called at once, synchronously.
 */
export function withoutNative(listener: () => void): void {
  if (lent !== undefined) return listener();
  lent = { native, valueArea };
  native = undefined;
  valueArea = undefined;
  try {
    listener();
  } finally {
    native = lent.native;
    valueArea = lent.valueArea;
    lent = undefined;
  }
}

let valueArea: Uint8Array | undefined;

/**
 * The native value area ({@link VALUE_CAPACITY} bytes) that libc.ts's `setBytes` sends and
 * `getBytes` fills, for values other than a 4-byte int.
 */
export function valueBytes(call: "setsockopt" | "getsockopt"): Uint8Array {
  return valueArea ??= (native ?? getNative(call)).bytes.subarray(VALUE);
}
