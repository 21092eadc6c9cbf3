/**
 * One option's value between the caller and the kernel, by the kernel's unit: checked and
 * converted before any system call ({@link encodeOption}), written ({@link writeOption}) and read
 * back into the caller's unit ({@link readOption}). Int-sized units go through the
 * allocation-free `setInt` / `getInt`; names, `struct linger` and u64s through the value area.
 *
 * @module
 */
import type { OptionConstant } from "../../platforms/types.ts";
import { getBytes, getInt, setBytes, setInt } from "../sys/libc.ts";
import { valueBytes } from "../sys/native.ts";
import {
  fromKernelDuration,
  toKernelBool,
  toKernelCount,
  toKernelDuration,
  toKernelLinger,
  toKernelString,
} from "../values.ts";

/**
 * SO_LINGER's value: whether close() lingers, and for how many whole seconds.
 *
 * @example Letting close() wait up to 5 seconds for unsent data
 * ```ts
 * import { type Linger, setOption } from "jsr:@sockopts/sockopts";
 *
 * export function lingerOnClose(fd: number): void {
 *   const linger: Linger = { enable: true, seconds: 5 };
 *   setOption(fd, "SO_LINGER", linger);
 * }
 * ```
 */
export interface Linger {
  /** close() waits for unsent data (or, with 0 seconds, resets the connection). */
  readonly enable: boolean;
  /** How long close() may wait, in whole seconds. */
  readonly seconds: number;
}

/** A value as the caller sees it. */
export type OptionJsValue = boolean | number | string | bigint | Linger;

/** A value checked and converted to the kernel's unit, ready for {@link writeOption}. */
export type KernelValue = number | string | { readonly onoff: number; readonly seconds: number };

const encoder = /* @__PURE__ */ new TextEncoder();
const decoder = /* @__PURE__ */ new TextDecoder();

/**
 * Checks a caller's value against the option's type and the kernel's range, and converts it to
 * the kernel's unit. Makes no system call.
 * @param field Names a boolean inside a larger value (`enable`), for messages.
 * @throws {TypeError} for a value of the wrong type.
 * @throws {RangeError} for a value outside the kernel's range.
 */
export function encodeOption(option: string, constant: OptionConstant, value: unknown, field?: string): KernelValue {
  switch (constant.unit) {
    case "string":
      return toKernelString(option, constant, value);
    case "struct":
      return toKernelLinger(option, constant, value);
    case "bigint":
      throw new TypeError(`Cannot set ${option}: it is read-only`);
    default:
      return encodeNumber(option, constant, value, field);
  }
}

// The units that are one int in the kernel: all that keep-alive and the user timeout use, apart so
// that what sets only those carries no string or struct code.
type NumberUnit = Exclude<OptionConstant["unit"], "string" | "struct" | "bigint">;

function numberUnit(option: string, constant: OptionConstant): NumberUnit {
  const { unit } = constant;
  if (unit === "string" || unit === "struct" || unit === "bigint") {
    throw new TypeError(`Cannot use ${option}: its kernel value is a ${unit}, not an int`);
  }
  return unit;
}

/**
 * {@link encodeOption} for an option whose kernel value is one int (bool, int, flag, bytes,
 * seconds, ms): the same checks and conversion.
 * @param field Names a boolean inside a larger value (`enable`), for messages.
 * @throws {TypeError} for a value of the wrong type.
 * @throws {RangeError} for a value outside the kernel's range.
 */
export function encodeNumber(option: string, constant: OptionConstant, value: unknown, field?: string): number {
  switch (numberUnit(option, constant)) {
    case "bool":
      return toKernelBool(option, constant, value, field);
    case "int":
    case "flag":
    case "bytes":
      return toKernelCount(option, constant, value);
    case "seconds":
    case "ms":
      return toKernelDuration(option, constant, value);
  }
}

/** Sets an option to a value {@link encodeOption} returned for the same constant. */
export function writeOption(fd: number, option: string, constant: OptionConstant, value: KernelValue): void {
  if (typeof value === "number") {
    setInt(fd, option, constant, value);
  } else if (typeof value === "string") {
    // ASCII only (checked), so one byte a character; the kernel needs no NUL.
    const { written } = encoder.encodeInto(value, valueBytes("setsockopt"));
    setBytes(fd, option, constant, written);
  } else if (constant.size === 4) {
    // Winsock's struct linger: two u_shorts.
    const view = new DataView(valueBytes("setsockopt").buffer, valueBytes("setsockopt").byteOffset, 4);
    view.setUint16(0, value.onoff, true); // l_onoff
    view.setUint16(2, value.seconds, true); // l_linger
    setBytes(fd, option, constant, 4);
  } else {
    const view = new DataView(valueBytes("setsockopt").buffer, valueBytes("setsockopt").byteOffset, 8);
    view.setInt32(0, value.onoff, true); // l_onoff
    view.setInt32(4, value.seconds, true); // l_linger
    setBytes(fd, option, constant, 8);
  }
}

/** Reads an option and converts it to the caller's unit (durations in ms, flags as booleans). */
export function readOption(fd: number, option: string, constant: OptionConstant): OptionJsValue {
  switch (constant.unit) {
    default:
      return readNumber(fd, option, constant);
    case "string": {
      const length = getBytes(fd, option, constant, constant.size ?? 16);
      const bytes = valueBytes("getsockopt").subarray(0, length);
      const end = bytes.indexOf(0);
      return decoder.decode(end === -1 ? bytes : bytes.subarray(0, end));
    }
    case "struct": {
      const size = constant.size ?? 8;
      getBytes(fd, option, constant, size);
      const view = new DataView(valueBytes("getsockopt").buffer, valueBytes("getsockopt").byteOffset, 8);
      // Winsock's struct linger is two u_shorts; the others two ints.
      if (size === 4) return { enable: view.getUint16(0, true) !== 0, seconds: view.getUint16(2, true) };
      return { enable: view.getInt32(0, true) !== 0, seconds: view.getInt32(4, true) };
    }
    case "bigint": {
      getBytes(fd, option, constant, 8);
      return new DataView(valueBytes("getsockopt").buffer, valueBytes("getsockopt").byteOffset, 8).getBigUint64(
        0,
        true,
      );
    }
  }
}

/** {@link readOption} for an option whose kernel value is one int: the same conversion. */
export function readNumber(fd: number, option: string, constant: OptionConstant): boolean | number {
  switch (numberUnit(option, constant)) {
    case "bool":
      return getInt(fd, option, constant) !== 0;
    case "flag":
      return getInt(fd, option, constant) !== 0 ? 1 : 0;
    case "int":
    case "bytes":
      return getInt(fd, option, constant);
    case "seconds":
    case "ms":
      return fromKernelDuration(constant, getInt(fd, option, constant));
  }
}
