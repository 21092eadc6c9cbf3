/**
 * Socket options for Deno and Bun, through libc's `setsockopt` and `getsockopt` and each runtime's
 * own FFI: TCP keep-alive (on/off, idle time, probe interval, probe count) and the user timeout,
 * with durations in milliseconds, every value checked before the system call, and errors that
 * name the option, the value and the errno.
 *
 * In Deno, run with `--allow-ffi`.
 *
 * @example Noticing a dead peer in 45 seconds instead of 2 hours 11 minutes
 * ```ts
 * import { getKeepAlive, setKeepAlive, setUserTimeout } from "jsr:@sockopts/sockopts";
 *
 * export function guard(fd: number): void {
 *   // 30 s idle, then 3 probes 5 s apart.
 *   setKeepAlive(fd, { idle: 30_000, interval: 5_000, count: 3 });
 *   // Unacknowledged writes fail after 45 s too (Linux and macOS).
 *   setUserTimeout(fd, 45_000);
 *   console.log(getKeepAlive(fd)); // { enable: true, idle: 30000, interval: 5000, count: 3 }
 * }
 * ```
 *
 * @module
 */
export {
  AmbiguousSocketError,
  PermissionError,
  SocketClosedError,
  SockoptError,
  type SockoptErrorDetails,
  UnsupportedError,
} from "./src/errors.ts";
export { fdOf, type FdOfOptions, type SocketHandle } from "./src/handle.ts";
export {
  getKeepAlive,
  getKeepAliveInterval,
  getKeepAliveProbes,
  type KeepAliveOptions,
  type KeepAliveSettings,
  setKeepAlive,
  setKeepAliveInterval,
  setKeepAliveProbes,
} from "./src/keepalive.ts";
export { isSupported } from "./src/support.ts";
export { getUserTimeout, setUserTimeout } from "./src/user_timeout.ts";
