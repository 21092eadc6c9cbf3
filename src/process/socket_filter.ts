/**
 * The filter and settings that {@link configureSockets} and {@link keepConfigured} share: read
 * once, checked before any system call, and applied with the reason a socket did not match.
 *
 * @module
 */
import { canonicalIp, isLinkLocal, WILDCARD, zoneOf } from "../address.ts";
import { interfaceIndex } from "../sys/interfaces.ts";
import { applyDeadPeer, type DeadPeerValues, prepareDeadPeer } from "../options/dead_peer.ts";
import { getKeepAlive, type KeepAliveSettings } from "../options/keepalive.ts";
import { applyKeepAlive, type KeepAliveOptions, type KeepAlivePlan, planKeepAlive } from "../options/keepalive_plan.ts";
import { applyOption, hostOption, prepareOption, readOptionOf } from "../options/core_options.ts";
import type { TcpSocketInfo } from "./socket_info.ts";
import { getUserTimeout } from "../options/user_timeout.ts";
import { copyOptions, describeValue } from "../values.ts";
import type { OptionConstant } from "../../platforms/types.ts";

/**
 * Which sockets {@link configureSockets} and {@link keepConfigured} change; every field given must
 * match. A filter must name an address (`remotePort`, `remoteHost` or `localPort`), ask for
 * listeners (`listening: true`), or say `all: true`: `{}` would also catch the connections the
 * runtime itself holds, such as Deno's connection to the npm registry on port 443.
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
  /**
   * The remote IP address (a literal: `10.0.0.7`, `::1`); names are not resolved. A link-local
   * address may name its interface (`fe80::1%eth0`, or its index: `fe80::1%2`): then only
   * connections over that interface match. Without a zone, every interface does.
   */
  readonly remoteHost?: string;
  /** The local port. */
  readonly localPort?: number;
  /** Only listeners (`true`) or only connections (`false`). */
  readonly listening?: boolean;
  /** Every TCP socket of the process, the runtime's own included: must be said on purpose. */
  readonly all?: true;
}

/**
 * What {@link configureSockets} and {@link keepConfigured} apply: `detectWithin`, or keep-alive
 * and/or a user timeout.
 *
 * @example One dead-peer bound for every connection to PostgreSQL
 * ```ts
 * import { configureSockets, type SocketSettings } from "jsr:@sockopts/sockopts";
 *
 * const DEAD_PEER: SocketSettings = { detectWithin: 45_000 };
 * configureSockets({ remotePort: 5432 }, DEAD_PEER);
 * ```
 */
export interface SocketSettings {
  /** Keep-alive, in the shape {@link setKeepAlive} takes. */
  readonly keepAlive?: KeepAliveOptions;
  /** The user timeout in ms, as {@link setUserTimeout} takes it. */
  readonly userTimeout?: number;
  /** Notice a dead peer within this many ms, idle or mid-write ({@link deadPeerPlan}); given alone. */
  readonly detectWithin?: number;
}

/**
 * One socket configured, with the values read back afterwards.
 *
 * @example Logging what was configured
 * ```ts
 * import { type ConfiguredSocket, configureSockets } from "jsr:@sockopts/sockopts";
 *
 * const changed: ConfiguredSocket[] = configureSockets({ remotePort: 5432 }, { keepAlive: { idle: 30_000 } });
 * for (const socket of changed) {
 *   console.log(`fd ${socket.fd} -> ${socket.remoteText}: idle ${socket.keepAlive?.idle} ms`);
 * }
 * ```
 */
export interface ConfiguredSocket extends TcpSocketInfo {
  /** The keep-alive settings now in force, when keep-alive was configured. */
  readonly keepAlive?: KeepAliveSettings;
  /** The user timeout now in force (ms), when it was configured. */
  readonly userTimeout?: number;
}

/** A filter, read once and checked. */
export interface CheckedFilter {
  readonly remotePort: number | undefined;
  readonly localPort: number | undefined;
  readonly remoteHost: string | undefined;
  /** The interface index a zoned link-local `remoteHost` names. */
  readonly remoteScope: number | undefined;
  readonly listening: boolean | undefined;
  /** The filter as the user wrote it, for messages. */
  readonly text: string;
}

/** Settings, read once, checked and converted to the kernel's units. */
export interface CheckedSettings {
  readonly deadPeer: DeadPeerValues | undefined;
  readonly keepAlive: KeepAlivePlan | undefined;
  readonly timeoutConstant: OptionConstant | undefined;
  readonly timeout: number | undefined;
}

const FILTER_FIELDS = ["remotePort", "remoteHost", "localPort", "listening", "all"];
const SETTING_FIELDS = ["keepAlive", "userTimeout", "detectWithin"];

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
 * Reads and checks a filter, each field once.
 * @throws {TypeError} for a field of the wrong type or name, or a filter that names nothing.
 * @throws {RangeError} for a field out of range.
 */
export function checkFilter(filter: unknown): CheckedFilter {
  const { remotePort: rp, remoteHost: rh, localPort: lp, listening, all } = checkFields(
    "filter",
    filter,
    FILTER_FIELDS,
  );
  const remotePort = checkPort("remotePort", rp);
  const localPort = checkPort("localPort", lp);
  let remoteHost: string | undefined;
  let remoteScope: number | undefined;
  if (rh !== undefined) {
    remoteHost = typeof rh === "string" ? canonicalIp(rh) : undefined;
    if (remoteHost === undefined || remoteHost === WILDCARD) {
      throw new TypeError(`Cannot configure sockets: remoteHost must be an IP address, got ${describeValue(rh)}`);
    }
    const zone = zoneOf(rh as string);
    if (zone !== undefined) remoteScope = checkZone(rh as string, remoteHost, zone);
  }
  if (listening !== undefined && typeof listening !== "boolean") {
    throw new TypeError(`Cannot configure sockets: listening must be a boolean, got ${describeValue(listening)}`);
  }
  if (all !== undefined && all !== true) {
    throw new TypeError(`Cannot configure sockets: all must be true when given, got ${describeValue(all)}`);
  }
  if (
    all === undefined && remotePort === undefined && localPort === undefined && remoteHost === undefined &&
    listening !== true
  ) {
    throw new TypeError(
      "Cannot configure sockets: the filter names no remotePort, remoteHost or localPort, so it would also " +
        "catch the runtime's own connections (such as Deno's to the npm registry on 443); name one, or pass " +
        "{ all: true } to mean every TCP socket",
    );
  }
  const text = JSON.stringify({ remotePort, remoteHost: rh, localPort, listening, all });
  return { remotePort, localPort, remoteHost, remoteScope, listening: listening as boolean | undefined, text };
}

/**
 * The interface a zoned `remoteHost` names: an index as given, or a name looked up in this
 * thread's network namespace.
 * @throws {TypeError} for a zone on an address that has none, or one naming no interface here.
 */
function checkZone(given: string, ip: string, zone: string): number {
  if (!isLinkLocal(ip)) {
    throw new TypeError(
      `Cannot configure sockets: remoteHost ${JSON.stringify(given)} has a zone, which only link-local ` +
        `(fe80::/10) addresses have`,
    );
  }
  const index = /^[0-9]{1,10}$/.test(zone) ? Number(zone) : interfaceIndex(zone);
  if (index === undefined || index < 1 || index > 0xffffffff) {
    throw new TypeError(
      `Cannot configure sockets: remoteHost ${JSON.stringify(given)} names no interface of this host ` +
        `(${JSON.stringify(zone)})`,
    );
  }
  return index;
}

/**
 * Reads, checks and converts settings, each field once.
 * @throws {TypeError} for a setting of the wrong type.
 * @throws {RangeError} for a setting out of range.
 * @throws {UnsupportedError} for an option this OS lacks.
 */
export function checkSettings(settings: unknown): CheckedSettings {
  const { keepAlive, userTimeout, detectWithin } = checkFields("settings", settings, SETTING_FIELDS);
  if (detectWithin !== undefined) {
    if (keepAlive !== undefined || userTimeout !== undefined) {
      throw new TypeError(
        "Cannot configure sockets: detectWithin sets keep-alive and the user timeout itself; give it alone",
      );
    }
    return {
      deadPeer: prepareDeadPeer(detectWithin),
      keepAlive: undefined,
      timeoutConstant: undefined,
      timeout: undefined,
    };
  }
  if (keepAlive === undefined && userTimeout === undefined) {
    throw new TypeError("Cannot configure sockets: give detectWithin, or keepAlive, userTimeout or both");
  }
  const plan = keepAlive === undefined ? undefined : planKeepAlive(keepAlive);
  const timeoutConstant = userTimeout === undefined ? undefined : hostOption("TCP_USER_TIMEOUT");
  const timeout = timeoutConstant === undefined
    ? undefined
    : prepareOption("TCP_USER_TIMEOUT", timeoutConstant, userTimeout);
  return { deadPeer: undefined, keepAlive: plan, timeoutConstant, timeout };
}

/** Why `socket` does not match `filter`, or `undefined` when it does. */
export function mismatch(filter: CheckedFilter, socket: TcpSocketInfo): string | undefined {
  const { remotePort, localPort, remoteHost, listening } = filter;
  if (remotePort !== undefined && socket.remote?.port !== remotePort) {
    return socket.remote === null
      ? `no remote end, not remotePort ${remotePort}`
      : `remotePort is ${socket.remote.port}, not ${remotePort}`;
  }
  if (localPort !== undefined && socket.local.port !== localPort) {
    return `localPort is ${socket.local.port}, not ${localPort}`;
  }
  if (remoteHost !== undefined && (socket.remote === null || canonicalIp(socket.remote.address) !== remoteHost)) {
    return `remoteHost is ${socket.remote?.address ?? "none"}, not ${remoteHost}`;
  }
  // A link-local peer is the same address on every link: the zone says which link.
  if (filter.remoteScope !== undefined && socket.remote?.scopeId !== filter.remoteScope) {
    return `remote interface is ${socket.remote?.scopeId ?? "none"}, not ${filter.remoteScope}`;
  }
  if (listening !== undefined && socket.listening !== listening) {
    return socket.listening ? "a listener, not a connection" : "a connection, not a listener";
  }
  return undefined;
}

/** Applies checked settings to one socket. */
export function applySettings(fd: number, settings: CheckedSettings): void {
  if (settings.deadPeer !== undefined) {
    applyDeadPeer(fd, settings.deadPeer);
    return;
  }
  if (settings.keepAlive !== undefined) applyKeepAlive(fd, settings.keepAlive);
  if (settings.timeout !== undefined) {
    applyOption(fd, "TCP_USER_TIMEOUT", settings.timeoutConstant!, settings.timeout);
  }
}

/**
 * The socket with the values now in force read back: those the settings touch, read through `fd`
 * (the duplicate it is configured through; the row keeps its own fd).
 */
export function readBack(socket: TcpSocketInfo, settings: CheckedSettings, fd: number = socket.fd): ConfiguredSocket {
  const keepAlive = settings.deadPeer !== undefined || settings.keepAlive !== undefined;
  const timeout = settings.deadPeer !== undefined || settings.timeout !== undefined;
  return {
    ...socket,
    ...(keepAlive ? { keepAlive: getKeepAlive(fd) } : {}),
    ...(timeout ? { userTimeout: getUserTimeout(fd) } : {}),
  };
}

/**
 * Whether a driver's own keep-alive call has changed `done`'s socket since it was configured:
 * SO_KEEPALIVE or TCP_KEEPIDLE no longer as read back then (what Node's, Deno's and Bun's
 * `setKeepAlive` change), or, when only the user timeout was set, that. Two `getsockopt` at most,
 * where {@link drifted} needs five; read through `fd` (the duplicate the socket is checked through).
 */
export function overwritten(done: ConfiguredSocket, fd: number = done.fd): boolean {
  const kept = done.keepAlive;
  if (kept !== undefined) {
    return readOptionOf(fd, "SO_KEEPALIVE", hostOption("SO_KEEPALIVE")) !== kept.enable ||
      readOptionOf(fd, "TCP_KEEPIDLE", hostOption("TCP_KEEPIDLE")) !== kept.idle;
  }
  return done.userTimeout !== undefined && getUserTimeout(fd) !== done.userTimeout;
}

/** Whether the values read back now differ from those read back when `before` was configured. */
export function drifted(before: ConfiguredSocket, now: ConfiguredSocket): boolean {
  const a = before.keepAlive;
  const b = now.keepAlive;
  if (a !== undefined && b !== undefined) {
    if (a.enable !== b.enable || a.idle !== b.idle || a.interval !== b.interval || a.count !== b.count) return true;
  }
  return before.userTimeout !== now.userTimeout;
}
