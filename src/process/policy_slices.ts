/**
 * How a policy tick shares the event loop. A tick's work is a generator that yields wherever it
 * may stop (between two recvs of the sock_diag dump, two getdents64 of the fd listing, a few
 * statx, a socket configured), and a {@link Budget} tells it when the slice's time is up. A
 * timer tick runs one slice, lets the event loop turn (an unref'd 0 ms timer), and runs the next,
 * until the work is done: at 20,000 fds a tick is tens of ms of system calls, and no slice holds
 * the loop much past {@link SLICE_MS}. The first tick and `refresh()` run theirs all at once,
 * because their callers wait for the report.
 *
 * @module
 */
import { clearTimer, type TimerId, unrefTimeout } from "../ffi/timers.ts";

/** How long a timer tick's slice holds the event loop before it yields at the next safe point, in ms. */
export const SLICE_MS = 2;

/** One tick's work: yields where it may stop for a turn of the event loop, returns its result. */
export type Work<T> = Generator<void, T, void>;

/** The time a tick's work may take before it yields, and the time it took in all. */
export class Budget {
  #until = Infinity;
  #began = -1;
  #spent = 0;

  /** Starts a slice of at most `ms` (Infinity: the rest of the work at once). */
  begin(ms: number): void {
    this.#began = performance.now();
    this.#until = this.#began + ms;
  }

  /** Ends the slice; its time counts in {@link spent}. */
  end(): void {
    this.#spent += performance.now() - this.#began;
    this.#began = -1;
    this.#until = Infinity;
  }

  /** Whether the slice's time is up: the work yields at its next safe point. */
  due(): boolean {
    return this.#until !== Infinity && performance.now() >= this.#until;
  }

  /** The ms of work so far, every slice's (the turns between them not counted). */
  spent(): number {
    return this.#spent + (this.#began < 0 ? 0 : performance.now() - this.#began);
  }
}

/** How a run of {@link Slices} ended. */
export type Outcome<T> = { readonly value: T } | { readonly error: unknown };

/** One tick's work, run a slice at a time on unref'd timers, or what is left of it at once. */
export class Slices<T> {
  readonly #work: Work<T>;
  readonly #budget: Budget;
  readonly #done: (outcome: Outcome<T>) => void;
  #timer: TimerId | undefined;
  #running = false;
  #over = false;

  /**
   * @param work The tick's work, given `budget`.
   * @param budget What the work asks whether its slice is up.
   * @param done Told once, when the work returns or throws (not when cancelled).
   */
  constructor(work: Work<T>, budget: Budget, done: (outcome: Outcome<T>) => void) {
    this.#work = work;
    this.#budget = budget;
    this.#done = done;
  }

  /** Whether a slice is running now: the work is on the stack. */
  get running(): boolean {
    return this.#running;
  }

  /** Runs a slice now, and the next ones each after a turn of the event loop. */
  start(): void {
    this.#slice(SLICE_MS);
  }

  /**
   * Runs what is left of the work at once, telling `done` before it returns.
   * @throws {Error} when called from inside the work (a listener it called): it cannot wait for itself.
   */
  finish(): void {
    if (this.#over) return;
    if (this.#running) throw new Error("Cannot refresh a keepConfigured policy from inside its own tick");
    if (this.#timer !== undefined) clearTimer(this.#timer);
    this.#timer = undefined;
    this.#slice(Infinity);
  }

  /**
   * Abandons the work (its `finally` blocks run: readers close); `done` is not told. From inside
   * the work (a listener it called), the work stops where it next yields or returns.
   */
  cancel(): void {
    if (this.#over) return;
    this.#over = true;
    if (this.#timer !== undefined) clearTimer(this.#timer);
    this.#timer = undefined;
    if (!this.#running) this.#work.return(undefined as T);
  }

  #slice(ms: number): void {
    let step: IteratorResult<void, T> | { error: unknown };
    this.#budget.begin(ms);
    this.#running = true;
    try {
      // Without a limit the work does not yield; should it, it goes on all the same.
      do step = this.#work.next(); while (!step.done && ms === Infinity && !this.#over);
    } catch (error) {
      step = { error };
    } finally {
      this.#running = false;
      this.#budget.end();
    }
    if (this.#over) this.#work.return(undefined as T); // cancelled from inside
    else if ("error" in step) this.#end(step);
    else if (step.done) this.#end({ value: step.value });
    else this.#timer = unrefTimeout(() => (this.#timer = undefined, this.#slice(SLICE_MS)), 0);
  }

  #end(outcome: Outcome<T>): void {
    this.#over = true;
    this.#done(outcome);
  }
}
