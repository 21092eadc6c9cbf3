/**
 * What a scenario reports for each handle it tried, with and without sockopts, and the helpers
 * its variants share. A scenario only measures; tests/e2e.test.ts holds the expectations.
 */
import type { Ending } from "./ending.ts";

/** One variant of one scenario: a handle kind, configured by sockopts or left alone (the control). */
export interface Observation {
  /** The handle kind: `Deno.Conn`, `Bun socket`, `node:net`, `Bun.serve`, … */
  readonly handle: string;
  /** Configured through sockopts (`false`: the control, left as the runtime made it). */
  readonly library: boolean;
  /** What ended the connection (`ETIMEDOUT`, …), or null if it was still open when watching stopped. */
  readonly code: string | null;
  /** ms from the scenario's start mark (packets cut, data written) to the ending, or to the end of watching. */
  readonly ms: number;
  /** Facts particular to the scenario. */
  readonly facts: Record<string, unknown>;
  /** Set when the variant itself threw, instead of measuring. */
  readonly error?: string;
}

/** What a scenario child prints, as its last stdout line, after this prefix. */
export const RESULT_PREFIX = "E2E-RESULT ";

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits for `ended` for at most `watchMs` after `start`: the ending's code and its time since
 * `start`, or null and the time watched.
 */
export async function watch(
  ended: Promise<Ending>,
  start: number,
  watchMs: number,
): Promise<{ code: string | null; ms: number }> {
  const timeout = Symbol("timeout");
  // Timers may fire a fraction of a millisecond early: wait until the full time has passed.
  for (let left = start + watchMs - performance.now(); left > 0; left = start + watchMs - performance.now()) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      ended,
      new Promise<typeof timeout>((resolve) => (timer = setTimeout(() => resolve(timeout), Math.ceil(left)))),
    ]);
    clearTimeout(timer);
    if (outcome !== timeout) return { code: outcome.code, ms: Math.round(outcome.at - start) };
  }
  return { code: null, ms: Math.round(performance.now() - start) };
}

/** Runs one variant, turning a throw into an observation that says so. */
export async function variant(
  handle: string,
  library: boolean,
  run: () => Promise<Omit<Observation, "handle" | "library">>,
): Promise<Observation> {
  try {
    return { handle, library, ...(await run()) };
  } catch (error) {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { handle, library, code: null, ms: 0, facts: {}, error: text };
  }
}

/** A round trip through an echo server, so a scenario starts from a connection known to work. */
export async function roundTrip(
  client: { write(text: string): void; nextData(ms: number): Promise<string | undefined> },
  text = "hello",
): Promise<void> {
  client.write(text);
  const echoed = await client.nextData(2_000);
  if (echoed !== text) throw new Error(`round trip before the scenario failed: sent ${text}, got ${echoed}`);
}
