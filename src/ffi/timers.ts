/**
 * Timers that never keep the process alive: Bun's and Node's timer objects have `unref()`, Deno's
 * numeric timer ids go to `Deno.unrefTimer`. The only file outside the adapters that names `Deno`.
 *
 * @module
 */

/** An id `setTimeout` returned, in any runtime. */
export type TimerId = ReturnType<typeof setTimeout>;

/**
 * Starts a one-shot timer that does not keep the process alive.
 * @param run What to run.
 * @param ms After how many ms.
 * @returns The id, for `clearTimeout`.
 */
export function unrefTimeout(run: () => void, ms: number): TimerId {
  const id = setTimeout(run, ms);
  const object = id as unknown as { unref?: () => void };
  if (typeof object === "object" && object !== null && typeof object.unref === "function") {
    object.unref();
  } else {
    const deno = (globalThis as { Deno?: { unrefTimer?: (id: number) => void } }).Deno;
    deno?.unrefTimer?.(id as unknown as number);
  }
  return id;
}
