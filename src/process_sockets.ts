/**
 * The TCP sockets this process holds, including those inside third-party drivers (database
 * pools, Redis and NATS clients, HTTP agents) that never hand the application a socket, and a way
 * to configure them all at once.
 *
 * @module
 */
import { canonicalIp, displayIp, WILDCARD } from "./address.ts";
import { SockoptError } from "./errors.ts";
import {
  applyKeepAlive,
  getKeepAlive,
  type KeepAliveOptions,
  type KeepAliveSettings,
  planKeepAlive,
} from "./keepalive.ts";
import { type Endpoint, listFds, socketName, socketType } from "./libc.ts";
import { applyOption, hostOption, prepareOption } from "./options.ts";
import { currentHost } from "./platform.ts";
import { getTcpInfo, type TcpState } from "./tcp_info.ts";
import { getUserTimeout } from "./user_timeout.ts";
import { copyOptions, describeValue } from "./values.ts";

/**
 * One end of a TCP socket.
 *
 * @example Writing an address the way URLs do
 * ```ts
 * import type { SocketAddress } from "jsr:@sockopts/sockopts";
 *
 * export function hostPort({ address, port, family }: SocketAddress): string {
 *   return family === "IPv6" ? `[${address}]:${port}` : `${address}:${port}`;
 * }
 * ```
 */
export interface SocketAddress {
  /** The IP address as people write it: `127.0.0.1`, `::1`, `0.0.0.0`, `::`. */
  readonly address: string;
  /** The port. */
  readonly port: number;
  /** `"IPv4"` or `"IPv6"`: the socket's family (an IPv6 socket may talk to IPv4-mapped peers). */
  readonly family: "IPv4" | "IPv6";
}

/**
 * A TCP socket of this process, as {@link tcpSockets} lists it.
 *
 * @example The listening sockets of this process
 * ```ts
 * import { tcpSockets, type TcpSocketInfo } from "jsr:@sockopts/sockopts";
 *
 * const listeners: TcpSocketInfo[] = tcpSockets().filter((s) => s.listening);
 * console.log(listeners.map((s) => `fd ${s.fd} on port ${s.local.port}`));
 * ```
 */
export interface TcpSocketInfo {
  /** Its file descriptor. */
  readonly fd: number;
  /** The local end. */
  readonly local: SocketAddress;
  /** The remote end, or `null` for a listener or an unconnected socket. */
  readonly remote: SocketAddress | null;
  /** The TCP state (`"ESTABLISHED"`, `"LISTEN"`, `"CLOSE_WAIT"`, …). */
  readonly state: TcpState;
  /** It is a listening socket. */
  readonly listening: boolean;
}

/**
 * Which sockets {@link configureSockets} changes; every field given must match.
 *
 * @example The connections to one Redis server
 * ```ts
 * import { configureSockets, type SocketFilter } from "jsr:@sockopts/sockopts";
 *
 * const redis: SocketFilter = { remoteHost: "10.0.0.8", remotePort: 6379 };
 * configureSockets(redis, { keepAlive: { idle: 60_000, count: 4 } });
 * ```
 */
export interface SocketFilter {
  /** The remote port, such as 5432 for PostgreSQL. */
  readonly remotePort?: number;
  /** The remote IP address (a literal: `10.0.0.7`, `::1`); names are not resolved. */
  readonly remoteHost?: string;
  /** The local port. */
  readonly localPort?: number;
  /** Only listeners (`true`) or only connections (`false`). */
  readonly listening?: boolean;
}

/**
 * What {@link configureSockets} applies.
 *
 * @example One dead-peer profile for every outgoing connection
 * ```ts
 * import { configureSockets, type SocketSettings } from "jsr:@sockopts/sockopts";
 *
 * const DEAD_PEER: SocketSettings = { keepAlive: { idle: 30_000, interval: 5_000, count: 3 }, userTimeout: 45_000 };
 * configureSockets({ listening: false }, DEAD_PEER);
 * ```
 */
export interface SocketSettings {
  /** Keep-alive, in the shape {@link setKeepAlive} takes. */
  readonly keepAlive?: KeepAliveOptions;
  /** The user timeout in ms, as {@link setUserTimeout} takes it. */
  readonly userTimeout?: number;
}

/**
 * One socket {@link configureSockets} changed, with the values read back afterwards.
 *
 * @example Logging what was configured
 * ```ts
 * import { type ConfiguredSocket, configureSockets } from "jsr:@sockopts/sockopts";
 *
 * const changed: ConfiguredSocket[] = configureSockets({ remotePort: 5432 }, { keepAlive: { idle: 30_000 } });
 * for (const socket of changed) {
 *   console.log(`fd ${socket.fd} -> ${socket.remote?.address}: idle ${socket.keepAlive?.idle} ms`);
 * }
 * ```
 */
export interface ConfiguredSocket extends TcpSocketInfo {
  /** The keep-alive settings now in force, when keep-alive was configured. */
  readonly keepAlive?: KeepAliveSettings;
  /** The user timeout now in force (ms), when it was configured. */
  readonly userTimeout?: number;
}

function address(endpoint: Endpoint): SocketAddress {
  return {
    address: displayIp(endpoint.ip, endpoint.family),
    port: endpoint.port,
    family: endpoint.family === 6 ? "IPv6" : "IPv4",
  };
}

function describe(fd: number): TcpSocketInfo | undefined {
  const local = socketName(fd, false);
  if (typeof local === "string" || socketType(fd) !== currentHost().platform.SOCK_STREAM) return undefined;
  const remote = socketName(fd, true);
  let state: TcpState;
  try {
    state = getTcpInfo(fd).state;
  } catch (error) {
    if (error instanceof SockoptError) return undefined; // closed while we looked
    throw error;
  }
  return {
    fd,
    local: address(local),
    remote: typeof remote === "string" ? null : address(remote),
    state,
    listening: state === "LISTEN",
  };
}

/**
 * Lists this process's TCP sockets: every one, including those opened inside libraries that
 * never expose them. Other fds (files, pipes, UDP and Unix-domain sockets) are left out.
 *
 * @returns One entry per TCP socket, in fd order.
 * @throws {UnsupportedError} on an OS or runtime sockopts cannot drive.
 *
 * @example Finding the connections a PostgreSQL pool opened
 * ```ts
 * import { tcpSockets } from "jsr:@sockopts/sockopts";
 *
 * const postgres = tcpSockets().filter((s) => s.remote?.port === 5432);
 * console.log(postgres.map((s) => `fd ${s.fd}: ${s.local.address}:${s.local.port} -> ${s.state}`));
 * ```
 */
export function tcpSockets(): TcpSocketInfo[] {
  const found: TcpSocketInfo[] = [];
  for (const fd of listFds()) {
    const info = describe(fd);
    if (info !== undefined) found.push(info);
  }
  return found;
}

const FILTER_FIELDS = ["remotePort", "remoteHost", "localPort", "listening"];
const SETTING_FIELDS = ["keepAlive", "userTimeout"];

// The filter and the settings are copied once (copyOptions), then only the copies are read.
function checkFields(what: "filter" | "settings", value: unknown, fields: readonly string[]): Record<string, unknown> {
  if (value === undefined) throw new TypeError(`Cannot configure sockets: expected a ${what} object, got undefined`);
  return copyOptions("Cannot configure sockets", `a ${what} object`, value, fields, `${what} field`);
}

function checkPort(name: string, port: unknown): number | undefined {
  if (port === undefined) return undefined;
  if (typeof port !== "number") {
    throw new TypeError(`Cannot configure sockets: ${name} must be a port number, got ${describeValue(port)}`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Cannot configure sockets: ${name} ${port} is not a port (expected an integer 0..65535)`);
  }
  return port + 0; // -0 is port 0
}

/**
 * Applies keep-alive and/or a user timeout to every TCP socket of this process that matches
 * `filter`: the way to reach sockets a driver keeps to itself. Every value is checked before any
 * socket is touched; sockets that close while this runs are skipped.
 *
 * @param filter Which sockets: `{ remotePort?, remoteHost?, localPort?, listening? }`; `{}` is all.
 * @param settings `{ keepAlive?, userTimeout? }`, in the shapes `setKeepAlive` and `setUserTimeout` take.
 * @returns The sockets changed, with the values read back from each.
 * @throws {TypeError} / {RangeError} for a bad filter or setting, before any system call.
 * @throws {UnsupportedError} for a user timeout on FreeBSD.
 *
 * @example Keep-alive for every connection a PostgreSQL pool holds
 * ```ts
 * import { configureSockets } from "jsr:@sockopts/sockopts";
 *
 * // After the pool has connected (and again after it grows):
 * const changed = configureSockets(
 *   { remotePort: 5432 },
 *   { keepAlive: { idle: 30_000, interval: 5_000, count: 3 }, userTimeout: 45_000 },
 * );
 * console.log(`configured ${changed.length} PostgreSQL connections`);
 * ```
 */
export function configureSockets(filter: SocketFilter, settings: SocketSettings): ConfiguredSocket[] {
  const f = checkFields("filter", filter, FILTER_FIELDS);
  const s = checkFields("settings", settings, SETTING_FIELDS);
  const remotePort = checkPort("remotePort", f.remotePort);
  const localPort = checkPort("localPort", f.localPort);
  let remoteHost: string | undefined;
  if (f.remoteHost !== undefined) {
    remoteHost = typeof f.remoteHost === "string" ? canonicalIp(f.remoteHost) : undefined;
    if (remoteHost === undefined || remoteHost === WILDCARD) {
      throw new TypeError(
        `Cannot configure sockets: remoteHost must be an IP address, got ${describeValue(f.remoteHost)}`,
      );
    }
  }
  if (f.listening !== undefined && typeof f.listening !== "boolean") {
    throw new TypeError(`Cannot configure sockets: listening must be a boolean, got ${describeValue(f.listening)}`);
  }
  if (s.keepAlive === undefined && s.userTimeout === undefined) {
    throw new TypeError("Cannot configure sockets: give keepAlive, userTimeout or both");
  }
  const plan = s.keepAlive === undefined ? undefined : planKeepAlive(s.keepAlive);
  const timeoutC = s.userTimeout === undefined ? undefined : hostOption("TCP_USER_TIMEOUT");
  const timeout = timeoutC === undefined ? undefined : prepareOption("TCP_USER_TIMEOUT", timeoutC, s.userTimeout);

  const changed: ConfiguredSocket[] = [];
  // Each fd is described right before it is configured, so that the addresses matched are the
  // socket's own even if another thread of the runtime opens and closes sockets meanwhile.
  for (const fd of listFds()) {
    const socket = describe(fd);
    if (socket === undefined) continue;
    if (remotePort !== undefined && socket.remote?.port !== remotePort) continue;
    if (localPort !== undefined && socket.local.port !== localPort) continue;
    if (remoteHost !== undefined && (socket.remote === null || canonicalIp(socket.remote.address) !== remoteHost)) {
      continue;
    }
    if (f.listening !== undefined && socket.listening !== f.listening) continue;
    try {
      if (plan !== undefined) applyKeepAlive(socket.fd, plan);
      if (timeout !== undefined) applyOption(socket.fd, "TCP_USER_TIMEOUT", timeoutC!, timeout);
      changed.push({
        ...socket,
        ...(plan === undefined ? {} : { keepAlive: getKeepAlive(socket.fd) }),
        ...(timeout === undefined ? {} : { userTimeout: getUserTimeout(socket.fd) }),
      });
    } catch (error) {
      // Closed between listing and configuring: nothing of it is left to configure.
      if (error instanceof SockoptError && (error.code === "EBADF" || error.code === "ENOTSOCK")) continue;
      throw error;
    }
  }
  return changed;
}
