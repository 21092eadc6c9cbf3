/**
 * One dead-peer bound for idle and busy connections: keep-alive (which only runs while nothing
 * is in flight) and the user timeout (which only runs while something is) derived from one number.
 *
 * @module
 */
import { UnsupportedError } from "../errors.ts";
import { applyKeepAlive, type KeepAlivePlan, planKeepAlive } from "./keepalive_plan.ts";
import { applyOption, hostOption, prepareOption } from "./core_options.ts";
import type { OptionConstant } from "../../platforms/types.ts";
import { describeValue } from "../values.ts";

/**
 * The keep-alive and user-timeout values {@link deadPeerPlan} derives from a bound; all in ms.
 *
 * @example Printing what `detectWithin: 45_000` sets
 * ```ts
 * import { type DeadPeerPlan, deadPeerPlan } from "jsr:@sockopts/sockopts";
 *
 * const plan: DeadPeerPlan = deadPeerPlan(45_000);
 * console.log(plan); // { idle: 28000, interval: 4000, count: 3, userTimeout: 40000 }
 * ```
 */
export interface DeadPeerPlan {
  /** TCP_KEEPIDLE: silence before the first probe. */
  readonly idle: number;
  /** TCP_KEEPINTVL: time between unanswered probes. */
  readonly interval: number;
  /** TCP_KEEPCNT: unanswered probes before the connection is dropped. */
  readonly count: number;
  /** The user timeout (Linux TCP_USER_TIMEOUT, macOS TCP_RXT_CONNDROPTIME, FreeBSD TCP_MAXUNACKTIME). */
  readonly userTimeout: number;
}

/** The smallest bound: 2 whole seconds of keep-alive budget after the 10% margin. */
export const DETECT_WITHIN_MIN: number = 3_000;
/** The largest bound: 10 hours (TCP_KEEPIDLE tops out at 32767 s on Linux). */
export const DETECT_WITHIN_MAX: number = 36_000_000;

/**
 * Derives keep-alive and user-timeout values under which a dead peer is noticed within `ms`,
 * whether the connection is idle or has a write in flight.
 *
 * The budget is 90% of `ms` in whole seconds, `S = floor(0.9 × ms / 1000)`: keep-alive timers
 * count seconds, and the kernel's timer wheel may fire a long timer late by a fraction of a second
 * per step, so 10% is kept back. Then `count = min(3, S − 1)` probes, `interval = max(1,
 * floor(S / (3 × count)))` s apart, after `idle = S − count × interval` s of silence; and the user
 * timeout is `S` s, the same total. An idle connection whose peer vanished is dropped after
 * `idle + count × interval = S` s without data (Linux ends it at the first probe once the user
 * timeout has passed, which is that same moment); a write in flight fails `S` s after it was
 * sent, when the user timeout expires.
 *
 * @param ms The bound in ms, 3000..36000000.
 * @returns `{ idle, interval, count, userTimeout }` in ms.
 * @throws {TypeError} for a bound that is not a number (`"5000"`, `5000n`), named by its type.
 * @throws {RangeError} for a number out of range (or NaN).
 *
 * @example The values behind a 45-second bound
 * ```ts
 * import { deadPeerPlan } from "jsr:@sockopts/sockopts";
 *
 * const { idle, interval, count, userTimeout } = deadPeerPlan(45_000);
 * console.log(idle + interval * count === userTimeout); // true: 40 s, within 45 s
 * ```
 */
export function deadPeerPlan(ms: number): DeadPeerPlan {
  if (typeof ms !== "number") {
    throw new TypeError(`Cannot use detectWithin: expected a number of milliseconds, got ${describeValue(ms)}`);
  }
  if (!(ms >= DETECT_WITHIN_MIN && ms <= DETECT_WITHIN_MAX)) {
    throw new RangeError(`Cannot use detectWithin: ${ms} is outside ${DETECT_WITHIN_MIN}..${DETECT_WITHIN_MAX} ms`);
  }
  const seconds = Math.floor((0.9 * ms) / 1000);
  const count = Math.min(3, seconds - 1);
  const interval = Math.max(1, Math.floor(seconds / (3 * count)));
  const idle = seconds - count * interval;
  return { idle: idle * 1000, interval: interval * 1000, count, userTimeout: seconds * 1000 };
}

/** A dead-peer bound, checked and converted, ready for many sockets. */
export interface DeadPeerValues {
  readonly keepAlive: KeepAlivePlan;
  readonly timeoutConstant: OptionConstant;
  readonly timeout: number;
}

/**
 * Checks `ms` and converts the plan to the kernel's units, before any system call.
 * @throws {TypeError} for a bound that is not a number.
 * @throws {RangeError} for a bound out of range.
 * @throws {UnsupportedError} on an OS with no user timeout.
 */
export function prepareDeadPeer(ms: unknown): DeadPeerValues {
  const plan = deadPeerPlan(ms as number);
  let timeoutConstant: OptionConstant;
  try {
    timeoutConstant = hostOption("TCP_USER_TIMEOUT");
  } catch (error) {
    // Only an OS that lacks the option is said so here; an unsupported runtime keeps its own words.
    if (!(error instanceof UnsupportedError) || error.option === null) throw error;
    throw new UnsupportedError(
      `Cannot use detectWithin: this OS has no user timeout, so a write in flight would not fail in time (${error.message})`,
      error.os,
      "TCP_USER_TIMEOUT",
    );
  }
  return {
    keepAlive: planKeepAlive({ idle: plan.idle, interval: plan.interval, count: plan.count }),
    timeoutConstant,
    timeout: prepareOption("TCP_USER_TIMEOUT", timeoutConstant, plan.userTimeout),
  };
}

/** Applies prepared dead-peer values to one socket: the user timeout first, then keep-alive. */
export function applyDeadPeer(fd: number, values: DeadPeerValues): void {
  applyOption(fd, "TCP_USER_TIMEOUT", values.timeoutConstant, values.timeout);
  applyKeepAlive(fd, values.keepAlive);
}
