/**
 * An oracle independent of sockopts: its own two-line libc binding (getsockopt through the
 * runtime's FFI directly), so tests read a socket's options without going through the code they
 * test. Linux x86_64 and arm64 values.
 */
/// <reference types="npm:@types/bun@1.4.4" />
import { answersOption, readIntOption } from "./kernel.ts";
import { isBun, isNode } from "./runtime.ts";

// <asm-generic/socket.h>, <netinet/tcp.h>
const SOL_SOCKET = 1;
const SO_KEEPALIVE = 9;
const IPPROTO_TCP = 6;
const TCP_KEEPCNT = 6;

const SO_COOKIE = 57;

// Reads `size` bytes of an option; -1 when the kernel (or an emulator) refuses it.
type GetInt = (fd: number, level: number, name: number, size?: number) => number;

async function bind(): Promise<GetInt> {
  if (isBun) {
    const { dlopen, FFIType, ptr } = await import("bun:ffi");
    const lib = dlopen("libc.so.6", {
      getsockopt: {
        args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr],
        returns: FFIType.i32,
      },
    });
    return (fd, level, name, size = 4) => {
      const value = new Int32Array(2);
      const length = new Uint32Array([size]);
      const rc = lib.symbols.getsockopt(fd, level, name, ptr(value), ptr(length));
      if (rc !== 0 && size !== 4) return -1;
      if (rc !== 0) throw new Error(`getsockopt(${fd}, ${level}, ${name}) failed`);
      return value[0];
    };
  }
  if (isNode) {
    // Node 26: kernel.ts's own node:ffi binding (malloc()ed cells), just as independent of sockopts.
    return (fd, level, name, size = 4) => {
      if (size !== 4) return answersOption(fd, level, name, size) ? 0 : -1;
      const value = readIntOption(fd, level, name);
      if (value === -1) throw new Error(`getsockopt(${fd}, ${level}, ${name}) failed`);
      return value;
    };
  }
  const lib = Deno.dlopen("libc.so.6", {
    getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  });
  return (fd, level, name, size = 4) => {
    const value = new Int32Array(2);
    const length = new Uint32Array([size]);
    const rc = lib.symbols.getsockopt(fd, level, name, value, length);
    if (rc !== 0 && size !== 4) return -1;
    if (rc !== 0) throw new Error(`getsockopt(${fd}, ${level}, ${name}) failed`);
    return value[0];
  };
}

const getInt: GetInt = await bind();

/** SO_KEEPALIVE and TCP_KEEPCNT of `fd`, read by this module's own getsockopt. */
export function kernelKeepAlive(fd: number): { enable: boolean; count: number } {
  return { enable: getInt(fd, SOL_SOCKET, SO_KEEPALIVE) !== 0, count: getInt(fd, IPPROTO_TCP, TCP_KEEPCNT) };
}

/**
 * Whether the kernel answers SO_COOKIE for `fd` (Linux 4.6+; qemu-user refuses it with EINVAL),
 * read by this module's own getsockopt. Without it sockopts re-checks identity by addresses.
 */
export function kernelHasCookie(fd: number): boolean {
  return getInt(fd, SOL_SOCKET, SO_COOKIE, 8) !== -1;
}
