/**
 * Which runtime and OS this is, decided once and without any permission.
 *
 * @module
 */
import type { OsBackend } from "../../platforms/backend.ts";
import { darwinBackend } from "../../platforms/darwin/backend.ts";
import { freebsdBackend } from "../../platforms/freebsd/backend.ts";
import { linuxBackend } from "../../platforms/linux/backend.ts";
import { windowsBackend } from "../../platforms/windows/backend.ts";
import type {
  CoreOptionName,
  OptionConstant,
  OptionName,
  PlatformConstants,
  PlatformTable,
} from "../../platforms/types.ts";
import { UnsupportedError } from "../errors.ts";
import type { RuntimeAdapter } from "../ffi/adapter.ts";
import { currentRuntime, describeOtherRuntime, runtimeOs } from "../ffi/runtime.ts";

// One backend per OS, each a folder of platforms/; their core tables hold the options every call
// reaches (the full tables are reached only through options.ts).
const BACKENDS: Readonly<Record<string, OsBackend>> = {
  linux: linuxBackend,
  darwin: darwinBackend,
  freebsd: freebsdBackend,
  windows: windowsBackend,
};

/** The runtime adapter, the OS backend and its constants sockopts runs with. */
export interface Host {
  readonly runtime: RuntimeAdapter;
  readonly platform: PlatformConstants;
  readonly backend: OsBackend;
}

let host: Host | undefined;
let unsupported: UnsupportedError | undefined;
let runsHere: boolean | undefined;

/**
 * Whether sockopts can run here: the same answer as {@link supportedHost}, without reaching the OS
 * tables, so that a bundle of `isSupported` alone carries none of them.
 */
export function runsOnThisHost(): boolean {
  if (runsHere === undefined) {
    const os = runtimeOs();
    runsHere = os === "linux" || os === "darwin" || os === "freebsd" || os === "windows";
  }
  return runsHere;
}

/**
 * The host for a runtime adapter, or the error every call will raise without one.
 * Exported for tests, which hand it adapters of other OSes.
 */
export function hostFor(runtime: RuntimeAdapter | undefined): Host | UnsupportedError {
  if (runtime === undefined) {
    const other = describeOtherRuntime();
    return new UnsupportedError(
      `Unsupported runtime: ${
        other.reason ?? `sockopts needs Deno, Bun or Node.js 26.9+, and ${other.name} has no FFI it can use`
      }`,
      other.os,
    );
  }
  const backend = BACKENDS[runtime.os];
  if (backend === undefined) {
    return new UnsupportedError(
      `Unsupported OS: sockopts runs on Linux, macOS, FreeBSD and Windows, not on ${runtime.os}`,
      runtime.os,
    );
  }
  return { runtime, platform: backend.constants, backend };
}

let override: Host | undefined;

/**
 * Makes `next` the host until called again with `undefined`. For tests that drive the
 * system-call layer of an OS they cannot run, through a recording adapter in place of libc;
 * call `dropNative()` (libc.ts) around it so the library is loaded for the host in force.
 */
export function overrideHost(next: Host | undefined): void {
  override = next;
}

/** The current host, or `undefined` where sockopts cannot run. */
export function supportedHost(): Host | undefined {
  if (override !== undefined) return override;
  if (host === undefined && unsupported === undefined) {
    const found = hostFor(currentRuntime());
    if (found instanceof UnsupportedError) unsupported = found;
    else host = found;
  }
  return host;
}

/**
 * The current host.
 * @throws {UnsupportedError} naming the OS or runtime where sockopts cannot run.
 */
export function currentHost(): Host {
  const found = supportedHost();
  if (found === undefined) {
    // A fresh error each time, so its stack points at the caller.
    const reason = unsupported!;
    throw new UnsupportedError(reason.message, reason.os);
  }
  return found;
}

/**
 * An option's constants on this OS: a core option from any table, any option from a full one.
 * @throws {UnsupportedError} where this OS has no such option.
 */
export function optionConstant(platform: PlatformConstants, name: CoreOptionName): OptionConstant;
export function optionConstant(platform: PlatformTable, name: OptionName): OptionConstant;
export function optionConstant(platform: PlatformConstants | PlatformTable, name: OptionName): OptionConstant {
  const constant = (platform as PlatformTable).options[name];
  if (constant === null) {
    throw new UnsupportedError(
      `Unsupported option: ${name} does not exist on ${platform.displayName} (${platform.os})`,
      platform.os,
      name,
    );
  }
  return constant;
}
