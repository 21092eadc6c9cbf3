/**
 * An oracle independent of sockopts: getsockopt bound straight to libc through the runtime's
 * own FFI, reading one int option of one fd. Tests that assert a socket was left untouched read
 * it here, never through sockopts' code. Linux (glibc) only, like the suite.
 */

const SOL_SOCKET = 1; // <asm-generic/socket.h>
const SO_KEEPALIVE = 9; // <asm-generic/socket.h>
const IPPROTO_TCP = 6; // <netinet/in.h>
const TCP_KEEPIDLE = 4; // <netinet/tcp.h>
const TCP_KEEPCNT = 6; // <netinet/tcp.h>

interface BunFFI {
  dlopen(path: string, symbols: Record<string, { args: string[]; returns: string }>): {
    symbols: Record<string, (...args: unknown[]) => number>;
  };
  ptr(view: ArrayBufferView): number;
}

// Reads up to 16 bytes of an option into `into`; returns the optlen, or -1 when the call fails.
type Reader = (fd: number, level: number, optname: number, into: Uint8Array) => number;

function bunReader(): Reader {
  const ffi = (import.meta as unknown as { require(id: string): BunFFI }).require("bun:ffi");
  const { getsockopt } = ffi.dlopen("libc.so.6", {
    getsockopt: { args: ["i32", "i32", "i32", "ptr", "ptr"], returns: "i32" },
  }).symbols;
  const cell = new Uint8Array(20); // 16 value bytes, then the socklen_t
  const view = new DataView(cell.buffer);
  const valuePtr = ffi.ptr(cell);
  return (fd, level, optname, into) => {
    view.setUint32(16, into.length, true);
    if (getsockopt(fd, level, optname, valuePtr, valuePtr + 16) !== 0) return -1;
    into.set(cell.subarray(0, into.length));
    return view.getUint32(16, true);
  };
}

function denoReader(): Reader {
  const { getsockopt } = Deno.dlopen("libc.so.6", {
    getsockopt: { parameters: ["i32", "i32", "i32", "pointer", "pointer"], result: "i32" },
  }).symbols;
  const cell = new Uint8Array(20);
  const view = new DataView(cell.buffer);
  const valuePtr = Deno.UnsafePointer.of(cell);
  const lenPtr = Deno.UnsafePointer.offset(valuePtr!, 16);
  return (fd, level, optname, into) => {
    view.setUint32(16, into.length, true);
    if (getsockopt(fd, level, optname, valuePtr, lenPtr) !== 0) return -1;
    into.set(cell.subarray(0, into.length));
    return view.getUint32(16, true);
  };
}

interface NodeFFI {
  dlopen(path: string, symbols: Record<string, { arguments: string[]; return: string }>): {
    functions: Record<string, (...args: unknown[]) => unknown>;
  };
  toArrayBuffer(pointer: bigint, length: number, copy: boolean): ArrayBuffer;
}

// Node 26: node:ffi with bigint addresses into malloc()ed memory (V8 may move its own buffers).
function nodeReader(): Reader {
  const ffi = (globalThis as unknown as { process: { getBuiltinModule(id: string): NodeFFI } }).process
    .getBuiltinModule("node:ffi");
  const { getsockopt, malloc } = ffi.dlopen("libc.so.6", {
    getsockopt: { arguments: ["int32", "int32", "int32", "pointer", "pointer"], return: "int32" },
    malloc: { arguments: ["uint64"], return: "pointer" },
  }).functions;
  const valuePtr = malloc(20n) as bigint;
  const cell = new Uint8Array(ffi.toArrayBuffer(valuePtr, 20, false));
  const view = new DataView(cell.buffer);
  return (fd, level, optname, into) => {
    view.setUint32(16, into.length, true);
    if (getsockopt(fd, level, optname, valuePtr, valuePtr + 16n) !== 0) return -1;
    into.set(cell.subarray(0, into.length));
    return view.getUint32(16, true);
  };
}

let reader: Reader | undefined;

function read(fd: number, level: number, optname: number, into: Uint8Array): number {
  const g = globalThis as { Bun?: unknown; Deno?: unknown };
  reader ??= g.Bun !== undefined ? bunReader() : g.Deno !== undefined ? denoReader() : nodeReader();
  return reader(fd, level, optname, into);
}

/** Whether getsockopt answers `size` bytes of an option (SO_COOKIE, say: 8), by this module's binding. */
export function answersOption(fd: number, level: number, optname: number, size: number): boolean {
  return read(fd, level, optname, new Uint8Array(size)) !== -1;
}

/** getsockopt(fd, level, optname) as an int, or -1 when the call fails. */
export function readIntOption(fd: number, level: number, optname: number): number {
  const into = new Uint8Array(4);
  return read(fd, level, optname, into) === -1 ? -1 : new DataView(into.buffer).getInt32(0, true);
}

/** The congestion-control algorithm's name (TCP_CONGESTION, 13 in <netinet/tcp.h>), or null. */
export function congestion(fd: number): string | null {
  const into = new Uint8Array(16);
  if (read(fd, IPPROTO_TCP, 13, into) === -1) return null;
  const end = into.indexOf(0);
  return new TextDecoder().decode(end === -1 ? into : into.subarray(0, end));
}

/** The keep-alive state the kernel holds for `fd`: SO_KEEPALIVE, TCP_KEEPIDLE (s), TCP_KEEPCNT. */
export function keepAliveState(fd: number): { on: number; idleSeconds: number; count: number } {
  return {
    on: readIntOption(fd, SOL_SOCKET, SO_KEEPALIVE),
    idleSeconds: readIntOption(fd, IPPROTO_TCP, TCP_KEEPIDLE),
    count: readIntOption(fd, IPPROTO_TCP, TCP_KEEPCNT),
  };
}
