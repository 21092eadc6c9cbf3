/**
 * The file-descriptor calls a test makes on its own, bound straight to libc through the runtime's
 * FFI (independent of sockopts, like tests/support/kernel.ts): duplicating an fd onto another
 * number, as another thread of the process may do at any moment, and loopback connections that
 * no runtime knows of. Linux (glibc) only, like the suite; usable from a worker thread.
 */

interface Calls {
  dup(fd: number): number;
  dup2(from: number, to: number): number;
  close(fd: number): number;
  /** A blocking IPv4 TCP socket (close-on-exec) connected to 127.0.0.1:port; -1 on failure. */
  connectLoopback(port: number): number;
}

const AF_INET = 2; // <bits/socket.h>
const SOCK_STREAM_CLOEXEC = 1 | 0o2000000; // SOCK_STREAM | SOCK_CLOEXEC

/** struct sockaddr_in for 127.0.0.1:port. */
function sockaddr(into: Uint8Array, port: number): void {
  into.fill(0);
  const view = new DataView(into.buffer, into.byteOffset, 16);
  view.setUint16(0, AF_INET, true); // sin_family
  view.setUint16(2, port, false); // sin_port, network order
  into.set([127, 0, 0, 1], 4); // sin_addr
}

type Int = (...args: number[]) => number;

interface BunFFI {
  dlopen(path: string, symbols: Record<string, { args: string[]; returns: string }>): {
    symbols: Record<string, (...args: unknown[]) => number>;
  };
  ptr(view: ArrayBufferView): number;
}

function bunCalls(): Calls {
  const ffi = (import.meta as unknown as { require(id: string): BunFFI }).require("bun:ffi");
  const int = (n: number) => ({ args: Array(n).fill("i32"), returns: "i32" });
  const s = ffi.dlopen("libc.so.6", {
    dup: int(1),
    dup2: int(2),
    close: int(1),
    socket: int(3),
    connect: { args: ["i32", "ptr", "u32"], returns: "i32" },
  }).symbols;
  // Over an ArrayBuffer of its own: Bun moves a small typed array's bytes the first time its
  // `.buffer` is read, which would leave the pointer taken here dangling.
  const address = new Uint8Array(new ArrayBuffer(16));
  const at = ffi.ptr(address);
  return {
    dup: s.dup as Int,
    dup2: s.dup2 as Int,
    close: s.close as Int,
    connectLoopback(port) {
      const fd = s.socket(AF_INET, SOCK_STREAM_CLOEXEC, 0);
      sockaddr(address, port);
      if (fd < 0 || s.connect(fd, at, 16) === 0) return fd;
      s.close(fd);
      return -1;
    },
  };
}

function denoCalls(): Calls {
  const int = (n: number) => ({ parameters: Array(n).fill("i32") as "i32"[], result: "i32" as const });
  const s = Deno.dlopen("libc.so.6", {
    dup: int(1),
    dup2: int(2),
    close: int(1),
    socket: int(3),
    connect: { parameters: ["i32", "pointer", "u32"], result: "i32" },
  }).symbols;
  const address = new Uint8Array(16);
  const at = Deno.UnsafePointer.of(address);
  return {
    dup: s.dup,
    dup2: s.dup2,
    close: s.close,
    connectLoopback(port) {
      const fd = s.socket(AF_INET, SOCK_STREAM_CLOEXEC, 0);
      sockaddr(address, port);
      if (fd < 0 || s.connect(fd, at, 16) === 0) return fd;
      s.close(fd);
      return -1;
    },
  };
}

interface NodeFFI {
  dlopen(path: string, symbols: Record<string, { arguments: string[]; return: string }>): {
    functions: Record<string, (...args: unknown[]) => unknown>;
  };
  toArrayBuffer(pointer: bigint, length: number, copy: boolean): ArrayBuffer;
}

// Node 26: node:ffi with bigint addresses into malloc()ed memory (V8 may move its own buffers).
function nodeCalls(): Calls {
  const ffi = (globalThis as unknown as { process: { getBuiltinModule(id: string): NodeFFI } }).process
    .getBuiltinModule("node:ffi");
  const int = (n: number) => ({ arguments: Array(n).fill("int32"), return: "int32" });
  const s = ffi.dlopen("libc.so.6", {
    dup: int(1),
    dup2: int(2),
    close: int(1),
    socket: int(3),
    connect: { arguments: ["int32", "pointer", "uint32"], return: "int32" },
    malloc: { arguments: ["uint64"], return: "pointer" },
  }).functions;
  const at = s.malloc(16n) as bigint;
  const address = new Uint8Array(ffi.toArrayBuffer(at, 16, false));
  return {
    dup: s.dup as Int,
    dup2: s.dup2 as Int,
    close: s.close as Int,
    connectLoopback(port) {
      const fd = s.socket(AF_INET, SOCK_STREAM_CLOEXEC, 0) as number;
      sockaddr(address, port);
      if (fd < 0 || s.connect(fd, at, 16) === 0) return fd;
      s.close(fd);
      return -1;
    },
  };
}

let calls: Calls | undefined;

/** The calls, bound on first use. */
export function fds(): Calls {
  const g = globalThis as { Bun?: unknown; Deno?: unknown };
  return calls ??= g.Bun !== undefined ? bunCalls() : g.Deno !== undefined ? denoCalls() : nodeCalls();
}
