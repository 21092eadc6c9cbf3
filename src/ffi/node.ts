/**
 * Node's FFI: `node:ffi` (Node.js 26.9 and later; 26.1 to 26.8 behind `--experimental-ffi`) over
 * the shared symbol table. The only file that names `node:ffi`.
 *
 * @module
 */
import { PermissionError } from "../errors.ts";
import { type Library, osName, type RuntimeAdapter } from "./adapter.ts";
import type { BindPlan, LibraryPlan, NativeType, Pointer, SymbolDefinition, Symbols } from "./symbols.ts";

interface Signature {
  readonly arguments: readonly string[];
  readonly return: string;
}

// The part of `node:ffi` used here, declared locally so the package needs no Node 26 types to check.
interface NodeFFI {
  dlopen(
    path: string,
    definitions: Record<string, Signature>,
  ): { functions: Record<string, (...args: unknown[]) => unknown> };
  getInt32(pointer: bigint, offset: number): number;
  getUint8(pointer: bigint, offset: number): number;
  toString(pointer: bigint): string | null;
  toArrayBuffer(pointer: bigint, length: number, copy: boolean): ArrayBuffer;
}

interface NodeProcess {
  readonly platform: string;
  readonly arch: string;
  readonly versions: { readonly node?: string; readonly bun?: string };
  readonly execArgv?: readonly string[];
  getBuiltinModule?(id: string): unknown;
  emitWarning: (...args: unknown[]) => void;
}

// `node:ffi`'s own spelling of each type. A Deno-style `{ parameters, result }` table is
// accepted silently by node:ffi and every call then returns undefined, hence `arguments`/`return`.
const NODE_TYPE: Record<NativeType, string> = {
  i32: "int32",
  u32: "uint32",
  u64: "uint64",
  pointer: "pointer",
  usize: "uint64",
  isize: "int64",
};

// node:ffi takes only bigints for 64-bit arguments ("Argument 2 must be a uint64" for a number)
// and returns bigints for 64-bit results; callers pass and expect numbers (symbols.ts Symbols).
const WIDE: ReadonlySet<NativeType> = new Set(["u64", "usize", "isize"]);

// Pointer *arguments* are declared "function": the same machine word to the C ABI, and node:ffi
// takes a bigint address for either. Node 26.10 calls a "pointer" function of more than three
// arguments through Reflect.apply, which V8 cannot turn into a Fast API call, so setsockopt and
// getsockopt took the generic path; a "function" argument selects the shared-buffer path instead,
// about 30% less per call in bench/ (npm run bench, "Node bare node:ffi" rows use "pointer").
const NODE_ARGUMENT: Record<NativeType, string> = { ...NODE_TYPE, pointer: "function" };

// void *malloc(size_t size); void free(void *ptr); bound here only: Node alone needs native
// memory of its own (below).
const MALLOC: Signature = { arguments: ["uint64"], return: "pointer" };
const FREE: Signature = { arguments: ["pointer"], return: "void" };

// The first Node.js release with `node:ffi` unflagged, and the first with it at all.
const NODE_FFI_UNFLAGGED: readonly [number, number] = [26, 9];
const NODE_FFI_FLAGGED: readonly [number, number] = [26, 1];

function nodeProcess(): NodeProcess | undefined {
  const proc = (globalThis as { process?: NodeProcess }).process;
  // Bun and Deno both provide a `process` with versions.node; only real Node lacks their globals.
  if (proc === undefined || typeof proc.versions?.node !== "string") return undefined;
  if ((globalThis as { Bun?: unknown }).Bun !== undefined || (globalThis as { Deno?: unknown }).Deno !== undefined) {
    return undefined;
  }
  return proc;
}

function isFFIWarning(warning: unknown, type: unknown): boolean {
  const message = warning instanceof Error ? warning.message : warning;
  const kind = warning instanceof Error
    ? warning.name
    : typeof type === "object" && type !== null
    ? (type as { type?: unknown }).type
    : type;
  return kind === "ExperimentalWarning" && typeof message === "string" && message.startsWith("FFI is an experimental");
}

// node:ffi warns once per process when it is first loaded. The filter is in place only while
// sockopts loads it, and lets every other warning through; a program that also uses node:ffi
// itself and imports it later no longer sees that one notice (the README's Node quick start says so).
function loadFFI(proc: NodeProcess): NodeFFI | undefined {
  if (typeof proc.getBuiltinModule !== "function") return undefined;
  const emit = proc.emitWarning;
  proc.emitWarning = function (this: unknown, warning: unknown, type?: unknown, ...rest: unknown[]) {
    if (!isFFIWarning(warning, type)) emit.call(this, warning, type, ...rest);
  };
  try {
    return proc.getBuiltinModule("node:ffi") as NodeFFI | undefined;
  } catch {
    return undefined;
  } finally {
    proc.emitWarning = emit;
  }
}

let ffi: NodeFFI | undefined | null;

function cachedFFI(proc: NodeProcess): NodeFFI | undefined {
  if (ffi === undefined) ffi = loadFFI(proc) ?? null;
  return ffi ?? undefined;
}

function isAccessDenied(error: unknown): boolean {
  return (error as { code?: unknown }).code === "ERR_ACCESS_DENIED";
}

function signatureOf(symbol: SymbolDefinition): Signature {
  return {
    arguments: symbol.parameters.map((type: NativeType) => NODE_ARGUMENT[type]),
    return: NODE_TYPE[symbol.result],
  };
}

// Only functions with a 64-bit parameter or result are wrapped (send, recv, getdents64, sysctl,
// proc_pidinfo); setsockopt and getsockopt stay node:ffi's own functions, at full speed. A null
// pointer argument becomes 0n on the way, as node:ffi wants an address.
function adapt(fn: (...args: unknown[]) => unknown, symbol: SymbolDefinition): (...args: unknown[]) => unknown {
  const wide = symbol.parameters.map((type) => WIDE.has(type));
  const pointer = symbol.parameters.map((type) => type === "pointer");
  const wideResult = WIDE.has(symbol.result);
  if (!wide.includes(true) && !wideResult) return fn;
  return (...args: unknown[]) => {
    for (let i = 0; i < args.length; i++) {
      if (wide[i] && typeof args[i] === "number") args[i] = BigInt(args[i] as number);
      else if (pointer[i] && args[i] === null) args[i] = 0n;
    }
    const result = fn(...args);
    return wideResult && typeof result === "bigint" ? Number(result) : result;
  };
}

type Fn = (...args: unknown[]) => unknown;

// Binds one library from the first path that opens; symbols come back under their keys, with
// `extra` (bound under its own names) beside them.
function openLibrary(
  node: NodeFFI,
  plan: LibraryPlan,
  extra: Record<string, Signature>,
  call: string,
): { path: string; symbols: Record<string, Fn | null>; extra: Record<string, Fn> } {
  const table: Record<string, Signature> = { ...extra };
  // node:ffi's dlopen fails whole when one symbol is missing, so optional ones are bound one by one.
  const optional: Record<string, Signature> = {};
  for (const [, cName, symbol] of plan.symbols) {
    if (symbol.optional === true) optional[cName] = signatureOf(symbol);
    else table[cName] = signatureOf(symbol);
  }
  const failures: string[] = [];
  for (const path of plan.paths) {
    let bound: Record<string, Fn | null>;
    try {
      bound = { ...node.dlopen(path, table).functions };
    } catch (error) {
      if (isAccessDenied(error)) {
        throw new PermissionError(
          `Cannot load ${plan.name} for ${call}: Node.js under the permission model needs --allow-ffi (${path})`,
          { cause: error },
        );
      }
      failures.push(`${path}: ${(error as Error).message}`);
      continue;
    }
    for (const [name, signature] of Object.entries(optional)) {
      try {
        bound[name] = node.dlopen(path, { [name]: signature }).functions[name];
      } catch {
        bound[name] = null;
      }
    }
    const symbols = Object.fromEntries(
      plan.symbols.map(([key, cName, symbol]) => {
        const fn = bound[cName];
        return [key, fn === null || fn === undefined ? null : adapt(fn, symbol)];
      }),
    );
    return { path, symbols, extra: Object.fromEntries(Object.keys(extra).map((name) => [name, bound[name]!])) };
  }
  throw new Error(`Cannot load ${plan.name} for ${call}: ${failures.join("; ")}`);
}

function open(node: NodeFFI, plan: BindPlan, call: string): Library {
  // malloc and free come from the plan's C runtime (libc; ucrtbase.dll on Windows).
  const crt = Math.max(0, plan.libraries.findIndex((library) => library.crt === true));
  const opened = plan.libraries.map((library, i) =>
    openLibrary(node, library, i === crt ? { malloc: MALLOC, free: FREE } : {}, call)
  );
  const all: Record<string, Fn | null> = Object.assign({}, ...opened.map((library) => library.symbols));
  const symbols = all as unknown as Symbols;
  const path = opened.map((library) => library.path).join(", ");
  const source = all[plan.lastError.key]!;
  const getInt32 = node.getInt32;
  let errno: () => number;
  if (plan.lastError.via === "result") errno = source as () => number;
  else {
    const errnoAddress = source() as bigint;
    if (typeof errnoAddress !== "bigint") throw new Error(`Cannot load libc: ${path} returned no errno address`);
    errno = () => getInt32(errnoAddress, 0);
  }
  const { malloc, free } = opened[crt].extra;
  // Buffers sockopts passes by address live in malloc()ed memory: V8 may move or re-home a
  // JavaScript-owned backing store (getRawPointer on small typed arrays corrupted the heap),
  // and plain bigint addresses also take node:ffi's fastest call path. Each block is freed
  // once its ArrayBuffer is collected; the key is held weakly for that.
  const blocks = new WeakMap<ArrayBufferLike, bigint>();
  const release = new FinalizationRegistry<bigint>((address) => free(address));
  return {
    path,
    symbols,
    allocate(size: number): Uint8Array {
      // malloc(0) may return NULL or a unique pointer: ask for at least one byte.
      const address = malloc(BigInt(Math.max(size, 1))) as bigint;
      if (address === 0n) throw new Error(`Cannot allocate ${size} bytes of native memory: malloc returned NULL`);
      const buffer = node.toArrayBuffer(address, size, false);
      blocks.set(buffer, address);
      release.register(buffer, address);
      // malloc() does not zero; callers rely on fresh memory reading as zeroes, as in JavaScript.
      return new Uint8Array(buffer).fill(0);
    },
    pointerOf(view: Uint8Array): Pointer {
      const base = blocks.get(view.buffer);
      if (base === undefined) throw new Error("Cannot take the address of memory that allocate() did not return");
      return (base + BigInt(view.byteOffset)) as unknown as Pointer;
    },
    errno,
    isNull: (pointer) => (pointer as unknown) === 0n || (pointer as unknown) === null,
    cString: (pointer, offset) => node.toString((pointer as unknown as bigint) + BigInt(offset)) ?? "",
    copyInto: (pointer, offset, into) => {
      const at = pointer as unknown as bigint;
      for (let i = 0; i < into.length; i++) into[i] = node.getUint8(at, offset + i);
    },
  };
}

const ARCH: Record<string, string> = { x64: "x86_64", arm64: "aarch64" };

function versionOf(proc: NodeProcess): [number, number] {
  const [major, minor] = (proc.versions.node ?? "0.0").split(".").map(Number);
  return [major, minor];
}

function atLeast([major, minor]: readonly [number, number], [wantMajor, wantMinor]: readonly [number, number]) {
  return major > wantMajor || (major === wantMajor && minor >= wantMinor);
}

/**
 * The OS as {@link nodeAdapter} would report it, or `undefined` when this is not Node or its
 * `node:ffi` cannot be reached: for `isSupported`, whose bundle then carries no binding code.
 */
export function nodeOs(): string | undefined {
  const proc = nodeProcess();
  if (proc === undefined) return undefined;
  const node = cachedFFI(proc);
  return node === undefined || typeof node.dlopen !== "function" ? undefined : osName(proc.platform);
}

/** The Node.js adapter, or `undefined` when this is not Node or its `node:ffi` cannot be reached. */
export function nodeAdapter(): RuntimeAdapter | undefined {
  const proc = nodeProcess();
  if (proc === undefined) return undefined;
  const node = cachedFFI(proc);
  if (node === undefined || typeof node.dlopen !== "function") return undefined;
  return {
    name: "node",
    version: proc.versions.node!,
    os: osName(proc.platform),
    arch: ARCH[proc.arch] ?? proc.arch,
    open: (plan, call) => open(node, plan, call),
  };
}

/**
 * Why this Node.js cannot run sockopts, naming the version and flag it needs, or `undefined`
 * when this is not Node.
 */
export function nodeUnsupportedReason(): string | undefined {
  const proc = nodeProcess();
  if (proc === undefined) return undefined;
  const version = versionOf(proc);
  const running = `Node.js ${proc.versions.node}`;
  if (!atLeast(version, NODE_FFI_FLAGGED)) {
    return `sockopts needs Deno, Bun, or Node.js 26.9 or later (26.1 to 26.8 with --experimental-ffi), ` +
      `and this is ${running}, which has no node:ffi`;
  }
  if (!atLeast(version, NODE_FFI_UNFLAGGED)) {
    return `sockopts needs node:ffi, which ${running} offers only with --experimental-ffi ` +
      "(run `node --experimental-ffi`, or use Node.js 26.9 or later)";
  }
  return `sockopts needs node:ffi, which ${running} has turned off (remove --no-experimental-ffi)`;
}
