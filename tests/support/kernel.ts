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

type Reader = (fd: number, level: number, optname: number) => number;

function bunReader(): Reader {
  const ffi = (import.meta as unknown as { require(id: string): BunFFI }).require("bun:ffi");
  const { getsockopt } = ffi.dlopen("libc.so.6", {
    getsockopt: { args: ["i32", "i32", "i32", "ptr", "ptr"], returns: "i32" },
  }).symbols;
  const cell = new Int32Array(2); // [value, socklen_t]
  const valuePtr = ffi.ptr(cell);
  return (fd, level, optname) => {
    cell[1] = 4;
    return getsockopt(fd, level, optname, valuePtr, valuePtr + 4) === 0 ? cell[0] : -1;
  };
}

function denoReader(): Reader {
  const { getsockopt } = Deno.dlopen("libc.so.6", {
    getsockopt: { parameters: ["i32", "i32", "i32", "pointer", "pointer"], result: "i32" },
  }).symbols;
  const cell = new Int32Array(2);
  const valuePtr = Deno.UnsafePointer.of(cell);
  const lenPtr = Deno.UnsafePointer.offset(valuePtr!, 4);
  return (fd, level, optname) => {
    cell[1] = 4;
    return getsockopt(fd, level, optname, valuePtr, lenPtr) === 0 ? cell[0] : -1;
  };
}

let reader: Reader | undefined;

/** getsockopt(fd, level, optname) as an int, or -1 when the call fails. */
export function readIntOption(fd: number, level: number, optname: number): number {
  reader ??= typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? bunReader() : denoReader();
  return reader(fd, level, optname);
}

/** The keep-alive state the kernel holds for `fd`: SO_KEEPALIVE, TCP_KEEPIDLE (s), TCP_KEEPCNT. */
export function keepAliveState(fd: number): { on: number; idleSeconds: number; count: number } {
  return {
    on: readIntOption(fd, SOL_SOCKET, SO_KEEPALIVE),
    idleSeconds: readIntOption(fd, IPPROTO_TCP, TCP_KEEPIDLE),
    count: readIntOption(fd, IPPROTO_TCP, TCP_KEEPCNT),
  };
}
