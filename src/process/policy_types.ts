/**
 * The shapes a {@link keepConfigured} policy reports in and is driven by.
 *
 * @module
 */
import type { SkippedSocket } from "./configure_result.ts";
import type { ConfiguredSocket } from "./socket_filter.ts";

/**
 * What one tick of a {@link SocketPolicy} did.
 *
 * @example Logging what a policy configured
 * ```ts
 * import { keepConfigured, type PolicyReport } from "jsr:@sockopts/sockopts";
 *
 * function log(report: PolicyReport): void {
 *   for (const s of report.configured) console.log(`configured fd ${s.fd} ${s.remoteText}`, s.keepAlive);
 *   for (const s of report.failed) console.warn(`could not configure fd ${s.fd}: ${s.detail}`);
 * }
 * using policy = keepConfigured({ remotePort: 5432 }, { detectWithin: 30_000 }, { onReport: log });
 * ```
 */
export interface PolicyReport {
  /** When the tick ran (`Date.now()`). */
  readonly at: number;
  /** The ms of work it took (a timer tick's slices added up, the event-loop turns between them not counted). */
  readonly duration: number;
  /** TCP sockets of this process seen. */
  readonly seen: number;
  /** Of those, how many the filter matches. */
  readonly matched: number;
  /** Sockets configured in this tick (new ones, and connecting ones now established), values read back. */
  readonly configured: ConfiguredSocket[];
  /**
   * Sockets whose values a driver had changed, set again: those configured in the last second or
   * so (a driver's connect handler ran after the tick), and with `reassert` any matching socket.
   */
  readonly reasserted: ConfiguredSocket[];
  /** Sockets that could not be configured, with the kernel's error. */
  readonly failed: SkippedSocket[];
  /** Sockets of other kinds seen for the first time (a driver on a Unix-domain socket), each reported once. */
  readonly skipped: SkippedSocket[];
  /** Matching sockets that closed since the last tick. */
  readonly gone: number;
  /** The tick failed as a whole (for example, the socket listing was refused); nothing else is filled in. */
  readonly error?: Error;
}

/**
 * Totals since a {@link SocketPolicy} started.
 *
 * @example How much the policy costs
 * ```ts
 * import { keepConfigured } from "jsr:@sockopts/sockopts";
 *
 * using policy = keepConfigured({ remotePort: 6379 }, { detectWithin: 20_000 });
 * const { ticks, busy, period } = policy.stats;
 * console.log(`${ticks} ticks, ${busy.toFixed(1)} ms in all, next in ${period} ms`);
 * ```
 */
export interface PolicyStats {
  /** Ticks run (timer and refresh). */
  readonly ticks: number;
  /** Sockets configured, counting a connecting socket again once established. */
  readonly configured: number;
  /** Values set again after a driver changed them (the check after configuring, and `reassert`). */
  readonly reasserted: number;
  /** Failures. */
  readonly failed: number;
  /** Matching sockets alive now. */
  readonly tracked: number;
  /** Milliseconds of work in ticks, in all (each tick's {@link PolicyReport.duration}). */
  readonly busy: number;
  /** The current period between timer ticks, in ms (0: no timer). */
  readonly period: number;
}

/**
 * How a {@link keepConfigured} policy runs.
 *
 * @example Checking for new sockets every 5 seconds, and restoring values drivers change
 * ```ts
 * import { keepConfigured, type PolicyOptions } from "jsr:@sockopts/sockopts";
 *
 * const options: PolicyOptions = { period: 5_000, reassert: true, onReport: (r) => console.log(r.configured.length) };
 * using policy = keepConfigured({ remotePort: 5432 }, { detectWithin: 30_000 }, options);
 * ```
 */
export interface PolicyOptions {
  /**
   * Ms between ticks. Default: adaptive, 100 × the average tick's duration (so the policy uses at
   * most 1% of one core), within 500..30000 ms. `0`: no timer, only {@link SocketPolicy.refresh}.
   */
  readonly period?: number;
  /**
   * Each tick also re-reads every matching socket's values and sets them again where a driver
   * changed them. Without it, each new socket is checked by every tick until one a second after a
   * tick saw it established (and after the event loop has turned): long enough for its driver's
   * connect handler, which may set its own keep-alive, to have run.
   */
  readonly reassert?: boolean;
  /** Called after every tick that configured, reasserted, failed, skipped or lost a socket, or failed. */
  readonly onReport?: (report: PolicyReport) => void;
}

/**
 * A running policy, from {@link keepConfigured}.
 *
 * @example Refreshing from a pool's connect hook, and stopping with `using`
 * ```ts
 * import { keepConfigured } from "jsr:@sockopts/sockopts";
 *
 * using policy = keepConfigured({ remotePort: 5432 }, { detectWithin: 30_000 });
 * // pool.on("connect", () => policy.refresh());
 * console.log(policy.report.configured.length, policy.stats.tracked);
 * ```
 */
export interface SocketPolicy extends Disposable {
  /**
   * Runs one whole tick now (for a pool's connect hook) and returns its report; a timer tick half
   * done is finished first. @throws {Error} when the listing fails, or when called from inside the
   * policy's own tick.
   */
  refresh(): PolicyReport;
  /** The last tick's report. */
  readonly report: PolicyReport;
  /** Totals since the start. */
  readonly stats: PolicyStats;
  /** The matching sockets alive at the last tick, with the values last read back. */
  readonly sockets: readonly ConfiguredSocket[];
  /** Whether {@link stop} was called. */
  readonly stopped: boolean;
  /**
   * Stops the timer and abandons a timer tick half done; sockets keep the values they were given.
   * A policy runs until this is called, even with no reference left to it. Calling it again does
   * nothing.
   */
  stop(): void;
}
