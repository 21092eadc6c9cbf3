/**
 * SCM_RIGHTS for tests, bound straight to libc through the runtime's own FFI (node:net has no
 * sendmsg, and this must not go through the code under test): a Unix-domain socket pair, a
 * TCP connection made with socket() and connect() that no runtime object holds, and sendmsg /
 * recvmsg carrying one fd. While a passed fd is in flight no process holds the socket; once
 * received it is this process's at a new number, as a connection handed over by another process
 * (a cluster primary, a socket-activation manager) is. Linux x86_64 and arm64 (glibc layouts).
 */
/// <reference types="npm:@types/bun@1.4.4" />
import { isBun, isDeno } from "./runtime.ts";

// <bits/socket.h>, <asm-generic/socket.h>, <netinet/in.h>
const AF_UNIX = 1;
const AF_INET = 2;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MSG_CMSG_CLOEXEC = 0x40000000;

// One scratch area: struct msghdr (56 bytes) at 0, struct iovec at 64, the byte sent at 80, one
// cmsghdr with an int (CMSG_SPACE(4) = 24) at 96, int sv[2] at 128, struct sockaddr_in at 160.
const MSG = 0;
const IOV = 64;
const BYTE = 80;
const CMSG = 96;
const PAIR = 128;
const ADDR = 160;
const SIZE = 256;

type Fn = (...args: unknown[]) => unknown;
interface Bound {
  /** The scratch area, at a stable address. */
  readonly mem: Uint8Array;
  /** The address of `mem[offset]`, as C sees it. */
  address(offset: number): bigint;
  /** `mem[offset]` as this runtime's FFI takes a pointer argument. */
  pointer(offset: number): unknown;
  readonly fn: Record<"socket" | "connect" | "socketpair" | "sendmsg" | "recvmsg" | "close", Fn>;
}

const SIGNATURES = {
  socket: [["i32", "i32", "i32"], "i32"],
  connect: [["i32", "pointer", "u32"], "i32"],
  socketpair: [["i32", "i32", "i32", "pointer"], "i32"],
  sendmsg: [["i32", "pointer", "i32"], "i64"],
  recvmsg: [["i32", "pointer", "i32"], "i64"],
  close: [["i32"], "i32"],
} as const;

function bindBun(): Bound {
  const ffi = (import.meta as unknown as { require(id: string): typeof import("bun:ffi") }).require("bun:ffi");
  const types = { i32: ffi.FFIType.i32, u32: ffi.FFIType.u32, i64: ffi.FFIType.i64, pointer: ffi.FFIType.ptr };
  const defs = Object.fromEntries(
    Object.entries(SIGNATURES).map(([name, [args, result]]) => [name, {
      args: args.map((t) => types[t]),
      returns: types[result],
    }]),
  );
  const lib = ffi.dlopen("libc.so.6", defs);
  // The ArrayBuffer first: Bun moves a small typed array's bytes when its .buffer is first read.
  const mem = new Uint8Array(new ArrayBuffer(SIZE));
  const base = ffi.ptr(mem);
  return {
    mem,
    address: (offset) => BigInt(base) + BigInt(offset),
    pointer: (offset) => base + offset,
    fn: lib.symbols as unknown as Bound["fn"],
  };
}

function bindDeno(): Bound {
  const defs = Object.fromEntries(
    Object.entries(SIGNATURES).map(([name, [parameters, result]]) => [name, { parameters, result }]),
  );
  const lib = Deno.dlopen("libc.so.6", defs as unknown as Deno.ForeignLibraryInterface);
  const mem = new Uint8Array(new ArrayBuffer(SIZE));
  const base = Deno.UnsafePointer.of(mem)!;
  return {
    mem,
    address: (offset) => BigInt(Deno.UnsafePointer.value(base)) + BigInt(offset),
    pointer: (offset) => Deno.UnsafePointer.offset(base, offset),
    fn: lib.symbols as unknown as Bound["fn"],
  };
}

interface NodeFFI {
  dlopen(path: string, symbols: Record<string, { arguments: string[]; return: string }>): {
    functions: Record<string, Fn>;
  };
  toArrayBuffer(pointer: bigint, length: number, copy: boolean): ArrayBuffer;
}

// Node 26: node:ffi, bigint addresses, malloc()ed memory (V8 may move its own buffers).
function bindNode(): Bound {
  const ffi = (globalThis as unknown as { process: { getBuiltinModule(id: string): NodeFFI } }).process
    .getBuiltinModule("node:ffi");
  const types = { i32: "int32", u32: "uint32", i64: "int64", pointer: "pointer" };
  const defs: Record<string, { arguments: string[]; return: string }> = {
    malloc: { arguments: ["uint64"], return: "pointer" },
  };
  for (const [name, [args, result]] of Object.entries(SIGNATURES)) {
    defs[name] = { arguments: args.map((t) => types[t]), return: types[result] };
  }
  const { functions } = ffi.dlopen("libc.so.6", defs);
  const base = functions.malloc(BigInt(SIZE)) as bigint;
  const mem = new Uint8Array(ffi.toArrayBuffer(base, SIZE, false));
  mem.fill(0);
  return {
    mem,
    address: (offset) => base + BigInt(offset),
    pointer: (offset) => base + BigInt(offset),
    fn: functions as Bound["fn"],
  };
}

let bound: Bound | undefined;
function lib(): Bound {
  return bound ??= isBun ? bindBun() : isDeno ? bindDeno() : bindNode();
}

function check(result: unknown, call: string): number {
  const value = Number(result);
  if (value < 0) throw new Error(`${call} failed`);
  return value;
}

/** A connected pair of Unix-domain stream sockets, made with socketpair(2). */
export function unixPair(): [number, number] {
  const b = lib();
  check(b.fn.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, b.pointer(PAIR)), "socketpair");
  const v = new DataView(b.mem.buffer, b.mem.byteOffset);
  return [v.getInt32(PAIR, true), v.getInt32(PAIR + 4, true)];
}

/**
 * A TCP connection to 127.0.0.1:`port` made with socket() and a blocking connect() (a loopback
 * listener completes it at once): an fd that no runtime object knows about.
 */
export function rawConnect(port: number): number {
  const b = lib();
  const fd = check(b.fn.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket");
  const v = new DataView(b.mem.buffer, b.mem.byteOffset);
  b.mem.fill(0, ADDR, ADDR + 16);
  v.setUint16(ADDR, AF_INET, true);
  v.setUint16(ADDR + 2, port, false);
  b.mem.set([127, 0, 0, 1], ADDR + 4);
  if (Number(b.fn.connect(fd, b.pointer(ADDR), 16)) !== 0) {
    b.fn.close(fd);
    throw new Error(`connect to 127.0.0.1:${port} failed`);
  }
  return fd;
}

// Lays out a msghdr for one byte and, when sending, one SCM_RIGHTS fd.
function message(b: Bound, fd: number): void {
  const v = new DataView(b.mem.buffer, b.mem.byteOffset);
  b.mem.fill(0, 0, 128);
  v.setBigUint64(MSG + 16, b.address(IOV), true); // msg_iov
  v.setBigUint64(MSG + 24, 1n, true); // msg_iovlen
  v.setBigUint64(MSG + 32, b.address(CMSG), true); // msg_control
  v.setBigUint64(MSG + 40, 24n, true); // msg_controllen: CMSG_SPACE(sizeof(int))
  v.setBigUint64(IOV, b.address(BYTE), true); // iov_base
  v.setBigUint64(IOV + 8, 1n, true); // iov_len
  b.mem[BYTE] = 42;
  v.setBigUint64(CMSG, 20n, true); // cmsg_len: CMSG_LEN(sizeof(int))
  v.setInt32(CMSG + 8, SOL_SOCKET, true);
  v.setInt32(CMSG + 12, SCM_RIGHTS, true);
  v.setInt32(CMSG + 16, fd, true);
}

/** Sends `fd` over the Unix-domain socket `over` (SCM_RIGHTS): the message holds the socket from now on. */
export function sendFd(over: number, fd: number): void {
  const b = lib();
  message(b, fd);
  if (check(b.fn.sendmsg(over, b.pointer(MSG), 0), "sendmsg") !== 1) throw new Error("sendmsg sent nothing");
}

/** Receives one fd sent with {@link sendFd}; the kernel gives it the lowest free number. */
export function receiveFd(over: number): number {
  const b = lib();
  message(b, -1);
  if (check(b.fn.recvmsg(over, b.pointer(MSG), MSG_CMSG_CLOEXEC), "recvmsg") !== 1) {
    throw new Error("recvmsg got nothing");
  }
  const v = new DataView(b.mem.buffer, b.mem.byteOffset);
  if (v.getInt32(CMSG + 8, true) !== SOL_SOCKET || v.getInt32(CMSG + 12, true) !== SCM_RIGHTS) {
    throw new Error("recvmsg carried no SCM_RIGHTS");
  }
  return v.getInt32(CMSG + 16, true);
}

/** close(2). */
export function closeFd(fd: number): void {
  lib().fn.close(fd);
}
