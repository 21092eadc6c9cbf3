/**
 * Joins an OS's core constants with the rest of its options into its full table.
 *
 * @module
 */
import type { CoreOptionName, OptionConstant, OptionName, PlatformConstants, PlatformTable } from "./types.ts";

/**
 * The full table: `core` with `more` options beside its own. Called with a pure annotation, so a
 * bundle that never reaches the full table drops the call and the options it adds.
 *
 * @param core The OS's core constants.
 * @param more Its other options.
 * @returns Both, as one table with every option.
 */
export function withOptions<C extends PlatformConstants>(
  core: C,
  more: { readonly [K in Exclude<OptionName, CoreOptionName>]: OptionConstant | null },
): C & PlatformTable {
  return { ...core, options: { ...core.options, ...more } };
}
