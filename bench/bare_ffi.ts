/**
 * setsockopt and getsockopt bound straight to libc, without sockopts: the floor a library can
 * reach in each runtime, shown beside the library's own rows so its overhead is visible.
 * Pointers are made once, as sockopts does (building a Deno pointer per call doubles the cost).
 * Linux (glibc) only, like the rest of the benchmark.
 */

/** TCP_KEEPINTVL through the runtime's FFI with no checks beyond the return value. */
export interface BareFfi {
  /** setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &seconds, 4); returns its result. */
  set(fd: number, seconds: number): number;
  /** getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, …); returns the value, or -1 when the call fails. */
  get(fd: number): number;
}

const IPPROTO_TCP = 6;
const TCP_KEEPINTVL = 5;

// setsockopt and getsockopt as a runtime binds them; `P` is its pointer type.
type SetSockopt<P> = (fd: number, level: number, name: number, value: P, length: number) => number;
type GetSockopt<P> = (fd: number, level: number, name: number, value: P, length: P) => number;

/**
 * The calls every runtime makes the same way, on `value` ([value, socklen_t]) through pointers
 * made once. Each process binds one runtime, so the calls here stay monomorphic.
 */
function bare<P>(
  setsockopt: SetSockopt<P>,
  getsockopt: GetSockopt<P>,
  value: Int32Array,
  valuePtr: P,
  lenPtr: P,
): BareFfi {
  return {
    set(fd, seconds) {
      value[0] = seconds;
      return setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, valuePtr, 4);
    },
    get(fd) {
      value[1] = 4;
      return getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, valuePtr, lenPtr) === 0 ? value[0] : -1;
    },
  };
}

interface BunFFI {
  dlopen(path: string, symbols: Record<string, { args: string[]; returns: string }>): {
    symbols: Record<string, (...args: unknown[]) => number>;
  };
  ptr(view: ArrayBufferView): number;
}

function bunBare(): BareFfi {
  const ffi = (import.meta as unknown as { require(id: string): BunFFI }).require("bun:ffi");
  const { symbols } = ffi.dlopen("libc.so.6", {
    setsockopt: { args: ["i32", "i32", "i32", "ptr", "u32"], returns: "i32" },
    getsockopt: { args: ["i32", "i32", "i32", "ptr", "ptr"], returns: "i32" },
  });
  const value = new Int32Array(2); // [value, socklen_t]
  const valuePtr = ffi.ptr(value);
  const lenPtr = valuePtr + 4;
  return bare(symbols.setsockopt, symbols.getsockopt, value, valuePtr, lenPtr);
}

function denoBare(): BareFfi {
  const lib = Deno.dlopen("libc.so.6", {
    setsockopt: { parameters: ["i32", "i32", "i32", "pointer", "u32"], result: "i32" },
    getsockopt: { parameters: ["i32", "i32", "i32", "pointer", "pointer"], result: "i32" },
  });
  const value = new Int32Array(2);
  const valuePtr = Deno.UnsafePointer.of(value);
  const lenPtr = Deno.UnsafePointer.offset(valuePtr!, 4);
  return bare(lib.symbols.setsockopt, lib.symbols.getsockopt, value, valuePtr, lenPtr);
}

interface NodeFFI {
  dlopen(path: string, symbols: Record<string, { arguments: string[]; return: string }>): {
    functions: Record<string, (...args: unknown[]) => unknown>;
  };
  toArrayBuffer(pointer: bigint, length: number, copy: boolean): ArrayBuffer;
}

// Bigint addresses into malloc()ed memory, and pointer arguments declared "function", as sockopts
// does (src/ffi/node.ts says why: node:ffi 26.10's fastest path for a five-argument function).
// `documented`: the same calls with the pointer arguments declared "pointer", as node:ffi's
// documentation writes them, the floor a library written the obvious way reaches.
function nodeBare(documented: boolean): BareFfi {
  const ffi = (globalThis as unknown as { process: { getBuiltinModule(id: string): NodeFFI } }).process
    .getBuiltinModule("node:ffi");
  const p = documented ? "pointer" : "function";
  const { functions } = ffi.dlopen("libc.so.6", {
    setsockopt: { arguments: ["int32", "int32", "int32", p, "uint32"], return: "int32" },
    getsockopt: { arguments: ["int32", "int32", "int32", p, p], return: "int32" },
    malloc: { arguments: ["uint64"], return: "pointer" },
  });
  const valuePtr = functions.malloc(8n) as bigint;
  const lenPtr = valuePtr + 4n;
  const value = new Int32Array(ffi.toArrayBuffer(valuePtr, 8, false));
  return bare(
    functions.setsockopt as SetSockopt<bigint>,
    functions.getsockopt as GetSockopt<bigint>,
    value,
    valuePtr,
    lenPtr,
  );
}

/** The bare binding for this runtime; `documented` (Node): pointer arguments declared "pointer". */
export function bareFfi(runtime: "bun" | "deno" | "node", documented = false): BareFfi {
  return runtime === "bun" ? bunBare() : runtime === "node" ? nodeBare(documented) : denoBare();
}
