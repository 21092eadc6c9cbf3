/**
 * `sockopts/net-keepalive`: net-keepalive 4's API, function for function, for a one-line
 * migration: the same six functions, `true` from every setter, the same `AssertionError`s
 * (`code: "ERR_ASSERTION"`) with the same messages in the same order, a refused call as Node's
 * errno `Error` (`setsockopt EINVAL`, with `code`, `errno` and `syscall`), milliseconds truncated
 * to whole seconds and counts to integers (`~~`), and setters that return `false` and getters `0`
 * without a system call on Windows. What differs is underneath: the socket is found the way every
 * sockopts call finds it (the runtime's own handle, never a number a replaced `_handle` reports),
 * and the calls go through the runtime's own FFI instead of a native module.
 *
 * @example The migration: only the require line changes
 * ```ts
 * import net from "node:net";
 * import NetKeepAlive from "jsr:@sockopts/sockopts/net-keepalive"; // was: from "net-keepalive"
 *
 * export function probeFast(socket: net.Socket): boolean {
 *   socket.setKeepAlive(true, 1000);
 *   return NetKeepAlive.setKeepAliveInterval(socket, 1000) && NetKeepAlive.setKeepAliveProbes(socket, 3);
 * }
 * ```
 *
 * @module
 */
import type { Socket } from "node:net";
import { hostOption } from "../options/core_options.ts";
import { SocketClosedError, SockoptError } from "../errors.ts";
import { resolveFd } from "../handles/resolve.ts";
import { targetOf } from "../handles/recognise.ts";
import { getInt, setInt } from "../sys/libc.ts";
import type { CoreOptionName } from "../../platforms/types.ts";

/**
 * What net-keepalive's functions take: a `net.Socket` (its declarations' own spelling).
 *
 * @example Typing a helper as net-keepalive's declarations did
 * ```ts
 * import { type NodeJSSocketWithFileDescriptor, setKeepAliveProbes } from "jsr:@sockopts/sockopts/net-keepalive";
 *
 * export const three = (s: NodeJSSocketWithFileDescriptor): boolean => setKeepAliveProbes(s, 3);
 * ```
 */
export type NodeJSSocketWithFileDescriptor = Socket | { _handle: { _fd: number } };

interface Assert {
  (value: unknown, message: string): void;
  strictEqual(actual: unknown, expected: unknown, message: string): void;
}

interface Builtins {
  readonly assert: Assert;
  readonly Socket: abstract new (...args: never[]) => object;
  readonly errnoException?: (errno: number, syscall: string) => Error;
  readonly errorName?: (errno: number) => string;
}

type Process = { platform?: string; getBuiltinModule?: (id: string) => unknown };
const process = (globalThis as { process?: Process }).process;
// Read once, as net-keepalive reads os.platform() when it loads.
const PLATFORM: string | undefined = process?.platform;
const WIN32 = PLATFORM === "win32";
const FD_MAX = 2147483647;

let builtins: Builtins | undefined;

/** node:assert, node:net's Socket and node:util's errno helpers of the runtime, on first use. */
function node(): Builtins {
  if (builtins !== undefined) return builtins;
  const load = (id: string) => process!.getBuiltinModule!(id) as Record<string, unknown>;
  const util = load("node:util") as { _errnoException?: unknown; getSystemErrorName?: unknown };
  return builtins = {
    assert: load("node:assert") as unknown as Assert,
    Socket: load("node:net").Socket as Builtins["Socket"],
    errnoException: typeof util._errnoException === "function"
      ? util._errnoException as Builtins["errnoException"]
      : undefined,
    errorName: typeof util.getSystemErrorName === "function"
      ? util.getSystemErrorName as Builtins["errorName"]
      : undefined,
  };
}

/** The error net-keepalive throws for a refused call: Node's own, from util._errnoException. */
function errnoException(errno: number, code: string, syscall: string): Error {
  const { errnoException, errorName } = node();
  if (errnoException !== undefined) return errnoException(-errno, syscall);
  // Where node:util lacks it (Deno), the same fields in the same order.
  const name = errorName?.(-errno) ?? code;
  return Object.assign(new Error(`${syscall} ${name}`), { errno: -errno, code: name, syscall });
}

function isSocket(socket: unknown): boolean {
  return socket instanceof node().Socket;
}

/** The fd to use, or net-keepalive's own failure for a socket without one. */
function socketFd(socket: object, syscall: string): number {
  const target = targetOf(socket);
  switch (target.kind) {
    case "fd":
      // net-keepalive asserts `fd && fd !== -1`: fd 0 fails it too.
      if (target.fd === 0) unableToGetFd();
      return target.fd;
    case "not-ready":
      // An autoSelectFamily attempt's own fd: net-keepalive set options on it, and so does this.
      if (target.fd !== undefined && target.fd !== 0) return target.fd;
      return unableToGetFd();
    case "closed":
      return unableToGetFd();
    case "not-tcp":
      // The runtime's own fd: the kernel refuses TCP options on it, as it did for net-keepalive.
      if (target.fd !== undefined) return target.fd;
      break;
    case "no-fd": {
      const fd = target.fd;
      if (fd === undefined || !fd || fd === -1) unableToGetFd();
      // A number no fd can have: the kernel's answer is EBADF, and nothing else is touched.
      if (!Number.isInteger(fd) || fd < 0 || fd > FD_MAX) throw errnoException(badFd(), "EBADF", syscall);
      break; // a plausible number from a replaced _handle is never used: the library says why
    }
  }
  try {
    return resolveFd(socket, `Cannot call ${syscall}`);
  } catch (error) {
    if (error instanceof SocketClosedError) unableToGetFd();
    throw error;
  }
}

function unableToGetFd(): never {
  node().assert(false, "Unable to get socket fd");
  throw new Error("unreachable");
}

function badFd(): number {
  // EBADF is 9 on every system net-keepalive runs FFI on (Linux, macOS, FreeBSD).
  return 9;
}

function set(socket: object, option: CoreOptionName, value: number): boolean {
  if (WIN32) return false;
  const fd = socketFd(socket, "setsockopt");
  try {
    setInt(fd, option, hostOption(option), value);
  } catch (error) {
    if (error instanceof SockoptError && error.syscall !== null) {
      throw errnoException(error.errno, error.code, "setsockopt");
    }
    throw error;
  }
  return true;
}

function get(socket: object, option: CoreOptionName): number {
  if (WIN32) return 0;
  const fd = socketFd(socket, "getsockopt");
  try {
    return getInt(fd, option, hostOption(option));
  } catch (error) {
    if (error instanceof SockoptError && error.syscall !== null) {
      throw errnoException(error.errno, error.code, "getsockopt");
    }
    throw error;
  }
}

function checkNumber(value: unknown, message: string): void {
  node().assert.strictEqual(value != null ? (value as { constructor?: unknown }).constructor : void 0, Number, message);
}

function checkSocket(socket: unknown, name: string): void {
  node().assert(isSocket(socket), `${name} expects an instance of socket as its first argument`);
}

/**
 * Sets TCP_KEEPINTVL: `~~(msecs / 1000)` seconds between unanswered probes, as net-keepalive does
 * (1500 → 1 s; 999 → 0 s, which Linux refuses with EINVAL).
 *
 * @param socket A connected `net.Socket`.
 * @param msecs The interval in ms.
 * @returns `true`; `false` on Windows, where nothing is called.
 * @throws {AssertionError} for a wrong argument count, a non-socket, a non-number, or a socket without an fd.
 * @throws {Error} `setsockopt <CODE>` with `code`, `errno` and `syscall` when the kernel refuses.
 *
 * @example Probing every second
 * ```ts
 * import { setKeepAliveInterval } from "jsr:@sockopts/sockopts/net-keepalive";
 * import type { Socket } from "node:net";
 *
 * export const fast = (s: Socket): boolean => setKeepAliveInterval(s, 1000);
 * ```
 */
export function setKeepAliveInterval(socket: NodeJSSocketWithFileDescriptor, msecs: number): boolean {
  node().assert.strictEqual(arguments.length, 2, "setKeepAliveInterval requires two arguments");
  checkSocket(socket, "setKeepAliveInterval");
  checkNumber(msecs, "setKeepAliveInterval requires msec to be a Number");
  return set(socket, "TCP_KEEPINTVL", ~~(msecs / 1000));
}

/**
 * Reads TCP_KEEPINTVL, in ms.
 *
 * @param socket A connected `net.Socket`.
 * @returns The interval in ms (`0` on Windows).
 * @throws {AssertionError} for a wrong argument count, a non-socket, or a socket without an fd.
 * @throws {Error} `getsockopt <CODE>` when the kernel refuses.
 *
 * @example Reading the interval back
 * ```ts
 * import { getKeepAliveInterval } from "jsr:@sockopts/sockopts/net-keepalive";
 * import type { Socket } from "node:net";
 *
 * export const interval = (s: Socket): number => getKeepAliveInterval(s);
 * ```
 */
export function getKeepAliveInterval(socket: NodeJSSocketWithFileDescriptor): number {
  node().assert.strictEqual(arguments.length, 1, "getKeepAliveInterval requires one arguments");
  checkSocket(socket, "getKeepAliveInterval");
  return get(socket, "TCP_KEEPINTVL") * 1000;
}

/**
 * Sets TCP_KEEPCNT to `~~cnt` probes, as net-keepalive does (1.5 → 1).
 *
 * @param socket A connected `net.Socket`.
 * @param cnt The number of probes.
 * @returns `true`; `false` on Windows, where nothing is called.
 * @throws {AssertionError} for a wrong argument count, a non-socket, a non-number, or a socket without an fd.
 * @throws {Error} `setsockopt <CODE>` when the kernel refuses.
 *
 * @example Giving up after three probes
 * ```ts
 * import { setKeepAliveProbes } from "jsr:@sockopts/sockopts/net-keepalive";
 * import type { Socket } from "node:net";
 *
 * export const three = (s: Socket): boolean => setKeepAliveProbes(s, 3);
 * ```
 */
export function setKeepAliveProbes(socket: NodeJSSocketWithFileDescriptor, cnt: number): boolean {
  node().assert.strictEqual(arguments.length, 2, "setKeepAliveProbes requires two arguments");
  checkSocket(socket, "setKeepAliveProbes");
  checkNumber(cnt, "setKeepAliveProbes requires cnt to be a Number");
  return set(socket, "TCP_KEEPCNT", ~~cnt);
}

/**
 * Reads TCP_KEEPCNT.
 *
 * @param socket A connected `net.Socket`.
 * @returns The number of probes (`0` on Windows).
 * @throws {AssertionError} for a wrong argument count, a non-socket, or a socket without an fd.
 * @throws {Error} `getsockopt <CODE>` when the kernel refuses.
 *
 * @example Reading the probe count
 * ```ts
 * import { getKeepAliveProbes } from "jsr:@sockopts/sockopts/net-keepalive";
 * import type { Socket } from "node:net";
 *
 * export const probes = (s: Socket): number => getKeepAliveProbes(s);
 * ```
 */
export function getKeepAliveProbes(socket: NodeJSSocketWithFileDescriptor): number {
  node().assert.strictEqual(arguments.length, 1, "getKeepAliveProbes requires one arguments");
  checkSocket(socket, "getKeepAliveProbes");
  return get(socket, "TCP_KEEPCNT");
}

// net-keepalive has no user timeout on FreeBSD; on macOS it is TCP_RXT_CONNDROPTIME, which counts
// seconds: net-keepalive passed its milliseconds straight through (30000 ms became 30000 s); here
// they are converted (rounded up, so 999 ms is 1 s and not "off"), and read back as ms.
const USER_TIMEOUT = PLATFORM !== "freebsd";
const SECONDS = PLATFORM === "darwin";

/**
 * Sets TCP_USER_TIMEOUT (macOS: TCP_RXT_CONNDROPTIME, in seconds) to `~~msecs` ms.
 *
 * @param socket A connected `net.Socket`.
 * @param msecs The time unacknowledged data may wait, in ms (0: the system default).
 * @returns `true`; `false` on Windows, where nothing is called.
 * @throws {AssertionError} as net-keepalive: argument count, FreeBSD ("called on unsupported platform"), socket, number, fd.
 * @throws {Error} `setsockopt <CODE>` when the kernel refuses.
 *
 * @example Failing unacknowledged writes after 30 seconds
 * ```ts
 * import { setUserTimeout } from "jsr:@sockopts/sockopts/net-keepalive";
 * import type { Socket } from "node:net";
 *
 * export const bound = (s: Socket): boolean => setUserTimeout(s, 30_000);
 * ```
 */
export function setUserTimeout(socket: NodeJSSocketWithFileDescriptor, msecs: number): boolean {
  const { assert } = node();
  assert.strictEqual(arguments.length, 2, "setUserTimeout requires two arguments");
  assert(USER_TIMEOUT, "setUserTimeout called on unsupported platform");
  checkSocket(socket, "setUserTimeout");
  checkNumber(msecs, "setUserTimeout requires msec to be a Number");
  const ms = ~~msecs;
  return set(socket, "TCP_USER_TIMEOUT", SECONDS && ms > 0 ? Math.ceil(ms / 1000) : ms);
}

/**
 * Reads TCP_USER_TIMEOUT (macOS: TCP_RXT_CONNDROPTIME), in ms.
 *
 * @param socket A connected `net.Socket`.
 * @returns The user timeout in ms (`0` on Windows).
 * @throws {AssertionError} as net-keepalive: argument count, FreeBSD, socket, fd.
 * @throws {Error} `getsockopt <CODE>` when the kernel refuses.
 *
 * @example Reading the user timeout
 * ```ts
 * import { getUserTimeout } from "jsr:@sockopts/sockopts/net-keepalive";
 * import type { Socket } from "node:net";
 *
 * export const timeout = (s: Socket): number => getUserTimeout(s);
 * ```
 */
export function getUserTimeout(socket: NodeJSSocketWithFileDescriptor): number {
  const { assert } = node();
  assert.strictEqual(arguments.length, 1, "getUserTimeout requires one arguments");
  assert(USER_TIMEOUT, "getUserTimeout called on unsupported platform");
  checkSocket(socket, "getUserTimeout");
  const value = get(socket, "TCP_USER_TIMEOUT");
  return SECONDS ? value * 1000 : value;
}

/**
 * The six functions as one plain object: what `require()` returns, and the default export.
 *
 * @example Passing the functions around as one value
 * ```ts
 * import NetKeepAlive, { type NetKeepAlive as Api } from "jsr:@sockopts/sockopts/net-keepalive";
 *
 * const api: Api = NetKeepAlive;
 * console.log(typeof api.setKeepAliveInterval); // "function"
 * ```
 */
export interface NetKeepAlive {
  /** {@link setKeepAliveInterval} */
  setKeepAliveInterval: typeof setKeepAliveInterval;
  /** {@link getKeepAliveInterval} */
  getKeepAliveInterval: typeof getKeepAliveInterval;
  /** {@link setKeepAliveProbes} */
  setKeepAliveProbes: typeof setKeepAliveProbes;
  /** {@link getKeepAliveProbes} */
  getKeepAliveProbes: typeof getKeepAliveProbes;
  /** {@link setUserTimeout} */
  setUserTimeout: typeof setUserTimeout;
  /** {@link getUserTimeout} */
  getUserTimeout: typeof getUserTimeout;
}

/**
 * `import NetKeepAlive from "sockopts/net-keepalive"`: a plain, writable object, so test doubles
 * (sinon, jest.spyOn) can replace its functions as they could net-keepalive's `module.exports`.
 *
 * @example The six functions as one object
 * ```ts
 * import NetKeepAlive from "jsr:@sockopts/sockopts/net-keepalive";
 *
 * console.log(Object.keys(NetKeepAlive).length); // 6
 * ```
 */
const api: NetKeepAlive = {
  setKeepAliveInterval,
  getKeepAliveInterval,
  setKeepAliveProbes,
  getKeepAliveProbes,
  setUserTimeout,
  getUserTimeout,
};
export default api;
