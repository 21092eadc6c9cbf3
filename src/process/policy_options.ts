/**
 * keepConfigured's own options (`period`, `reassert`, `onReport`), checked before anything runs.
 *
 * @module
 */
import type { PolicyReport } from "./policy_types.ts";

const OPTION_FIELDS = ["period", "reassert", "onReport"];

/** The options, checked: period in ms (undefined: adaptive), reassert, onReport. */
export function checkPolicyOptions(
  options: unknown,
): { period: number | undefined; reassert: boolean; onReport: ((r: PolicyReport) => void) | undefined } {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(
      `Cannot keep sockets configured: expected an options object, got ${options === null ? "null" : typeof options}`,
    );
  }
  for (const key in options) {
    if (!OPTION_FIELDS.includes(key)) {
      throw new TypeError(
        `Cannot keep sockets configured: unknown option "${key}" (expected ${OPTION_FIELDS.join(", ")})`,
      );
    }
  }
  const { period, reassert, onReport } = options as Record<string, unknown>;
  if (
    period !== undefined &&
    (typeof period !== "number" || !Number.isFinite(period) || period < 0 || period > 2_147_483_647)
  ) {
    throw new RangeError(`Cannot keep sockets configured: period ${String(period)} is outside 0..2147483647 ms`);
  }
  if (reassert !== undefined && typeof reassert !== "boolean") {
    throw new TypeError(`Cannot keep sockets configured: reassert must be a boolean, got ${typeof reassert}`);
  }
  if (onReport !== undefined && typeof onReport !== "function") {
    throw new TypeError(`Cannot keep sockets configured: onReport must be a function, got ${typeof onReport}`);
  }
  return {
    period: period as number | undefined,
    reassert: reassert === true,
    onReport: onReport as ((r: PolicyReport) => void) | undefined,
  };
}
