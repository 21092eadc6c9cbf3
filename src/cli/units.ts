/**
 * Durations as operators write and read them: `30s`, `5m`, `1500ms`, `1h30m` on the way in (a
 * bare number is refused: tools disagree on seconds and milliseconds), and the same units on the
 * way out, on every number of the table.
 *
 * @module
 */
import { usage } from "./errors.ts";

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/**
 * Reads a duration given on the command line.
 * @param flag The flag it was given to, for messages (`--idle`).
 * @param text What followed the flag.
 * @returns The duration in milliseconds.
 * @throws {CliError} (usage) for a bare number, with a hint, or anything else that is no duration.
 * @example Reading `--idle 1m30s`
 * ```ts
 * import { parseDuration } from "./units.ts";
 *
 * console.log(parseDuration("--idle", "1m30s")); // 90000
 * ```
 */
export function parseDuration(flag: string, text: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) {
    throw usage(
      `Cannot read ${flag}: ${text} has no unit; write ${text}s, ${text}ms or ${text}m (a bare number is refused, ` +
        `because seconds and milliseconds are both common)`,
    );
  }
  let ms = 0;
  let at = 0;
  PART.lastIndex = 0;
  while (at < text.length) {
    PART.lastIndex = at;
    const match = PART.exec(text);
    if (match === null) break;
    ms += Number(match[1]) * UNIT_MS[match[2]];
    at = PART.lastIndex;
  }
  if (text === "" || at !== text.length || !Number.isFinite(ms)) {
    throw usage(`Cannot read ${flag}: "${text}" is not a duration; write it with a unit: 1500ms, 30s, 5m, 1h or 1m30s`);
  }
  return ms;
}

/**
 * A duration for the table, in the units it was given in: hours, minutes and whole seconds from a
 * minute up (`2h`, `1h30m`, `2h11m15s`, 75 s as `1m15s`), seconds with one decimal below that
 * (`1.5s`), and milliseconds below a second, with two decimals below 10 ms (round-trip times:
 * `0.05ms`).
 * @param ms The duration in milliseconds.
 * @returns The text.
 * @example Showing the kernel's default keep-alive times
 * ```ts
 * import { formatDuration } from "./units.ts";
 *
 * console.log(formatDuration(7_200_000), formatDuration(75_000), formatDuration(0.052)); // 2h 1m15s 0.05ms
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1_000) return `${Number(ms.toFixed(ms < 10 ? 2 : 0))}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1))}s`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [["h", 3600], ["m", 60], ["s", 1]] as const) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) parts.push(`${count}${unit}`);
  }
  return parts.join("");
}
