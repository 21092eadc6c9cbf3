/**
 * The escape hatch: setsockopt and getsockopt with any level and optname, and the value as bytes.
 * Nothing is checked but the arguments' shapes, so the caller owns the meaning of every byte.
 *
 * @module
 */
import type { ErrnoName, OptionConstant } from "../../platforms/types.ts";
import { resolveFd, type SocketHandle } from "../handles/resolve.ts";
import { getBytes, setBytes } from "../sys/libc.ts";
import { VALUE_CAPACITY, valueBytes } from "../sys/native.ts";
import { currentHost } from "../sys/host.ts";
import { describeValue } from "../values.ts";

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

function checkInt(action: string, what: string, value: unknown): number {
  if (typeof value !== "number") {
    throw new TypeError(`${action}: expected an integer ${what}, got ${describeValue(value)}`);
  }
  if (!Number.isInteger(value) || value < INT_MIN || value > INT_MAX) {
    throw new RangeError(`${action}: ${what} ${value} is not a C int (${INT_MIN}..${INT_MAX})`);
  }
  return value | 0; // -0 becomes 0, as both runtimes' FFI must see it
}

// The built-in typed-array accessors read the array's internal slots: a subclass or a Proxy
// cannot make them report one length when checked and another when copied.
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
const typedArrayTag = Object.getOwnPropertyDescriptor(TypedArrayPrototype, Symbol.toStringTag)!.get!;

const byteLengthOf = Object.getOwnPropertyDescriptor(TypedArrayPrototype, "byteLength")!.get!;

/** A copy of the caller's bytes, taken once: its length is the optlen passed. */
function snapshot(action: string, bytes: unknown): Uint8Array {
  if (typedArrayTag.call(bytes) !== "Uint8Array") {
    throw new TypeError(`${action}: expected a Uint8Array of the value's bytes, got ${describeValue(bytes)}`);
  }
  const length = byteLengthOf.call(bytes) as number;
  if (length > VALUE_CAPACITY) throw new RangeError(`${action}: ${length} bytes is more than ${VALUE_CAPACITY}`);
  const copy = new Uint8Array(length);
  copy.set(bytes as Uint8Array); // set() copies the source's own elements, whatever `length` says
  return copy;
}

// Any errno may be this option's own, so every one outside the usual set is accepted once two
// calls agree on it (see verifiedErrno in native.ts).
function rawConstant(level: number, optname: number): OptionConstant {
  const name = `option ${optname} at level ${level}`;
  const errnos = Object.keys(currentHost().platform.errno) as ErrnoName[];
  return { native: name, level, optname, unit: "struct", min: 0, max: VALUE_CAPACITY, errnos };
}

/**
 * **Unchecked.** Calls getsockopt with any level and optname, offering the kernel `byteLength`
 * bytes, and returns the bytes it wrote. sockopts does not know what they mean: decode them
 * yourself (little-endian ints on every supported machine). Prefer `getOption` for the
 * options in the table.
 *
 * @param socket A socket handle ({@link SocketHandle}): a file descriptor, or a Deno, Bun or `node:net` socket, listener or server.
 * @param level The C `level` (for example 6 for IPPROTO_TCP).
 * @param optname The C `optname`, this OS's number.
 * @param byteLength Room to offer the kernel, 0..768 bytes.
 * @returns A copy of the bytes the kernel wrote, as many as the optlen it returned.
 * @throws {TypeError} or {RangeError} for arguments of the wrong shape.
 * @throws {SockoptError} when the kernel refuses.
 *
 * @example Reading Linux's TCP_CONGESTION (13) as bytes
 * ```ts
 * import { getsockoptRaw } from "jsr:@sockopts/sockopts";
 *
 * export function congestion(fd: number): string {
 *   const bytes = getsockoptRaw(fd, 6, 13, 16);
 *   return new TextDecoder().decode(bytes).replace(/\0.*$/s, "");
 * }
 * ```
 */
export function getsockoptRaw(socket: SocketHandle, level: number, optname: number, byteLength: number): Uint8Array {
  const action = "Cannot get a raw option";
  level = checkInt(action, "level", level);
  optname = checkInt(action, "optname", optname);
  if (typeof byteLength !== "number") {
    throw new TypeError(`${action}: expected a byteLength, got ${describeValue(byteLength)}`);
  }
  if (!Number.isInteger(byteLength) || byteLength < 0 || byteLength > VALUE_CAPACITY) {
    throw new RangeError(`${action}: byteLength ${byteLength} is outside 0..${VALUE_CAPACITY}`);
  }
  const fd = resolveFd(socket, action);
  const constant = rawConstant(level, optname);
  const length = getBytes(fd, constant.native, constant, byteLength);
  return valueBytes("getsockopt").slice(0, Math.min(length, byteLength));
}

/**
 * **Unchecked.** Calls setsockopt with any level, optname and value bytes. Nothing about the value
 * is checked: a wrong size or meaning goes straight to the kernel. Prefer `setOption` for
 * the options in the table.
 *
 * @param socket A socket handle ({@link SocketHandle}): a file descriptor, or a Deno, Bun or `node:net` socket, listener or server.
 * @param level The C `level` (for example 6 for IPPROTO_TCP).
 * @param optname The C `optname`, this OS's number.
 * @param bytes The value, at most 768 bytes (an int is 4 little-endian bytes).
 * @returns Nothing: the kernel accepted the bytes ({@link getsockoptRaw} reads them back).
 * @throws {TypeError} or {RangeError} for arguments of the wrong shape.
 * @throws {SockoptError} when the kernel refuses.
 *
 * @example Setting Linux's TCP_NODELAY (1) from bytes
 * ```ts
 * import { setsockoptRaw } from "jsr:@sockopts/sockopts";
 *
 * export function noDelay(fd: number): void {
 *   setsockoptRaw(fd, 6, 1, new Uint8Array(new Int32Array([1]).buffer));
 * }
 * ```
 */
export function setsockoptRaw(socket: SocketHandle, level: number, optname: number, bytes: Uint8Array): void {
  const action = "Cannot set a raw option";
  level = checkInt(action, "level", level);
  optname = checkInt(action, "optname", optname);
  const value = snapshot(action, bytes);
  const fd = resolveFd(socket, action);
  const constant = rawConstant(level, optname);
  valueBytes("setsockopt").set(value);
  setBytes(fd, constant.native, constant, value.length);
}
