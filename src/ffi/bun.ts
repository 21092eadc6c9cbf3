/**
 * Bun's FFI: `bun:ffi` over the shared symbol table. The only file that names Bun.
 *
 * @module
 */
import { type Library, osName, type RuntimeAdapter } from "./adapter.ts";
import type { BindPlan, LibraryPlan, NativeType, Pointer, Symbols } from "./symbols.ts";

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

// ssize_t comes back as a number when it fits (always, for a byte count): "i64_fast".
const BUN_TYPE: Record<NativeType, string> = {
  i32: "i32",
  u32: "u32",
  u64: "u64",
  pointer: "ptr",
  usize: "u64",
  isize: "i64_fast",
};

// `bun:ffi` cannot be imported statically (Deno would fail to resolve it), and the API is
// synchronous, so load it through Bun's synchronous require.
function loadFFI(): BunFFI {
  return (import.meta as unknown as { require(id: string): BunFFI }).require("bun:ffi");
}

type Bound = Record<string, unknown>;

// Binds one library from the first path that opens; symbols come back under their keys.
function openLibrary(ffi: BunFFI, plan: LibraryPlan, call: string): { path: string; symbols: Bound } {
  // Bun has no per-symbol `name`, so renamed symbols are bound under their C names.
  type Entry = { args: readonly string[]; returns: string };
  const table: Record<string, Entry> = {};
  // Bun's dlopen fails whole when one symbol is missing, so optional ones are bound one by one.
  const optional: Record<string, Entry> = {};
  for (const [, cName, symbol] of plan.symbols) {
    const entry = {
      args: symbol.parameters.map((type: NativeType) => BUN_TYPE[type]),
      returns: BUN_TYPE[symbol.result],
    };
    if (symbol.optional === true) optional[cName] = entry;
    else table[cName] = entry;
  }
  const failures: string[] = [];
  for (const path of plan.paths) {
    let lib;
    try {
      lib = ffi.dlopen(path, table);
    } catch (error) {
      failures.push(`${path}: ${(error as Error).message}`);
      continue;
    }
    const bound: Bound = { ...lib.symbols };
    for (const [name, entry] of Object.entries(optional)) {
      try {
        bound[name] = ffi.dlopen(path, { [name]: entry }).symbols[name];
      } catch {
        bound[name] = null;
      }
    }
    return { path, symbols: Object.fromEntries(plan.symbols.map(([key, cName]) => [key, bound[cName]])) };
  }
  throw new Error(`Cannot load ${plan.name} for ${call}: ${failures.join("; ")}`);
}

function open(plan: BindPlan, call: string): Library {
  const ffi = loadFFI();
  const opened = plan.libraries.map((library) => openLibrary(ffi, library, call));
  const all: Bound = Object.assign({}, ...opened.map((library) => library.symbols));
  const source = all[plan.lastError.key] as () => number;
  const read = ffi.read;
  let errno: () => number;
  if (plan.lastError.via === "result") errno = source;
  else {
    const errnoAddress = source();
    errno = () => read.i32(errnoAddress, 0);
  }
  return {
    path: opened.map((library) => library.path).join(", "),
    symbols: all as unknown as Symbols,
    pointerOf: (bytes) => ffi.ptr(bytes) as unknown as Pointer,
    errno,
    isNull: (pointer) => (pointer as unknown) === null || (pointer as unknown) === 0,
    cString: (pointer, offset) => String(new ffi.CString(pointer as unknown as number, offset)),
    copyInto: (pointer, offset, into) => {
      for (let i = 0; i < into.length; i++) into[i] = read.u8(pointer as unknown as number, offset + i);
    },
  };
}

const ARCH: Record<string, string> = { x64: "x86_64", arm64: "aarch64" };

/**
 * The OS as {@link bunAdapter} would report it, or `undefined` when this is not Bun: for
 * `isSupported`, whose bundle then carries no binding code.
 */
export function bunOs(): string | undefined {
  const proc = (globalThis as { process?: { platform: string } }).process;
  const platform = proc?.platform;
  return (globalThis as { Bun?: BunGlobal }).Bun === undefined || platform === undefined ? undefined : osName(platform);
}

/** The Bun adapter, or `undefined` when this is not Bun. */
export function bunAdapter(): RuntimeAdapter | undefined {
  const bun = (globalThis as { Bun?: BunGlobal }).Bun;
  const proc = (globalThis as { process?: { platform: string; arch: string } }).process;
  if (bun === undefined || proc === undefined) return undefined;
  return {
    name: "bun",
    version: bun.version,
    os: osName(proc.platform),
    arch: ARCH[proc.arch] ?? proc.arch,
    open,
  };
}
