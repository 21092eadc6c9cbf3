/**
 * Timers that never keep the process alive: Bun's and Node's timer objects have `unref()`, Deno's
 * numeric timer ids go to `Deno.unrefTimer`. The only file outside the adapters that names `Deno`.
 *
 * @module
 */

// The timer functions every runtime has, declared here so the package builds without DOM types.
interface Timers {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}
const timers = globalThis as unknown as Timers;

/** An id a timer started here returned, in any runtime. */
export type TimerId = unknown;

/**
 * Starts a one-shot timer that does not keep the process alive.
 * @param run What to run.
 * @param ms After how many ms.
 * @returns The id, for {@link clearTimer}.
 */
export function unrefTimeout(run: () => void, ms: number): TimerId {
  const id = timers.setTimeout(run, ms);
  const object = id as { unref?: () => void } | null;
  if (typeof object === "object" && object !== null && typeof object.unref === "function") {
    object.unref();
  } else {
    const deno = (globalThis as { Deno?: { unrefTimer?: (id: number) => void } }).Deno;
    deno?.unrefTimer?.(id as number);
  }
  return id;
}

/** Stops a timer {@link unrefTimeout} started. */
export function clearTimer(id: TimerId): void {
  timers.clearTimeout(id);
}
