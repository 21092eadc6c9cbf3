/**
 * A policy that follows the process's TCP sockets: every matching socket is configured once as it
 * appears (pools that grow, drivers that reconnect), again once a connecting socket is
 * established, again while it is new if a driver's connect handler overwrote the values, and, on
 * request, again whenever a driver overwrote them.
 *
 * @module
 */
export type { PolicyOptions, PolicyReport, PolicyStats, SocketPolicy } from "./policy_types.ts";
import type { SkippedSocket } from "./configure_result.ts";
import { addressCheck, cookieCheck, GONE, type SocketCheck, throughDuplicate } from "./duplicate.ts";
import { clearTimer, type TimerId, unrefTimeout } from "../ffi/timers.ts";
import type { PolicyReport, PolicyStats, SocketPolicy } from "./policy_types.ts";
import type { Scanner, Seen } from "./policy_scan.ts";
import { createScanner } from "./scanner.ts";
import { Budget, type Outcome, Slices, type Work } from "./policy_slices.ts";
import { emptyReport, failureOf, stateOf } from "./policy_report.ts";
import {
  applySettings,
  type CheckedFilter,
  type CheckedSettings,
  type ConfiguredSocket,
  drifted,
  mismatch,
  overwritten,
  readBack,
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

/**
 * How long after a tick saw a socket established its driver's connect handler may still be
 * pending, in ms: the runtime hands the connection to JavaScript on a later turn of the event
 * loop (Node and Bun: the next I/O poll; Deno: up to 154 ms later, measured with 200 connections
 * at once and the CPU saturated).
 */
const CONNECT_HANDLER_MS = 1_000;

/** Passed once the event loop has turned and {@link CONNECT_HANDLER_MS} have gone by (see #nextTurn). */
interface Turn {
  passed: boolean;
}

/** A running policy; {@link keepConfigured} (keep_configured.ts) checks its arguments and starts one. */
export class Policy implements SocketPolicy {
  #filter: CheckedFilter;
  #settings: CheckedSettings;
  #period: number | undefined;
  #reassert: boolean;
  #onReport: ((report: PolicyReport) => void) | undefined;
  #scanner: Scanner = createScanner();
  #configured = new Map<number | string, ConfiguredSocket>();
  /**
   * Sockets configured without `reassert`, checked again by every tick until their driver's
   * connect handler has had its chance: until a tick after their {@link Turn}, which starts when
   * a tick sees them established (none while they are still connecting).
   */
  #watched = new Map<Seen, Turn | undefined>();
  /** The turn this tick waits for, once it configured an established socket. */
  #turn: Turn | undefined;
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
    this.#turn = undefined;
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
    else this.#checkWatched(configured, reasserted, failed);
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
      const done = throughDuplicate(seen.fd, checkOf(seen), (copy) => {
        applySettings(copy, this.#settings);
        return readBack(seen.socket, this.#settings, copy);
      });
      // Closed and its number reused since the scan found it: the next tick meets the new socket.
      if (done === GONE) return;
      seen.configuredIn = seen.socket.state;
      this.#configured.set(seen.key, done);
      configured.push(done);
      if (!this.#reassert) {
        this.#watched.set(seen, STATE_CONFIGURE_AGAIN.has(seen.socket.state) ? undefined : this.#nextTurn());
      }
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
      const done = throughDuplicate(seen.fd, checkOf(seen), (copy) => {
        const kept = everyValue
          ? !drifted(before, readBack(seen.socket, this.#settings, copy))
          : !overwritten(before, copy);
        if (kept) return undefined;
        applySettings(copy, this.#settings);
        return readBack(seen.socket, this.#settings, copy);
      });
      if (done === GONE || done === undefined) return;
      this.#configured.set(seen.key, done);
      reasserted.push(done);
    } catch (error) {
      const failure = failureOf(seen, error);
      if (failure !== undefined) failed.push(failure);
    }
  }

  /**
   * A driver sets its own keep-alive in its socket's connect handler, which runs on a later turn
   * of the event loop than the one where the kernel established the socket, so after any tick in
   * between (postgres, ioredis, pg with `keepAlive` and Bun's SQL do): each watched socket is
   * checked by every tick, and set again if its values were overwritten, until a tick after its
   * turn. One check on the next tick is not enough: a pool's connect hooks call `refresh()` many
   * times before other connections' handlers have run.
   */
  #checkWatched(configured: ConfiguredSocket[], reasserted: ConfiguredSocket[], failed: SkippedSocket[]): void {
    const justDone = new Set(configured.map((c) => c.fd));
    for (const [seen, turn] of this.#watched) {
      if (this.#scanner.known.get(seen.key) !== seen) {
        this.#watched.delete(seen); // gone
        continue;
      }
      if (justDone.has(seen.fd)) continue; // configured by this very tick
      const before = this.#configured.get(seen.key);
      if (before !== undefined) this.#setAgain(seen, before, false, reasserted, failed);
      if (turn?.passed) this.#watched.delete(seen);
    }
  }

  /**
   * The turn this tick's established sockets wait for: two unref'd timers in a row, the first
   * after {@link CONNECT_HANDLER_MS}, so that it passes only once that time has gone by and the
   * event loop has polled for I/O since (a first timer can run just before the poll that delivers
   * the connection).
   */
  #nextTurn(): Turn {
    if (this.#turn !== undefined) return this.#turn;
    const turn: Turn = { passed: false };
    unrefTimeout(() => unrefTimeout(() => (turn.passed = true), 0), CONNECT_HANDLER_MS);
    this.#turn = turn;
    return turn;
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
 * How to tell a duplicate of `seen`'s fd holds the socket the scan found there (Linux: the same
 * cookie, one `getsockopt`; elsewhere both addresses), so that a socket closed meanwhile never
 * passes its settings to whatever took its number, in this thread or another.
 */
function checkOf(seen: Seen): SocketCheck {
  if (typeof seen.key !== "number") return addressCheck(seen.socket);
  return cookieCheck(seen.key % TWO32, Math.floor(seen.key / TWO32));
}
