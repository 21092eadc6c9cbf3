/**
 * The core options (keep-alive, the user timeout) as the library's own functions set and read
 * them: from the host's core table and through the int-only paths of option_values.ts, the same
 * checks and conversions as `setOption` / `getOption`, so that what uses only these carries
 * neither the full OS tables nor the string and struct code.
 *
 * @module
 */
import type { CoreOptionName, OptionConstant } from "../../platforms/types.ts";
import { setInt } from "../sys/libc.ts";
import { encodeNumber, readNumber } from "./option_values.ts";
import type { OptionValue, WritableOptionName } from "./option_schema.ts";
import { currentHost, optionConstant } from "../sys/host.ts";

/**
 * A core option's constants on this OS (keep-alive, user timeout): from the host's core table, so
 * that what sets them does not carry the other options.
 * @throws {UnsupportedError} naming the OS where it lacks the option.
 */
export function hostOption(name: CoreOptionName): OptionConstant {
  return optionConstant(currentHost().platform, name);
}

/** A core option that can be set. */
type WritableCoreOption = WritableOptionName & CoreOptionName;

/**
 * Checks a value for core option `name` and converts it to the kernel's unit; no system call.
 * For the library's own functions, which have already resolved the socket.
 */
export function prepareOption<N extends WritableCoreOption>(
  name: N,
  constant: OptionConstant,
  value: unknown,
  field?: string,
): number {
  return encodeNumber(name, constant, value, field);
}

/** Sets core option `name` on `fd` to a value {@link prepareOption} returned. */
export function applyOption(fd: number, name: WritableCoreOption, constant: OptionConstant, value: number): void {
  setInt(fd, name, constant, value);
}

/** Reads core option `name` on `fd`, typed from the table. */
export function readOptionOf<N extends CoreOptionName>(fd: number, name: N, constant: OptionConstant): OptionValue<N> {
  return readNumber(fd, name, constant) as OptionValue<N>;
}
