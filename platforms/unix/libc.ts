/**
 * What a Unix backend binds: libc alone, found by the OS's names and paths, with errno read
 * through the OS's accessor.
 *
 * @module
 */
import { type BindPlan, libcPlan } from "../../src/ffi/symbols.ts";
import { libcCandidates } from "./libc_paths.ts";
import type { UnixConstants } from "../types.ts";

/**
 * The bind plan for a Unix OS on one architecture.
 *
 * @param platform The OS's constants (`libc`, `libcPaths`, `errnoAccessor`, `readdirSymbol`).
 * @param arch `x86_64` or `aarch64` (another name binds the x86_64 spellings).
 * @returns libc's candidates, {@link SYMBOLS} with the OS's extras, errno through its accessor.
 */
export function unixLibc(platform: UnixConstants, arch: string): BindPlan {
  return libcPlan(libcCandidates(platform, arch), {
    errno_location: platform.errnoAccessor,
    readdir: platform.readdirSymbol[arch === "aarch64" ? "aarch64" : "x86_64"],
    os: platform.os === "windows" ? undefined : platform.os,
  });
}
