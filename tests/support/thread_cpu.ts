/**
 * The calling thread's CPU time (clock_gettime(CLOCK_THREAD_CPUTIME_ID), user and system), bound
 * straight to libc through the runtime's own FFI. How long the event loop was held, measured in
 * what the main thread spent rather than in wall time, stays true on a saturated machine, where
 * the scheduler's pauses stretch wall time whoever holds the loop. Linux (glibc) only.
 */
/// <reference types="npm:@types/bun@1.4.4" />
import { isBun, isDeno } from "./runtime.ts";

const CLOCK_THREAD_CPUTIME_ID = 3; // <linux/time.h>

interface NodeFFI {
  dlopen(path: string, symbols: Record<string, { arguments: string[]; return: string }>): {
    functions: Record<string, (...args: unknown[]) => unknown>;
  };
  toArrayBuffer(pointer: bigint, length: number, copy: boolean): ArrayBuffer;
}

function bind(): () => number {
  if (isBun) {
    const ffi = (import.meta as unknown as { require(id: string): typeof import("bun:ffi") }).require("bun:ffi");
    const { clock_gettime } = ffi.dlopen("libc.so.6", {
      clock_gettime: { args: [ffi.FFIType.i32, ffi.FFIType.ptr], returns: ffi.FFIType.i32 },
    }).symbols;
    const spec = new BigInt64Array(new ArrayBuffer(16));
    const at = ffi.ptr(spec);
    return () => (clock_gettime(CLOCK_THREAD_CPUTIME_ID, at), Number(spec[0]) * 1e3 + Number(spec[1]) / 1e6);
  }
  if (isDeno) {
    const { clock_gettime } = Deno.dlopen("libc.so.6", {
      clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
    }).symbols;
    const spec = new BigInt64Array(2);
    return () => (clock_gettime(CLOCK_THREAD_CPUTIME_ID, spec), Number(spec[0]) * 1e3 + Number(spec[1]) / 1e6);
  }
  const ffi = (globalThis as unknown as { process: { getBuiltinModule(id: string): NodeFFI } }).process
    .getBuiltinModule("node:ffi");
  const { clock_gettime, malloc } = ffi.dlopen("libc.so.6", {
    clock_gettime: { arguments: ["int32", "pointer"], return: "int32" },
    malloc: { arguments: ["uint64"], return: "pointer" },
  }).functions;
  const at = malloc(16n) as bigint;
  const spec = new BigInt64Array(ffi.toArrayBuffer(at, 16, false));
  return () => (clock_gettime(CLOCK_THREAD_CPUTIME_ID, at), Number(spec[0]) * 1e3 + Number(spec[1]) / 1e6);
}

let clock: (() => number) | undefined;

/** The calling thread's CPU time in ms (from an arbitrary start). */
export function threadCpuMs(): number {
  clock ??= bind();
  return clock();
}
