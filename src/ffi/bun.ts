/**
 * Bun's FFI: `bun:ffi` over the shared symbol table. The only file that names Bun.
 *
 * @module
 */
import type { Library, RuntimeAdapter } from "./adapter.ts";
import { type NativeType, type Pointer, type SymbolNames, SYMBOLS, type Symbols } from "./symbols.ts";

// The part of `bun:ffi` used here, declared locally so the package needs no Bun types to check.
interface BunFFI {
  dlopen(
    path: string,
    symbols: Record<string, { args: readonly string[]; returns: string }>,
  ): { symbols: Record<string, (...args: unknown[]) => unknown> };
  ptr(view: ArrayBufferView, byteOffset?: number): number;
  read: { i32(pointer: number, byteOffset: number): number; u8(pointer: number, byteOffset: number): number };
  CString: new (pointer: number, byteOffset?: number) => string;
}

interface BunGlobal {
  readonly version: string;
}

const BUN_TYPE: Record<NativeType, string> = { i32: "i32", u32: "u32", pointer: "ptr" };

// `bun:ffi` cannot be imported statically (Deno would fail to resolve it), and the API is
// synchronous, so load it through Bun's synchronous require.
function loadFFI(): BunFFI {
  return (import.meta as unknown as { require(id: string): BunFFI }).require("bun:ffi");
}

function open(paths: readonly string[], names: SymbolNames, call: string): Library {
  const ffi = loadFFI();
  // Bun has no per-symbol `name`, so renamed symbols are bound under their C names.
  const cName = (key: string) => (key in names ? names[key as keyof SymbolNames] : key);
  const table: Record<string, { args: readonly string[]; returns: string }> = {};
  for (const [key, symbol] of Object.entries(SYMBOLS)) {
    table[cName(key)] = {
      args: symbol.parameters.map((type: NativeType) => BUN_TYPE[type]),
      returns: BUN_TYPE[symbol.result],
    };
  }
  const failures: string[] = [];
  for (const path of paths) {
    let lib;
    try {
      lib = ffi.dlopen(path, table);
    } catch (error) {
      failures.push(`${path}: ${(error as Error).message}`);
      continue;
    }
    const bound = lib.symbols;
    const symbols = Object.fromEntries(
      Object.keys(SYMBOLS).map((key) => [key, bound[cName(key)]]),
    ) as unknown as Symbols;
    const errnoAddress = bound[names.errno_location]() as number;
    const read = ffi.read;
    return {
      path,
      symbols,
      pointerOf: (bytes) => ffi.ptr(bytes) as unknown as Pointer,
      errno: () => read.i32(errnoAddress, 0),
      isNull: (pointer) => (pointer as unknown) === null || (pointer as unknown) === 0,
      cString: (pointer, offset) => String(new ffi.CString(pointer as unknown as number, offset)),
      copyInto: (pointer, offset, into) => {
        for (let i = 0; i < into.length; i++) into[i] = read.u8(pointer as unknown as number, offset + i);
      },
    };
  }
  throw new Error(`Cannot load libc to call ${call}: ${failures.join("; ")}`);
}

const ARCH: Record<string, string> = { x64: "x86_64", arm64: "aarch64" };

/** The Bun adapter, or `undefined` when this is not Bun. */
export function bunAdapter(): RuntimeAdapter | undefined {
  const bun = (globalThis as { Bun?: BunGlobal }).Bun;
  const proc = (globalThis as { process?: { platform: string; arch: string } }).process;
  if (bun === undefined || proc === undefined) return undefined;
  return {
    name: "bun",
    version: bun.version,
    os: proc.platform,
    arch: ARCH[proc.arch] ?? proc.arch,
    open,
  };
}
