/** How a connection ended, recorded once, whichever of a runtime's events reports it first. */

/** An error code such as `ETIMEDOUT` (or `eof`, `closed`, an error's name), and performance.now() when it came. */
export interface Ending {
  readonly code: string;
  readonly at: number;
}

/** The `code` of a runtime's error (`ETIMEDOUT`), or else its name (`Interrupted`, `AbortError`). */
export function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") return code;
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === "string" ? name : String(error);
}

/** A promise of the first {@link Ending}, and the function that records it (later calls are ignored). */
export function endingSignal(): { ended: Promise<Ending>; end: (code: string) => void } {
  let end!: (code: string) => void;
  const ended = new Promise<Ending>((resolve) => {
    let done = false;
    end = (code) => {
      if (done) return;
      done = true;
      resolve({ code, at: performance.now() });
    };
  });
  return { ended, end };
}
