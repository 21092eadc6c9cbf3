/**
 * Deno's FFI: `Deno.dlopen` over the shared symbol table. The only file that names `Deno`'s FFI.
 *
 * @module
 */
import { PermissionError } from "../errors.ts";
import type { Library, RuntimeAdapter } from "./adapter.ts";
import { type BindPlan, type LibraryPlan, OS_SYMBOLS, type Pointer, SYMBOLS, type Symbols } from "./symbols.ts";

// Keeps the shared tables honest against Deno's own types.
const _checked: Deno.ForeignLibraryInterface = SYMBOLS satisfies Deno.ForeignLibraryInterface;
const _checkedExtras: readonly Deno.ForeignLibraryInterface[] = Object.values(
  OS_SYMBOLS satisfies Record<string, Deno.ForeignLibraryInterface>,
);

// Deno's pointer helpers (Deno.UnsafePointer.of, UnsafePointerView reads) need a blanket
// --allow-ffi; a grant for libc's path alone covers only calls into libc. So native memory is
// reached through the C runtime itself (libc; ucrtbase.dll on Windows), from a second handle on
// the same library:
const HELPERS = {
  // void *memmove(void *dest, const void *src, size_t n); with n = 0 it copies nothing and
  // returns dest: the address of a typed array.
  address_of: { name: "memmove", parameters: ["buffer", "buffer", "usize"], result: "pointer" },
  // void *memcpy(void *dest, const void *src, size_t n); copies native memory into a typed array.
  read_into: { name: "memcpy", parameters: ["buffer", "pointer", "usize"], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

type Bound = Record<string, (...args: unknown[]) => unknown>;

function bind(plan: BindPlan, opened: { path: string; symbols: Bound }[]): Library {
  const all: Bound = Object.assign({}, ...opened.map((library) => library.symbols));
  const symbols = all as unknown as Symbols;
  const crt = opened[Math.max(0, plan.libraries.findIndex((library) => library.crt === true))].path;
  const { address_of, read_into } = Deno.dlopen(crt, HELPERS).symbols;
  let scratch = new Uint8Array(64);
  // Copies `length` bytes from `pointer` into scratch: only bytes the caller says are there.
  const read = (pointer: Deno.PointerValue, length: number) => {
    if (length > scratch.length) scratch = new Uint8Array(Math.max(length, scratch.length * 2));
    read_into(scratch, pointer, length as unknown as bigint); // usize takes a number too
    return scratch;
  };
  const source = all[plan.lastError.key] as () => number | Deno.PointerValue;
  let errno: () => number;
  if (plan.lastError.via === "result") {
    errno = source as () => number;
  } else {
    // errno lives at a fixed per-thread address, fetched once; memcpy does not touch errno.
    const errnoAt = source() as Deno.PointerValue;
    const errnoCell = new Int32Array(1);
    errno = () => {
      read_into(errnoCell, errnoAt, 4 as unknown as bigint);
      return errnoCell[0];
    };
  }
  return {
    path: opened.map((library) => library.path).join(", "),
    symbols,
    pointerOf: (bytes) => address_of(bytes, bytes, 0 as unknown as bigint) as unknown as Pointer,
    errno,
    isNull: (pointer) => pointer === null,
    cString: (pointer, offset) => {
      // One byte further each time, so nothing past the NUL is ever read.
      let end = offset;
      while (read(pointer as unknown as Deno.PointerValue, end + 1)[end] !== 0) end++;
      return new TextDecoder().decode(scratch.subarray(offset, end));
    },
    copyInto: (pointer, offset, into) => {
      const length = offset + into.length;
      into.set(read(pointer as unknown as Deno.PointerValue, length).subarray(offset, length));
    },
  };
}

/** Whether `--allow-ffi` covers `path` (or, without one, all of FFI), asked without prompting. */
function permission(path?: string): Deno.PermissionState {
  try {
    return Deno.permissions.querySync(path === undefined ? { name: "ffi" } : { name: "ffi", path }).state;
  } catch {
    return "granted"; // no permission API to ask: let dlopen decide
  }
}

/**
 * Asks the user for FFI access at Deno's prompt (in a terminal; refused at once elsewhere). For
 * all of FFI, not for a path: a grant of the bare name `libc.so.6` covers `./libc.so.6`, which
 * Deno then opens and the system's libc is not, and libc's absolute path cannot be known without
 * `--allow-read`.
 */
function request(): boolean {
  try {
    return Deno.permissions.requestSync({ name: "ffi" }).state === "granted";
  } catch {
    return false;
  }
}

function refused(error: unknown): boolean {
  return error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied;
}

// Deno repeats dlopen's own prefix ("Could not open library: Could not open library: …").
function reason(error: unknown): string {
  return String((error as Error).message).replace(/^(Could not open library: )+/, "Could not open library: ");
}

function openLibrary(plan: LibraryPlan, call: string): { path: string; symbols: Bound } {
  // Deno binds a missing `optional: true` symbol as null by itself.
  const table: Deno.ForeignLibraryInterface = {};
  for (const [key, name, symbol] of plan.symbols) table[key] = { ...symbol, name } as Deno.ForeignFunction;
  const failures: string[] = [];
  const tryOpen = (path: string): { path: string; symbols: Bound } | undefined => {
    try {
      return { path, symbols: Deno.dlopen(path, table).symbols as unknown as Bound };
    } catch (error) {
      if (!refused(error)) failures.push(`${path}: ${reason(error)}`);
      return undefined;
    }
  };
  // Every path is asked about first (no prompt, nothing loaded), then only granted ones opened:
  // a narrow --allow-ffi=<path> then finds its path, and nothing is prompted for.
  let prompt = false;
  for (const path of plan.paths) {
    const state = permission(path);
    prompt ||= state === "prompt";
    if (state === "granted") {
      const lib = tryOpen(path);
      if (lib !== undefined) return lib;
    }
  }
  // Nothing granted opened: ask once, at Deno's prompt, then open as a blanket grant would.
  if (failures.length === 0 && prompt && permission() === "prompt" && request()) {
    for (const path of plan.paths) {
      const lib = tryOpen(path);
      if (lib !== undefined) return lib;
    }
  }
  const scoped = plan.paths.find((path) => path.startsWith("/")) ?? plan.paths[0];
  const relative = failures.some((failure) => !failure.startsWith("/"))
    ? `; a relative --allow-ffi path is resolved against the working directory, so it never covers ${plan.name}`
    : "";
  const tried = failures.length === 0 ? "" : ` (tried ${failures.join("; ")}${relative})`;
  if (permission() === "granted") throw new Error(`Cannot load ${plan.name} for ${call}: ${failures.join("; ")}`);
  throw new PermissionError(
    `Cannot load ${plan.name} for ${call}: Deno needs --allow-ffi, or --allow-ffi=<${plan.name}'s absolute path> ` +
      `such as ${scoped} for ${plan.name} alone${tried}`,
  );
}

function open(plan: BindPlan, call: string): Library {
  return bind(plan, plan.libraries.map((library) => openLibrary(library, call)));
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
