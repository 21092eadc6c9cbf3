/**
 * keepConfigured's own options (`period`, `reassert`, `onReport`), checked before anything runs.
 *
 * @module
 */
import type { PolicyReport } from "./policy_types.ts";
import { copyOptions, describeValue } from "../values.ts";

const ACTION = "Cannot keep sockets configured";
const OPTION_FIELDS = ["period", "reassert", "onReport"];

/** The options, checked: period in ms (undefined: adaptive), reassert, onReport. */
export function checkPolicyOptions(
  options: unknown,
): { period: number | undefined; reassert: boolean; onReport: ((r: PolicyReport) => void) | undefined } {
  // A plain object only (undefined: none), each field read once: no inherited key, no class instance.
  const { period, reassert, onReport } = copyOptions(ACTION, "an options object", options, OPTION_FIELDS);
  if (period !== undefined) {
    if (typeof period !== "number") {
      throw new TypeError(`${ACTION}: period must be a number of milliseconds, got ${describeValue(period)}`);
    }
    if (!(period >= 0 && period <= 2_147_483_647)) {
      throw new RangeError(`${ACTION}: period ${period} is outside 0..2147483647 ms`);
    }
  }
  if (reassert !== undefined && typeof reassert !== "boolean") {
    throw new TypeError(`${ACTION}: reassert must be a boolean, got ${describeValue(reassert)}`);
  }
  if (onReport !== undefined && typeof onReport !== "function") {
    throw new TypeError(`${ACTION}: onReport must be a function, got ${describeValue(onReport)}`);
  }
  return {
    period: period as number | undefined,
    reassert: reassert === true,
    onReport: onReport as ((r: PolicyReport) => void) | undefined,
  };
}
