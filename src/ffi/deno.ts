/**
 * Deno's FFI: `Deno.dlopen` over the shared symbol table. The only file that names `Deno`'s FFI.
 *
 * @module
 */
import { PermissionError } from "../errors.ts";
import type { Library, RuntimeAdapter } from "./adapter.ts";
import { type Pointer, type SymbolNames, SYMBOLS, type Symbols } from "./symbols.ts";

// Keeps the shared table honest against Deno's own types.
const _checked: Deno.ForeignLibraryInterface = SYMBOLS satisfies Deno.ForeignLibraryInterface;

type Table = typeof SYMBOLS & {
  readonly errno_location: (typeof SYMBOLS)["errno_location"] & { readonly name: string };
  readonly readdir: (typeof SYMBOLS)["readdir"] & { readonly name: string };
};

function bind(path: string, lib: Deno.DynamicLibrary<Table>): Library {
  const symbols = lib.symbols as unknown as Symbols;
  // errno lives at a fixed per-thread address; reading it through a view made once avoids an
  // FFI call (and the V8 work around it) between the failing call and the read.
  const view = new Deno.UnsafePointerView(lib.symbols.errno_location()!);
  return {
    path,
    symbols,
    pointerOf: (bytes) => Deno.UnsafePointer.of(bytes) as unknown as Pointer,
    errno: () => view.getInt32(0),
    isNull: (pointer) => pointer === null,
    cString: (pointer, offset) => Deno.UnsafePointerView.getCString(pointer as unknown as Deno.PointerObject, offset),
    copyInto: (pointer, offset, into) =>
      Deno.UnsafePointerView.copyInto(pointer as unknown as Deno.PointerObject, into, offset),
  };
}

/** Whether `--allow-ffi` covers `path`, asked without prompting ("granted", "prompt", "denied"). */
function permission(path: string): Deno.PermissionState {
  try {
    return Deno.permissions.querySync({ name: "ffi", path }).state;
  } catch {
    return "granted"; // no permission API to ask: let dlopen decide
  }
}

function refused(error: unknown): boolean {
  return error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied;
}

function open(paths: readonly string[], names: SymbolNames, call: string): Library {
  const table: Table = {
    ...SYMBOLS,
    errno_location: { ...SYMBOLS.errno_location, name: names.errno_location },
    readdir: { ...SYMBOLS.readdir, name: names.readdir },
  };
  // Every path is asked about first (no prompt, nothing loaded), then only granted ones opened:
  // a narrow --allow-ffi=<path> then finds its path, and the user is asked at most once.
  const failures: string[] = [];
  const notAllowed: string[] = [];
  let ask: string | undefined;
  for (const path of paths) {
    const state = permission(path);
    if (state !== "granted") {
      notAllowed.push(path);
      if (state === "prompt") ask ??= path;
      continue;
    }
    try {
      return bind(path, Deno.dlopen(path, table));
    } catch (error) {
      failures.push(`${path}: ${refused(error) ? "not allowed by --allow-ffi" : (error as Error).message}`);
    }
  }
  if (ask !== undefined && failures.length === 0) {
    // Nothing granted: dlopen asks the user in a terminal, and refuses at once otherwise.
    try {
      return bind(ask, Deno.dlopen(ask, table));
    } catch (error) {
      if (!refused(error)) failures.push(`${ask}: ${(error as Error).message}`);
    }
  }
  const refusedText = notAllowed.length === 0 ? "" : `not allowed by --allow-ffi: ${notAllowed.join(", ")}`;
  const tried = [...failures, ...(refusedText === "" ? [] : [refusedText])].join("; ");
  if (notAllowed.length === 0) throw new Error(`Cannot load libc to call ${call}: ${tried}`);
  throw new PermissionError(
    `Cannot load libc to call ${call}: Deno needs --allow-ffi, or --allow-ffi=<libc's absolute path> ` +
      `such as ${paths.find((path) => path.startsWith("/")) ?? paths[0]} (tried ${tried})`,
  );
}

/** The Deno adapter, or `undefined` when this is not Deno (Bun's Deno shims included). */
export function denoAdapter(): RuntimeAdapter | undefined {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (deno === undefined || typeof deno.dlopen !== "function" || deno.build === undefined) return undefined;
  return {
    name: "deno",
    version: deno.version.deno,
    os: deno.build.os,
    arch: deno.build.arch,
    open,
  };
}
