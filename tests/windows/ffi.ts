/**
 * Binds platforms/windows/symbols.ts with whichever runtime runs this (Deno, Bun or Node for
 * Windows), for the Wine probe. Pointer parameters take a `Uint8Array` from {@link WindowsFfi.alloc}
 * (or null); `usize`/`isize`/`u64` take a number or bigint; results are numbers.
 *
 * @module
 */
import {
  KERNEL32_SYMBOLS,
  NTDLL_SYMBOLS,
  WINDOWS_LIBRARIES,
  WINE_SYMBOLS,
  WS2_32_SYMBOLS,
} from "../../platforms/windows/symbols.ts";

type Table = Record<string, { readonly parameters: readonly string[]; readonly result: string }>;
type Fn = (...args: unknown[]) => number;
type Bound<T> = { readonly [K in keyof T]: Fn };

/** The three DLLs, bound, and native memory. */
export interface WindowsFfi {
  /** "deno", "bun" or "node". */
  readonly runtime: string;
  readonly ws2: Bound<typeof WS2_32_SYMBOLS>;
  readonly nt: Bound<typeof NTDLL_SYMBOLS>;
  readonly k32: Bound<typeof KERNEL32_SYMBOLS>;
  /** Whether ntdll is Wine's (it exports wine_get_version). */
  readonly wine: boolean;
  /** Zeroed memory whose address stays put while the view lives. */
  alloc(size: number): Uint8Array;
  /** The address of a view from {@link alloc}. */
  addressOf(view: Uint8Array): bigint;
}

const WIDE = new Set(["u64", "usize", "isize"]);

function bindDeno(): WindowsFfi {
  const open = <T extends Table>(path: string, table: T): Bound<T> => {
    const spec: Deno.ForeignLibraryInterface = {};
    for (const [name, s] of Object.entries(table)) {
      spec[name] = {
        parameters: s.parameters.map((p) => (p === "pointer" ? "buffer" : p)) as Deno.NativeType[],
        result: s.result as Deno.NativeResultType,
      };
    }
    const lib = Deno.dlopen(path, spec);
    const out: Record<string, Fn> = {};
    for (const name of Object.keys(table)) {
      const fn = lib.symbols[name] as (...a: unknown[]) => unknown;
      const wide = table[name].parameters.map((p) => WIDE.has(p));
      out[name] = (...args) => Number(fn(...args.map((a, i) => (wide[i] && typeof a === "number" ? BigInt(a) : a))));
    }
    return out as Bound<T>;
  };
  return {
    runtime: "deno",
    wine: hasWine((t) => open(WINDOWS_LIBRARIES.ntdll, t)),
    ws2: open(WINDOWS_LIBRARIES.ws2_32, WS2_32_SYMBOLS),
    nt: open(WINDOWS_LIBRARIES.ntdll, NTDLL_SYMBOLS),
    k32: open(WINDOWS_LIBRARIES.kernel32, KERNEL32_SYMBOLS),
    alloc: (size) => new Uint8Array(size),
    addressOf: (view) => BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(view as Uint8Array<ArrayBuffer>))),
  };
}

interface BunFfi {
  dlopen(path: string, s: Record<string, { args: string[]; returns: string }>): {
    symbols: Record<string, (...a: unknown[]) => unknown>;
  };
  ptr(view: ArrayBufferView): number;
}

function bindBun(): WindowsFfi {
  const ffi = (import.meta as unknown as { require(id: string): BunFfi }).require("bun:ffi");
  const TYPE: Record<string, string> = {
    i32: "i32",
    u32: "u32",
    u64: "u64",
    usize: "u64",
    isize: "i64",
    pointer: "ptr",
  };
  const open = <T extends Table>(path: string, table: T): Bound<T> => {
    const spec: Record<string, { args: string[]; returns: string }> = {};
    for (const [name, s] of Object.entries(table)) {
      spec[name] = { args: s.parameters.map((p) => TYPE[p]), returns: TYPE[s.result] };
    }
    const lib = ffi.dlopen(path, spec);
    const out: Record<string, Fn> = {};
    for (const name of Object.keys(table)) {
      const fn = lib.symbols[name];
      const wide = table[name].parameters.map((p) => WIDE.has(p));
      out[name] = (...args) => Number(fn(...args.map((a, i) => (wide[i] && typeof a === "number" ? BigInt(a) : a))));
    }
    return out as Bound<T>;
  };
  return {
    runtime: "bun",
    wine: hasWine((t) => open(WINDOWS_LIBRARIES.ntdll, t)),
    ws2: open(WINDOWS_LIBRARIES.ws2_32, WS2_32_SYMBOLS),
    nt: open(WINDOWS_LIBRARIES.ntdll, NTDLL_SYMBOLS),
    k32: open(WINDOWS_LIBRARIES.kernel32, KERNEL32_SYMBOLS),
    alloc: (size) => new Uint8Array(size),
    addressOf: (view) => BigInt(ffi.ptr(view)),
  };
}

interface NodeFfi {
  dlopen(path: string, s: Record<string, { arguments: string[]; return: string }>): {
    functions: Record<string, (...a: unknown[]) => unknown>;
  };
  toArrayBuffer(pointer: bigint, length: number, copy: boolean): ArrayBuffer;
}

function bindNode(): WindowsFfi {
  const proc = (globalThis as unknown as { process: { getBuiltinModule(id: string): unknown } }).process;
  const ffi = proc.getBuiltinModule("node:ffi") as NodeFfi;
  const TYPE: Record<string, string> = {
    i32: "int32",
    u32: "uint32",
    u64: "uint64",
    usize: "uint64",
    isize: "int64",
    pointer: "pointer",
  };
  // node:ffi wants addresses: memory comes from the C runtime's malloc, never freed (a probe).
  const crt = ffi.dlopen("ucrtbase.dll", { malloc: { arguments: ["uint64"], return: "pointer" } }).functions;
  const blocks = new WeakMap<ArrayBufferLike, bigint>();
  const alloc = (size: number): Uint8Array => {
    const address = crt.malloc(BigInt(Math.max(size, 1))) as bigint;
    const buffer = ffi.toArrayBuffer(address, size, false);
    blocks.set(buffer, address);
    return new Uint8Array(buffer).fill(0);
  };
  const addressOf = (view: Uint8Array): bigint => {
    const base = blocks.get(view.buffer);
    if (base === undefined) throw new Error("Cannot take the address of memory alloc() did not return");
    return base + BigInt(view.byteOffset);
  };
  const open = <T extends Table>(path: string, table: T): Bound<T> => {
    const spec: Record<string, { arguments: string[]; return: string }> = {};
    for (const [name, s] of Object.entries(table)) {
      spec[name] = { arguments: s.parameters.map((p) => TYPE[p]), return: TYPE[s.result] };
    }
    const lib = ffi.dlopen(path, spec);
    const out: Record<string, Fn> = {};
    for (const name of Object.keys(table)) {
      const fn = lib.functions[name];
      const kinds = table[name].parameters;
      out[name] = (...args) =>
        Number(fn(...args.map((a, i) => {
          if (kinds[i] === "pointer") return a === null ? 0n : addressOf(a as Uint8Array);
          return WIDE.has(kinds[i]) ? BigInt(a as number | bigint) : a;
        })));
    }
    return out as Bound<T>;
  };
  return {
    runtime: "node",
    wine: hasWine((t) => open(WINDOWS_LIBRARIES.ntdll, t)),
    ws2: open(WINDOWS_LIBRARIES.ws2_32, WS2_32_SYMBOLS),
    nt: open(WINDOWS_LIBRARIES.ntdll, NTDLL_SYMBOLS),
    k32: open(WINDOWS_LIBRARIES.kernel32, KERNEL32_SYMBOLS),
    alloc,
    addressOf,
  };
}

/** Binds the DLLs with this runtime's FFI. */
export function windowsFfi(): WindowsFfi {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  return g.Bun !== undefined ? bindBun() : g.Deno !== undefined ? bindDeno() : bindNode();
}

/** Runs `open` on a table holding only Wine's extra symbol: true when ntdll has it. */
function hasWine(open: (table: Table) => unknown): boolean {
  try {
    open(WINE_SYMBOLS);
    return true;
  } catch {
    return false;
  }
}
