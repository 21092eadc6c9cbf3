/**
 * TCP keep-alive: SO_KEEPALIVE with its idle time, probe interval and probe count, as named uses
 * of the option table (the same checks and conversions as `setOption` / `getOption`).
 *
 * @module
 */
import { applyDeadPeer, prepareDeadPeer } from "./dead_peer.ts";
import { resolveFd, type SocketHandle } from "../handles/resolve.ts";
import { getInt } from "../sys/libc.ts";
import { debugging, debugNote } from "../sys/debug.ts";
import { applyOption, hostOption, prepareOption, readOptionOf } from "./core_options.ts";
import { applyKeepAliveValues, checkKeepAliveOptions, type KeepAliveOptions } from "./keepalive_plan.ts";

/**
 * A socket's keep-alive settings as the kernel holds them; durations in ms.
 *
 * @example How long a dead peer goes unnoticed
 * ```ts
 * import { getKeepAlive, type KeepAliveSettings } from "jsr:@sockopts/sockopts";
 *
 * export function deadPeerAfter({ enable, idle, interval, count }: KeepAliveSettings): number {
 *   return enable ? idle + interval * count : Infinity;
 * }
 *
 * export function report(fd: number): string {
 *   return `${deadPeerAfter(getKeepAlive(fd)) / 1000} s`;
 * }
 * ```
 */
export interface KeepAliveSettings {
  /** SO_KEEPALIVE is on. */
  readonly enable: boolean;
  /** Idle time before the first probe, in ms. */
  readonly idle: number;
  /** Time between unanswered probes, in ms. */
  readonly interval: number;
  /** Unanswered probes before the connection is dropped. */
  readonly count: number;
}

/**
 * Turns keep-alive on (or off) and sets the idle time, probe interval and probe count that were
 * given, leaving the others as they are. A dead peer is then noticed after about
 * `idle + interval × count` ms of silence.
 *
 * Durations are milliseconds and round **up** to whole seconds (1500 → 2 s), because the kernel's
 * keep-alive timers count seconds; a value from 1 to 999 is refused (a RangeError: "30 ms: values
 * are milliseconds; did you mean 30_000?"), since it is almost always seconds. Every value is
 * checked against the kernel's range before any system call. Runtimes' own `setKeepAlive` (Bun's,
 * Node's) reset the interval to 1 s and the count to 10: call this after them, not before.
 *
 * **`{ idle }` alone keeps the kernel's interval and count** (Linux: 75 s × 9 probes): a dead peer
 * then goes unnoticed for `idle` + 675 s, slower than Node's own `socket.setKeepAlive(true, idle)`
 * (1 s × 10). Give all three, or `{ detectWithin: ms }`, which also bounds a write in flight. The
 * debug view (`SOCKOPTS_DEBUG=1`) notes each such call with the time it leaves.
 *
 * @param socket A socket handle ({@link SocketHandle}): a file descriptor, or a Deno, Bun or `node:net` socket, listener or server.
 * @param options What to change; `enable` defaults to `true`.
 * @returns Nothing: once it returns, the kernel holds every value given ({@link getKeepAlive} reads them back).
 * @throws {TypeError} for a missing or unknown socket, or a value of the wrong type.
 * @throws {RangeError} for a value outside the kernel's range (Linux: 1..32767 s, 1..127 probes), or a duration from 1 to 999 ms.
 * @throws {SockoptError} when the kernel refuses, or the socket is not TCP.
 * @throws {UnsupportedError} on an OS or runtime sockopts cannot drive.
 *
 * @example Noticing a dead peer within 45 seconds
 * ```ts
 * import { setKeepAlive } from "jsr:@sockopts/sockopts";
 *
 * export function guard(fd: number): void {
 *   // 30 s idle, then 3 probes 5 s apart: a silent peer is dropped after 45 s.
 *   setKeepAlive(fd, { idle: 30_000, interval: 5_000, count: 3 });
 * }
 * ```
 */
export function setKeepAlive(socket: SocketHandle, options?: KeepAliveOptions): void {
  const { idle, interval, count, enable, detectWithin } = checkKeepAliveOptions(options);
  // Every value is checked, then the socket found, then the values applied: bad input is refused
  // before any system call, a lookup included.
  if (detectWithin !== undefined) {
    onlyDetectWithin(idle, interval, count, enable);
    const values = prepareDeadPeer(detectWithin);
    const fd = resolveFd(socket, "Cannot set keep-alive");
    applyDeadPeer(fd, values);
    return;
  }
  // Converted to locals, not a plan object: this is a hot path and should not allocate.
  const on = prepareOption("SO_KEEPALIVE", hostOption("SO_KEEPALIVE"), enable === undefined ? true : enable, "enable");
  const idleK = idle === undefined ? undefined : prepareOption("TCP_KEEPIDLE", hostOption("TCP_KEEPIDLE"), idle);
  const intervalK = interval === undefined
    ? undefined
    : prepareOption("TCP_KEEPINTVL", hostOption("TCP_KEEPINTVL"), interval);
  const countK = count === undefined ? undefined : prepareOption("TCP_KEEPCNT", hostOption("TCP_KEEPCNT"), count);
  const fd = resolveFd(socket, "Cannot set keep-alive");
  applyKeepAliveValues(fd, on, idleK, intervalK, countK);
  if (debugging && idleK !== undefined && intervalK === undefined && countK === undefined && on === 1) {
    noteIdleAlone(fd, idleK);
  }
}

// The debug view's word on `{ idle }` alone: what the kernel's interval and count leave (the
// kernel keeps both times in seconds on every OS sockopts supports).
function noteIdleAlone(fd: number, idle: number): void {
  const interval = getInt(fd, "TCP_KEEPINTVL", hostOption("TCP_KEEPINTVL"));
  const count = getInt(fd, "TCP_KEEPCNT", hostOption("TCP_KEEPCNT"));
  debugNote(
    fd,
    `idle alone: interval ${interval} s and count ${count} stay the kernel's, so a dead peer goes unnoticed for ` +
      `${idle} s + ${count} × ${interval} s = ${
        idle + count * interval
      } s; give interval and count too, or detectWithin`,
  );
}

function onlyDetectWithin(...others: unknown[]): void {
  if (others.some((value) => value !== undefined)) {
    throw new TypeError(
      "Cannot set keep-alive: detectWithin sets idle, interval, count and enable itself; give it alone",
    );
  }
}

/**
 * Reads a socket's keep-alive settings. A socket that never set them reports the system defaults
 * (Linux: `/proc/sys/net/ipv4/tcp_keepalive_time`, `_intvl` and `_probes`; 7200 s, 75 s and 9 out
 * of the box).
 *
 * @param socket A socket handle ({@link SocketHandle}): a file descriptor, or a Deno, Bun or `node:net` socket, listener or server.
 * @returns `{ enable, idle, interval, count }`, with durations in ms.
 * @throws {SockoptError} when the kernel refuses, or the socket is not TCP.
 *
 * @example Printing what a connection would do with a dead peer
 * ```ts
 * import { getKeepAlive } from "jsr:@sockopts/sockopts";
 *
 * export function report(fd: number): string {
 *   const { enable, idle, interval, count } = getKeepAlive(fd);
 *   return enable ? `dead peer noticed after ${(idle + interval * count) / 1000} s` : "keep-alive is off";
 * }
 * ```
 */
export function getKeepAlive(socket: SocketHandle): KeepAliveSettings {
  const fd = resolveFd(socket, "Cannot get keep-alive");
  const idle = readOptionOf(fd, "TCP_KEEPIDLE", hostOption("TCP_KEEPIDLE"));
  const interval = readOptionOf(fd, "TCP_KEEPINTVL", hostOption("TCP_KEEPINTVL"));
  const count = readOptionOf(fd, "TCP_KEEPCNT", hostOption("TCP_KEEPCNT"));
  const enable = readOptionOf(fd, "SO_KEEPALIVE", hostOption("SO_KEEPALIVE"));
  return { enable, idle, interval, count };
}

/**
 * Sets the time between unanswered keep-alive probes (TCP_KEEPINTVL), as `net-keepalive` names it.
 * It only takes effect while keep-alive is on.
 *
 * @param socket A socket handle ({@link SocketHandle}): a file descriptor, or a Deno, Bun or `node:net` socket, listener or server.
 * @param ms The interval in ms, rounded up to whole seconds (Linux: 1..32767000).
 * @returns Nothing: once it returns, the kernel holds the interval ({@link getKeepAliveInterval} reads it back).
 * @throws {RangeError} for a value outside the kernel's range.
 * @throws {SockoptError} when the kernel refuses.
 *
 * @example Probing every 10 seconds
 * ```ts
 * import { setKeepAliveInterval } from "jsr:@sockopts/sockopts";
 *
 * export function probeOften(fd: number): void {
 *   setKeepAliveInterval(fd, 10_000);
 * }
 * ```
 */
export function setKeepAliveInterval(socket: SocketHandle, ms: number): void {
  const constant = hostOption("TCP_KEEPINTVL");
  const value = prepareOption("TCP_KEEPINTVL", constant, ms);
  applyOption(resolveFd(socket, "Cannot set TCP_KEEPINTVL"), "TCP_KEEPINTVL", constant, value);
}

/**
 * Reads the time between unanswered keep-alive probes (TCP_KEEPINTVL).
 *
 * @param socket A socket handle ({@link SocketHandle}): a file descriptor, or a Deno, Bun or `node:net` socket, listener or server.
 * @returns The interval in ms.
 * @throws {SockoptError} when the kernel refuses.
 *
 * @example Reading the interval
 * ```ts
 * import { getKeepAliveInterval } from "jsr:@sockopts/sockopts";
 *
 * export function interval(fd: number): number {
 *   return getKeepAliveInterval(fd); // 75000 on a fresh Linux socket
 * }
 * ```
 */
export function getKeepAliveInterval(socket: SocketHandle): number {
  const fd = resolveFd(socket, "Cannot get TCP_KEEPINTVL");
  return readOptionOf(fd, "TCP_KEEPINTVL", hostOption("TCP_KEEPINTVL"));
}

/**
 * Sets how many unanswered keep-alive probes drop the connection (TCP_KEEPCNT), as
 * `net-keepalive` names it.
 *
 * @param socket A socket handle ({@link SocketHandle}): a file descriptor, or a Deno, Bun or `node:net` socket, listener or server.
 * @param count A whole number of probes (Linux: 1..127).
 * @returns Nothing: once it returns, the kernel holds the count ({@link getKeepAliveProbes} reads it back).
 * @throws {RangeError} for a fraction or a value outside the kernel's range.
 * @throws {SockoptError} when the kernel refuses.
 *
 * @example Giving up after three probes
 * ```ts
 * import { setKeepAliveProbes } from "jsr:@sockopts/sockopts";
 *
 * export function giveUpSoon(fd: number): void {
 *   setKeepAliveProbes(fd, 3);
 * }
 * ```
 */
export function setKeepAliveProbes(socket: SocketHandle, count: number): void {
  const constant = hostOption("TCP_KEEPCNT");
  const value = prepareOption("TCP_KEEPCNT", constant, count);
  applyOption(resolveFd(socket, "Cannot set TCP_KEEPCNT"), "TCP_KEEPCNT", constant, value);
}

/**
 * Reads how many unanswered keep-alive probes drop the connection (TCP_KEEPCNT).
 *
 * @param socket A socket handle ({@link SocketHandle}): a file descriptor, or a Deno, Bun or `node:net` socket, listener or server.
 * @returns The number of probes.
 * @throws {SockoptError} when the kernel refuses.
 *
 * @example Reading the probe count
 * ```ts
 * import { getKeepAliveProbes } from "jsr:@sockopts/sockopts";
 *
 * export function probes(fd: number): number {
 *   return getKeepAliveProbes(fd); // 9 on a fresh Linux socket
 * }
 * ```
 */
export function getKeepAliveProbes(socket: SocketHandle): number {
  const fd = resolveFd(socket, "Cannot get TCP_KEEPCNT");
  return readOptionOf(fd, "TCP_KEEPCNT", hostOption("TCP_KEEPCNT"));
}
