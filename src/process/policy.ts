/**
 * A policy that follows the process's TCP sockets: every matching socket is configured once as it
 * appears (pools that grow, drivers that reconnect), again once a connecting socket is
 * established, again on the next tick if a driver's connect handler overwrote the values, and, on
 * request, again whenever a driver overwrote them.
 *
 * @module
 */
export type { PolicyOptions, PolicyReport, PolicyStats, SocketPolicy } from "./policy_types.ts";
import type { SkippedSocket } from "./configure_result.ts";
import { holdsCookie } from "../sys/inspect.ts";
import { clearTimer, type TimerId, unrefTimeout } from "../ffi/timers.ts";
import type { PolicyOptions, PolicyReport, PolicyStats, SocketPolicy } from "./policy_types.ts";
import { createScanner, type Scanner, type Seen } from "./policy_scan.ts";
import { Budget, type Outcome, Slices, type Work } from "./policy_slices.ts";
import { checkPolicyOptions } from "./policy_options.ts";
import { emptyReport, failureOf, stateOf } from "./policy_report.ts";
import {
  applySettings,
  type CheckedFilter,
  type CheckedSettings,
  checkFilter,
  checkSettings,
  type ConfiguredSocket,
  drifted,
  mismatch,
  overwritten,
  readBack,
  type SocketFilter,
  type SocketSettings,
} from "./socket_filter.ts";

/**
 * The shortest period the adaptive default picks, in ms.
 *
 * @example The policy never ticks more often than this by default
 * ```ts
 * import { keepConfigured, MIN_AUTO_PERIOD } from "jsr:@sockopts/sockopts";
 *
 * using policy = keepConfigured({ remotePort: 5432 }, { detectWithin: 30_000 });
 * console.log(policy.stats.period >= MIN_AUTO_PERIOD); // true
 * ```
 */
export const MIN_AUTO_PERIOD: number = 500;
/**
 * The longest period the adaptive default picks, in ms: a new socket waits at most this long.
 *
 * @example The longest a new connection goes unconfigured by default
 * ```ts
 * import { MAX_AUTO_PERIOD } from "jsr:@sockopts/sockopts";
 *
 * console.log(`new sockets are configured within ${MAX_AUTO_PERIOD / 1000} s`);
 * ```
 */
export const MAX_AUTO_PERIOD: number = 30_000;
// Every fd is read again at most this often (new Unix-domain sockets, fds reused from files).
const FULL_SCAN_EVERY = 30_000;
const SHARE = 100; // period = 100 × tick: 1% of one core

const STATE_CONFIGURE_AGAIN = new Set(["SYN_SENT", "CLOSED"]);

class Policy implements SocketPolicy {
  #filter: CheckedFilter;
  #settings: CheckedSettings;
  #period: number | undefined;
  #reassert: boolean;
  #onReport: ((report: PolicyReport) => void) | undefined;
  #scanner: Scanner = createScanner();
  #configured = new Map<number | string, ConfiguredSocket>();
  /** Sockets configured by the last tick, checked once more by the next (without `reassert`). */
  #recent: Seen[] = [];
  /** Sockets configured by this tick. */
  #now: Seen[] = [];
  #timer: TimerId | undefined;
  /** The tick in progress: a timer tick between two of its slices, or one running at once. */
  #ticking: Slices<PolicyReport> | undefined;
  #average = 0;
  #lastFull = -Infinity;
  #stopped = false;
  #report: PolicyReport;
  #totals = { ticks: 0, configured: 0, reasserted: 0, failed: 0, busy: 0 };

  constructor(
    filter: CheckedFilter,
    settings: CheckedSettings,
    period: number | undefined,
    reassert: boolean,
    onReport: ((report: PolicyReport) => void) | undefined,
  ) {
    this.#filter = filter;
    this.#settings = settings;
    this.#period = period;
    this.#reassert = reassert;
    this.#onReport = onReport;
    this.#report = this.#tickAtOnce();
    this.#schedule();
  }

  get report(): PolicyReport {
    return this.#report;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  get sockets(): readonly ConfiguredSocket[] {
    return [...this.#configured.values()];
  }

  get stats(): PolicyStats {
    return { ...this.#totals, tracked: this.#configured.size, period: this.#stopped ? 0 : this.#nextPeriod() };
  }

  refresh(): PolicyReport {
    // A timer tick half done ends first, at once: this one starts from what that one found.
    this.#ticking?.finish();
    this.#report = this.#tickAtOnce();
    return this.#report;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimer(this.#timer);
    this.#timer = undefined;
    this.#ticking?.cancel();
    this.#ticking = undefined;
  }

  [Symbol.dispose](): void {
    this.stop();
  }

  #nextPeriod(): number {
    if (this.#period !== undefined) return this.#period;
    return Math.min(MAX_AUTO_PERIOD, Math.max(MIN_AUTO_PERIOD, Math.ceil(SHARE * this.#average)));
  }

  #schedule(): void {
    const period = this.#nextPeriod();
    if (this.#stopped || period === 0) return;
    this.#timer = unrefTimeout(() => {
      this.#timer = undefined;
      if (this.#stopped) return;
      // Shared with the event loop: slices of about SLICE_MS, a turn of the loop between two.
      const budget = new Budget();
      const run = new Slices(this.#tick(budget), budget, (outcome) => {
        if (this.#ticking === run) this.#ticking = undefined;
        if ("value" in outcome) this.#finished(outcome.value);
        else {
          this.#report = emptyReport(Date.now(), 0, outcome.error as Error);
          this.#deliver(this.#report);
        }
        this.#schedule();
      });
      this.#ticking = run;
      run.start();
    }, period);
  }

  /** A whole tick now (the first, and refresh()), its report delivered before it returns. */
  #tickAtOnce(): PolicyReport {
    let outcome: Outcome<PolicyReport> | undefined;
    const budget = new Budget();
    const run = new Slices(this.#tick(budget), budget, (o) => outcome = o);
    this.#ticking = run;
    try {
      run.finish();
    } finally {
      if (this.#ticking === run) this.#ticking = undefined;
    }
    // Stopped from inside the tick (by a listener it called): nothing more to report.
    if (outcome === undefined) return emptyReport(Date.now(), budget.spent());
    if ("error" in outcome) throw outcome.error;
    this.#finished(outcome.value);
    return outcome.value;
  }

  #finished(report: PolicyReport): void {
    this.#report = report;
    const { configured, reasserted, failed, skipped, gone } = report;
    if (configured.length + reasserted.length + failed.length + skipped.length + gone > 0) this.#deliver(report);
  }

  *#tick(budget: Budget): Work<PolicyReport> {
    const at = Date.now();
    const full = at - this.#lastFull >= FULL_SCAN_EVERY;
    const found = yield* this.#scanner.scan(full, budget);
    if (full) this.#lastFull = at;
    const configured: ConfiguredSocket[] = [];
    const reasserted: ConfiguredSocket[] = [];
    const failed: SkippedSocket[] = [];
    const skipped: SkippedSocket[] = found.others.map(({ fd, kind, detail }) => ({
      fd,
      kind,
      reason: "not-tcp" as const,
      detail,
    }));
    let gone = 0;
    for (const seen of found.removed) if (this.#configured.delete(seen.key)) gone++;
    for (const seen of found.added) {
      if (budget.due()) yield;
      seen.matched = mismatch(this.#filter, seen.socket) === undefined;
      if (seen.matched) this.#configure(seen, configured, failed);
    }
    for (const seen of found.changed) {
      if (budget.due()) yield;
      if (!seen.matched) {
        // A socket that was not connected yet may match now that it has a remote end.
        seen.matched = mismatch(this.#filter, seen.socket) === undefined;
        if (seen.matched) this.#configure(seen, configured, failed);
      } else if (seen.configuredIn !== undefined && STATE_CONFIGURE_AGAIN.has(seen.configuredIn)) {
        this.#configure(seen, configured, failed); // connected since: the connect may have changed values
      } else {
        const before = this.#configured.get(seen.key);
        if (before !== undefined) this.#configured.set(seen.key, { ...before, ...stateOf(seen) });
      }
    }
    if (this.#reassert) yield* this.#reassertAll(found.added, found.changed, reasserted, failed, budget);
    else this.#checkRecent(reasserted, failed);
    const duration = budget.spent();
    this.#average = this.#totals.ticks === 0 ? duration : 0.8 * this.#average + 0.2 * duration;
    this.#totals.ticks++;
    this.#totals.busy += duration;
    this.#totals.configured += configured.length;
    this.#totals.reasserted += reasserted.length;
    this.#totals.failed += failed.length;
    const report: PolicyReport = {
      at,
      duration,
      seen: found.seen,
      matched: this.#configured.size,
      configured,
      reasserted,
      failed,
      skipped,
      gone,
    };
    return report;
  }

  #configure(seen: Seen, configured: ConfiguredSocket[], failed: SkippedSocket[]): void {
    try {
      // Closed and its number reused since the scan found it: the next tick meets the new socket.
      if (!stillHolds(seen)) return;
      applySettings(seen.fd, this.#settings);
      const done = readBack(seen.socket, this.#settings);
      seen.configuredIn = seen.socket.state;
      this.#configured.set(seen.key, done);
      configured.push(done);
      if (!this.#reassert) this.#now.push(seen);
    } catch (error) {
      const failure = failureOf(seen, error);
      if (failure === undefined) return;
      seen.configuredIn = seen.socket.state;
      failed.push(failure);
    }
  }

  /**
   * Sets `seen`'s values again if a driver overwrote those read back `before`: judged by every
   * value (`reassert`), or by the two a driver's connect handler changes ({@link overwritten}).
   */
  #setAgain(
    seen: Seen,
    before: ConfiguredSocket,
    everyValue: boolean,
    reasserted: ConfiguredSocket[],
    failed: SkippedSocket[],
  ): void {
    try {
      if (!stillHolds(seen)) return;
      if (everyValue ? !drifted(before, readBack(seen.socket, this.#settings)) : !overwritten(before)) return;
      applySettings(seen.fd, this.#settings);
      const done = readBack(seen.socket, this.#settings);
      this.#configured.set(seen.key, done);
      reasserted.push(done);
    } catch (error) {
      const failure = failureOf(seen, error);
      if (failure !== undefined) failed.push(failure);
    }
  }

  /**
   * A driver sets its own keep-alive in its connect handler, which can run after the tick that
   * configured the socket (postgres, ioredis and Bun's SQL do): so each socket is checked once
   * more on the next tick, and set again if its values were overwritten.
   */
  #checkRecent(reasserted: ConfiguredSocket[], failed: SkippedSocket[]): void {
    const recent = this.#recent;
    this.#recent = this.#now;
    this.#now = [];
    const again = new Set(this.#recent);
    for (const seen of recent) {
      // Gone, or configured again by this very tick (it connected since).
      if (again.has(seen) || this.#scanner.known.get(seen.key) !== seen) continue;
      const before = this.#configured.get(seen.key);
      if (before !== undefined) this.#setAgain(seen, before, false, reasserted, failed);
    }
  }

  *#reassertAll(
    added: Seen[],
    changed: Seen[],
    reasserted: ConfiguredSocket[],
    failed: SkippedSocket[],
    budget: Budget,
  ): Work<void> {
    const justDone = new Set([...added, ...changed].map((s) => s.key));
    for (const [key, before] of this.#configured) {
      if (budget.due()) yield;
      if (justDone.has(key)) continue;
      const seen = this.#scanner.known.get(key);
      if (seen === undefined) continue;
      this.#setAgain(seen, before, true, reasserted, failed);
    }
  }

  #deliver(report: PolicyReport): void {
    if (this.#onReport === undefined) return;
    try {
      this.#onReport(report);
    } catch (error) {
      // A failing logger must not stop the policy, nor go unseen.
      console.error("sockopts: keepConfigured's onReport threw:", error);
    }
  }
}

const TWO32 = 2 ** 32;

/**
 * Whether `seen`'s fd still holds the socket the scan found there (Linux: the same cookie, one
 * `getsockopt`), so that a socket closed meanwhile never passes its settings to whatever took its
 * number. Elsewhere sockets are known by fd and addresses, and this is true.
 */
function stillHolds(seen: Seen): boolean {
  if (typeof seen.key !== "number") return true;
  return holdsCookie(seen.fd, seen.key % TWO32, Math.floor(seen.key / TWO32));
}

/**
 * Keeps every TCP socket of this process that matches `filter` configured with `settings`, for as
 * long as the policy runs: sockets that appear later (a pool growing, a driver reconnecting) are
 * configured on the next tick, a socket still connecting is configured at once and again once
 * established, each is checked once more on the tick after (a driver's connect handler may have
 * set its own keep-alive) and set again if it was, and with `reassert` values a driver overwrote
 * at any time are set again. A socket is known by
 * the kernel's identity (Linux: its cookie; elsewhere fd and addresses), so a reused fd number is
 * a new socket. The first tick runs before this returns; then a timer that never keeps the
 * process alive ticks every `period` ms, and {@link SocketPolicy.refresh} ticks on demand. A
 * timer tick shares the event loop: its work (tens of ms of system calls at 20,000 fds) runs in
 * slices of about 2 ms with a turn of the loop between two; the first tick and `refresh()` run
 * theirs at once, since their callers wait for the report. Like an interval, a policy runs until
 * `stop()`: its timer holds it, so one whose value is dropped keeps configuring sockets (one that
 * stopped when garbage-collected would stop at a moment nobody chose, leaving the sockets opened
 * after it unconfigured without a word).
 *
 * @param filter Which sockets, as {@link configureSockets} takes it.
 * @param settings What to apply, as {@link configureSockets} takes it (`{ detectWithin }` is the usual choice).
 * @param options `{ period?, reassert?, onReport? }`.
 * @returns The running policy: `refresh()`, `report`, `stats`, `sockets`, `stop()`, and `using`.
 * @throws {TypeError} / {RangeError} for a bad filter, setting or option, before any system call.
 * @throws {UnsupportedError} on an OS or runtime sockopts cannot drive.
 *
 * @example Every PostgreSQL connection of a growing pool notices a dead server within 30 s
 * ```ts
 * import { keepConfigured } from "jsr:@sockopts/sockopts";
 *
 * using policy = keepConfigured({ remotePort: 5432 }, { detectWithin: 30_000 }, {
 *   onReport: (r) => r.failed.forEach((f) => console.warn(f.detail)),
 * });
 * // … the pool opens, grows and reconnects; each new socket is configured within one period.
 * console.log(policy.stats);
 * ```
 */
export function keepConfigured(
  filter: SocketFilter,
  settings: SocketSettings,
  options: PolicyOptions = {},
): SocketPolicy {
  const f = checkFilter(filter);
  const s = checkSettings(settings);
  const o = checkPolicyOptions(options);
  return new Policy(f, s, o.period, o.reassert, o.onReport);
}
