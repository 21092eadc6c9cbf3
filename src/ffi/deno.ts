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

function open(paths: readonly string[], names: SymbolNames): Library {
  const table = {
    ...SYMBOLS,
    errno_location: { ...SYMBOLS.errno_location, name: names.errno_location },
    readdir: { ...SYMBOLS.readdir, name: names.readdir },
  };
  const failures: string[] = [];
  for (const path of paths) {
    let lib;
    try {
      lib = Deno.dlopen(path, table);
    } catch (error) {
      if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
        throw new PermissionError(
          `Cannot load ${path}: Deno needs --allow-ffi to call setsockopt (run with \`deno run --allow-ffi\`)`,
          { cause: error },
        );
      }
      failures.push(`${path}: ${(error as Error).message}`);
      continue;
    }
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
  throw new Error(`Cannot load libc: ${failures.join("; ")}`);
}

/**
 * The OS as {@link denoAdapter} would report it, or `undefined` when this is not Deno: for
 * `isSupported`, whose bundle then carries no binding code.
 */
export function denoOs(): string | undefined {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (deno === undefined || typeof deno.dlopen !== "function" || deno.build === undefined) return undefined;
  return deno.build.os;
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
