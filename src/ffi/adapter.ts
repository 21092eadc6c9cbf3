/**
 * What a runtime adapter gives the core: a way to bind {@link SYMBOLS} and to point at memory.
 *
 * @module
 */
import type { BindPlan, Pointer, Symbols } from "./symbols.ts";

/** The system library (libc, or Windows's DLLs), bound by one runtime. */
export interface Library {
  /** The files that were opened, such as `libc.so.6` (comma-separated where a plan has several). */
  readonly path: string;
  /** The bound functions. */
  readonly symbols: Symbols;
  /**
   * Native memory for buffers passed by address, where the runtime's own buffers may move
   * (Node). Absent where a JavaScript-owned `Uint8Array` has a stable address (Deno, Bun).
   */
  allocate?(size: number): Uint8Array;
  /** The address of a byte view's first byte; the view must stay alive as long as the pointer. */
  pointerOf(view: Uint8Array): Pointer;
  /**
   * The calling thread's last error: errno, read straight from the address the accessor returned
   * at bind time, or what the plan's last-error function returns (Windows: `WSAGetLastError()`).
   */
  errno(): number;
  /** Whether a pointer a C function returned is NULL. */
  isNull(pointer: Pointer): boolean;
  /** The NUL-terminated string at `pointer + offset`. */
  cString(pointer: Pointer, offset: number): string;
  /** Copies `into.length` bytes from `pointer + offset` into `into`, without allocating. */
  copyInto(pointer: Pointer, offset: number, into: Uint8Array): void;
}

/** One JavaScript runtime's FFI. */
export interface RuntimeAdapter {
  /** `"deno"`, `"bun"` or `"node"`. */
  readonly name: "deno" | "bun" | "node";
  /** The runtime's version, for messages. */
  readonly version: string;
  /** The OS as `Deno.build.os` spells it (`linux`, `darwin`, `freebsd`, `windows`, …). */
  readonly os: string;
  /** `x86_64` or `aarch64` (whatever the runtime reports, normalised to those names). */
  readonly arch: string;
  /**
   * Binds every library of `plan` (each from the first of its paths that opens) into one table,
   * with the last error read as the plan says. `call` names the C function the caller is about
   * to make (`setsockopt`, `getsockopt`, …), for the message when a library does not open; that
   * message names the library, every path tried and why it failed.
   * @throws {PermissionError} where the runtime withholds FFI (Deno without `--allow-ffi`).
   */
  open(plan: BindPlan, call: string): Library;
}

/**
 * The OS as sockopts names it from `process.platform`: the same as `Deno.build.os`, so
 * `win32` is `windows`.
 * @param platform `process.platform`.
 * @returns The OS name.
 */
export function osName(platform: string): string {
  return platform === "win32" ? "windows" : platform;
}

/**
 * Zeroed bytes whose address can be handed to C for as long as the view is alive: native memory
 * where the runtime's own buffers may move (Node's `allocate`), otherwise a typed array over its
 * own ArrayBuffer (Bun moves a small typed array's bytes the first time its `.buffer` is read,
 * which would leave a pointer taken before that dangling).
 * @param lib The bound library.
 * @param size How many bytes.
 * @returns The bytes; pass them to `lib.pointerOf` (or a subarray of them).
 */
export function nativeBytes(lib: Library, size: number): Uint8Array {
  return lib.allocate?.(size) ?? new Uint8Array(new ArrayBuffer(size));
}
