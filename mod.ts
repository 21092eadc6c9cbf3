/**
 * Socket options for Deno, Bun and Node.js 26.9+, through libc's `setsockopt` and `getsockopt` and
 * each runtime's own FFI (`Deno.dlopen`, `bun:ffi`, `node:ffi`): TCP keep-alive (on/off, idle
 * time, probe interval, probe count), the user timeout, one dead-peer bound (`detectWithin`), a
 * typed table of common socket and TCP options (`getOption` / `setOption`), live connection
 * statistics (`getTcpInfo`) and an unchecked escape hatch, with durations in milliseconds, every
 * value checked before the system call, and errors that name the option, the value and the errno.
 *
 * Deno needs `--allow-ffi` (and `--allow-net` for the sockets themselves); answering `y` at Deno's
 * prompt works too. Node.js 26.9 and later need no flag (26.1 to 26.8: `--experimental-ffi`);
 * under Node's permission model, `--allow-ffi`. Importing needs no permission: libc is opened on
 * the first call. Elsewhere (older Node, browsers, Windows) importing works,
 * {@link isSupported} returns `false` and every call throws {@link UnsupportedError}. Moving from
 * net-keepalive: `sockopts/net-keepalive` is its API, function for function.
 *
 * @example Noticing a dead peer in 45 seconds instead of 2 hours 11 minutes
 * ```ts
 * import { getKeepAlive, getUserTimeout, setKeepAlive, setUserTimeout } from "jsr:@sockopts/sockopts";
 *
 * // A loopback server and a connection to it; in an application, the connection to your database.
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 *
 * // 30 s idle, then 3 probes 5 s apart: a silent peer is dropped after 45 s.
 * setKeepAlive(conn, { idle: 30_000, interval: 5_000, count: 3 });
 * // Unacknowledged writes fail after 45 s too (Linux and macOS).
 * setUserTimeout(conn, 45_000);
 *
 * console.log(getKeepAlive(conn)); // { enable: true, idle: 30000, interval: 5000, count: 3 }
 * console.log(getUserTimeout(conn)); // 45000
 *
 * conn.close();
 * listener.close();
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
export { type DebugEvent, type HandleRoute, type IdentityCheck, setDebug } from "./src/sys/debug.ts";
export { fdOf, type FdOfOptions, type SocketHandle } from "./src/handles/resolve.ts";
export type {
  BunListenerLike,
  DenoConnLike,
  DenoListenerLike,
  NetServerLike,
  NetSocketLike,
} from "./src/handles/types.ts";
export {
  getKeepAlive,
  getKeepAliveInterval,
  getKeepAliveProbes,
  type KeepAliveSettings,
  setKeepAlive,
  setKeepAliveInterval,
  setKeepAliveProbes,
} from "./src/options/keepalive.ts";
export type { KeepAliveOptions } from "./src/options/keepalive_plan.ts";
export type { ErrnoName, KernelUnit, OptionConstant, OptionName, OsName } from "./platforms/types.ts";
export type { Linger } from "./src/options/option_values.ts";
export { getOption, options, setOption } from "./src/options/options.ts";
export {
  type OptionInfo,
  type OptionLevel,
  optionSchema,
  type OptionSchemaEntry,
  type OptionTable,
  type OptionType,
  type OptionTypeValues,
  type OptionValue,
  type WritableOptionName,
} from "./src/options/option_schema.ts";
export type { OptionSchema } from "./src/options/option_schema_type.ts";
export { getsockoptRaw, setsockoptRaw } from "./src/options/raw.ts";
export { isSupported } from "./src/support.ts";
export { getTcpInfo, type TcpInfo, type TcpState } from "./src/options/tcp_info.ts";
export { getUserTimeout, setUserTimeout, type UserTimeoutOptions } from "./src/options/user_timeout.ts";
export {
  type ConfiguredSocket,
  type ConfigureOptions,
  configureSockets,
  type SocketAddress,
  type SocketFilter,
  type SocketSettings,
  type TcpSocketInfo,
  tcpSockets,
} from "./src/process/process_sockets.ts";
export { type ConfigureResult, NothingMatchedError, type SkippedSocket } from "./src/process/configure_result.ts";
export { type DeadPeerPlan, deadPeerPlan } from "./src/options/dead_peer.ts";
export { MAX_AUTO_PERIOD, MIN_AUTO_PERIOD } from "./src/process/policy.ts";
export { keepConfigured } from "./src/process/keep_configured.ts";
export type { PolicyOptions, PolicyReport, PolicyStats, SocketPolicy } from "./src/process/policy_types.ts";
