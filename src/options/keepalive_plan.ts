/**
 * Keep-alive options checked and turned into the kernel's units before any system call, and
 * applied to one fd: what setKeepAlive, detectWithin and configureSockets share.
 *
 * @module
 */
import { assertTcp } from "../sys/libc.ts";
import { applyOption, hostOption, prepareOption } from "./core_options.ts";
import { copyOptions } from "../values.ts";

/**
 * What {@link setKeepAlive} changes; fields left out stay as they are.
 *
 * @example One dead-peer profile for every connection
 * ```ts
 * import { type KeepAliveOptions, setKeepAlive } from "jsr:@sockopts/sockopts";
 *
 * const DEAD_PEER: KeepAliveOptions = { idle: 30_000, interval: 5_000, count: 3 };
 *
 * export function guard(fd: number): void {
 *   setKeepAlive(fd, DEAD_PEER);
 * }
 * ```
 */
export interface KeepAliveOptions {
  /** Turn keep-alive on (`true`, the default) or off (`false`). */
  readonly enable?: boolean;
  /**
   * Idle time before the first probe, in **ms** (TCP_KEEPIDLE; macOS: TCP_KEEPALIVE). Rounds up to
   * whole seconds; 1..999 is refused as seconds written by mistake (1000 is the shortest).
   *
   * **Alone, it is no dead-peer bound**: the interval and count stay the kernel's (Linux: 75 s and
   * 9), so `{ idle: 30_000 }` notices a dead peer after 30 s + 9 × 75 s = 705 s, where Node's
   * `socket.setKeepAlive(true, 30_000)` (1 s × 10) takes 40 s. Give `interval` and `count` too, or
   * use `detectWithin`.
   */
  readonly idle?: number;
  /**
   * Time between unanswered probes, in **ms** (TCP_KEEPINTVL). Rounds up to whole seconds; 1..999
   * is refused as seconds written by mistake (1000 is the shortest).
   */
  readonly interval?: number;
  /** Unanswered probes before the connection is dropped (TCP_KEEPCNT). */
  readonly count?: number;
  /**
   * Notice a dead peer within this many ms, idle or with a write in flight: sets keep-alive and the
   * user timeout together, as {@link deadPeerPlan} derives them. Given alone (no `idle`,
   * `interval`, `count` or `enable` beside it).
   */
  readonly detectWithin?: number;
}

const FIELDS = ["enable", "idle", "interval", "count", "detectWithin"];

// Read once into a copy: a getter runs once, and what is checked is what is applied.
export function checkKeepAliveOptions(options: unknown): KeepAliveOptions {
  return copyOptions("Cannot set keep-alive", "an options object", options, FIELDS) as KeepAliveOptions;
}

/** {@link KeepAliveOptions}, checked and converted to the kernel's units: no system call made yet. */
export interface KeepAlivePlan {
  readonly on: number;
  readonly idle: number | undefined;
  readonly interval: number | undefined;
  readonly count: number | undefined;
}

/**
 * Checks keep-alive options and converts them, before any system call, for applying to many
 * sockets (configureSockets).
 * @throws {TypeError} for an option of the wrong type.
 * @throws {RangeError} for a value outside the kernel's range.
 */
export function planKeepAlive(options: unknown): KeepAlivePlan {
  const { idle, interval, count, enable, detectWithin } = checkKeepAliveOptions(options);
  if (detectWithin !== undefined) {
    throw new TypeError("Cannot set keep-alive: give detectWithin in the settings, beside keepAlive, not inside it");
  }
  return {
    on: prepareOption("SO_KEEPALIVE", hostOption("SO_KEEPALIVE"), enable === undefined ? true : enable, "enable"),
    idle: idle === undefined ? undefined : prepareOption("TCP_KEEPIDLE", hostOption("TCP_KEEPIDLE"), idle),
    interval: interval === undefined
      ? undefined
      : prepareOption("TCP_KEEPINTVL", hostOption("TCP_KEEPINTVL"), interval),
    count: count === undefined ? undefined : prepareOption("TCP_KEEPCNT", hostOption("TCP_KEEPCNT"), count),
  };
}

/** Applies a checked plan to one socket. */
export function applyKeepAlive(fd: number, plan: KeepAlivePlan): void {
  applyKeepAliveValues(fd, plan.on, plan.idle, plan.interval, plan.count);
}

/** Applies keep-alive values already converted to the kernel's units (the hot path of setKeepAlive). */
export function applyKeepAliveValues(
  fd: number,
  on: number,
  idle: number | undefined,
  interval: number | undefined,
  count: number | undefined,
): void {
  // TCP-level options first: on a UDP or Unix-domain socket they fail before SO_KEEPALIVE,
  // which such sockets would accept, has changed anything.
  if (idle !== undefined) applyOption(fd, "TCP_KEEPIDLE", hostOption("TCP_KEEPIDLE"), idle);
  if (interval !== undefined) applyOption(fd, "TCP_KEEPINTVL", hostOption("TCP_KEEPINTVL"), interval);
  if (count !== undefined) applyOption(fd, "TCP_KEEPCNT", hostOption("TCP_KEEPCNT"), count);
  const keepAlive = hostOption("SO_KEEPALIVE");
  if (idle === undefined && interval === undefined && count === undefined) {
    assertTcp(fd, "set", "SO_KEEPALIVE", keepAlive);
  }
  applyOption(fd, "SO_KEEPALIVE", keepAlive, on);
}
