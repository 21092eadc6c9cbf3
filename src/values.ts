/**
 * Checks a caller's value and converts it to the kernel's unit, before any system call.
 * Durations arrive in milliseconds; options the kernel keeps in seconds round up, never down,
 * so a small positive value never becomes 0 (which Linux rejects and BSDs read as "default").
 *
 * @module
 */
import type { OptionConstant } from "../platforms/types.ts";
import { label } from "./libc.ts";

function show(value: unknown): string {
  if (typeof value === "string") return `string ${JSON.stringify(value)}`;
  if (typeof value === "bigint") return `bigint ${value}n`;
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `${typeof value} ${String(value)}`;
}

function rangeText(constant: OptionConstant): string {
  if (constant.unit === "seconds") {
    const zero = constant.zero === undefined ? "" : `, where 0 means ${constant.zero}`;
    // The smallest whole ms that rounds up to `min` seconds.
    const lowest = constant.min === 0 ? 0 : (constant.min - 1) * 1000 + 1;
    return `${lowest}..${constant.max * 1000} ms (the kernel keeps whole seconds, ` +
      `${constant.min}..${constant.max}, so milliseconds round up${zero})`;
  }
  const unit = constant.unit === "ms" ? " ms" : "";
  const zero = constant.zero === undefined ? "" : ` (0 means ${constant.zero})`;
  return `${constant.min}..${constant.max}${unit}${zero}`;
}

/** Milliseconds to the kernel's unit: seconds round up, milliseconds round up to whole ones. */
export function toKernelDuration(option: string, constant: OptionConstant, ms: unknown): number {
  const name = label(option, constant);
  if (typeof ms !== "number") {
    throw new TypeError(`Cannot set ${name}: expected a duration in milliseconds, got ${show(ms)}`);
  }
  if (!Number.isFinite(ms)) {
    throw new RangeError(`Cannot set ${name}: ${ms} is not a finite number of milliseconds`);
  }
  const value = Math.ceil(constant.unit === "seconds" ? ms / 1000 : ms);
  if (ms < 0 || value < constant.min || value > constant.max) {
    throw new RangeError(`Cannot set ${name}: ${ms} ms is outside ${rangeText(constant)}`);
  }
  return value;
}

/** The kernel's duration back to milliseconds. */
export function fromKernelDuration(constant: OptionConstant, value: number): number {
  return constant.unit === "seconds" ? value * 1000 : value;
}

/** A whole count, such as the number of keep-alive probes. */
export function toKernelCount(option: string, constant: OptionConstant, count: unknown): number {
  const name = label(option, constant);
  if (typeof count !== "number") {
    throw new TypeError(`Cannot set ${name}: expected a whole number, got ${show(count)}`);
  }
  if (!Number.isInteger(count)) {
    throw new RangeError(`Cannot set ${name}: ${count} is not a whole number`);
  }
  if (count < constant.min || count > constant.max) {
    throw new RangeError(`Cannot set ${name}: ${count} is outside ${rangeText(constant)}`);
  }
  return count;
}

/** A boolean flag, as 0 or 1. */
export function toKernelBool(option: string, constant: OptionConstant, flag: unknown, field: string): number {
  if (typeof flag !== "boolean") {
    throw new TypeError(`Cannot set ${label(option, constant)}: expected a boolean for ${field}, got ${show(flag)}`);
  }
  return flag ? 1 : 0;
}
