/**
 * Another process's socket, borrowed: pidfd_open(2) + pidfd_getfd(2) give this process a
 * duplicate of its fd (the same open file description, so the same kernel socket), which the
 * library then reads like any fd. Linux x86_64 5.6+, and root or ptrace rights over the target.
 * Used to check from outside Wine what the Linux kernel holds for a Windows program's socket.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { isBun, isDeno } from "./runtime.ts";

const SYS_PIDFD_OPEN = 434;
const SYS_PIDFD_GETFD = 438;

type Syscall = (n: bigint, a: bigint, b: bigint, c: bigint) => bigint;
type Close = (fd: number) => number;

let bound: { syscall: Syscall; close: Close } | undefined;

// syscall(2) is variadic; on x86_64 its integer arguments go in registers either way.
function libc(): { syscall: Syscall; close: Close } {
  if (bound !== undefined) return bound;
  if (isDeno) {
    const lib = Deno.dlopen("libc.so.6", {
      syscall: { parameters: ["i64", "i64", "i64", "i64"], result: "i64" },
      close: { parameters: ["i32"], result: "i32" },
    });
    bound = { syscall: lib.symbols.syscall as Syscall, close: lib.symbols.close };
  } else if (isBun) {
    const ffi = (import.meta as unknown as {
      require(id: string): {
        dlopen(p: string, s: unknown): { symbols: Record<string, (...a: unknown[]) => unknown> };
      };
    }).require("bun:ffi");
    const lib = ffi.dlopen("libc.so.6", {
      syscall: { args: ["i64", "i64", "i64", "i64"], returns: "i64" },
      close: { args: ["i32"], returns: "i32" },
    });
    bound = {
      syscall: (...a) => BigInt(lib.symbols.syscall(...a) as bigint | number),
      close: lib.symbols.close as Close,
    };
  } else {
    const proc = globalThis.process as unknown as { getBuiltinModule(id: string): unknown };
    const ffi = proc.getBuiltinModule("node:ffi") as {
      dlopen(p: string, s: unknown): { functions: Record<string, (...a: unknown[]) => unknown> };
    };
    const lib = ffi.dlopen("libc.so.6", {
      syscall: { arguments: ["int64", "int64", "int64", "int64"], return: "int64" },
      close: { arguments: ["int32"], return: "int32" },
    });
    bound = { syscall: lib.functions.syscall as Syscall, close: lib.functions.close as Close };
  }
  return bound;
}

/** A duplicate of `fd` of process `pid` in this process; close it with {@link closeFd}. */
export function borrowFd(pid: number, fd: number): number {
  const { syscall, close } = libc();
  const pidfd = Number(syscall(BigInt(SYS_PIDFD_OPEN), BigInt(pid), 0n, 0n));
  if (pidfd < 0) throw new Error(`Cannot open a pidfd for process ${pid}`);
  try {
    const copy = Number(syscall(BigInt(SYS_PIDFD_GETFD), BigInt(pidfd), BigInt(fd), 0n));
    if (copy < 0) throw new Error(`Cannot take fd ${fd} of process ${pid} (pidfd_getfd failed)`);
    return copy;
  } finally {
    close(pidfd);
  }
}

/** Closes an fd {@link borrowFd} returned (the other process's stays open). */
export function closeFd(fd: number): void {
  libc().close(fd);
}

/** Where a Linux process holds a socket: its pid and fd. */
export interface Holder {
  readonly pid: number;
  readonly fd: number;
  /** The process's name (comm), to tell wineserver from the program. */
  readonly comm: string;
}

/**
 * The processes holding the IPv4 loopback TCP socket with these local and remote ports (remote
 * port 0: the socket listening on 127.0.0.1 at the local port), found through /proc/net/tcp (its
 * inode) and every /proc/PID/fd link.
 */
export function socketHolders(localPort: number, remotePort: number): Holder[] {
  const hex = (port: number) => `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const remote = remotePort === 0 ? "00000000:0000" : hex(remotePort);
  let inode: string | undefined;
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === hex(localPort) && f[2] === remote) inode = f[9];
  }
  if (inode === undefined) return [];
  const holders: Holder[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== `socket:[${inode}]`) continue;
        const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
        holders.push({ pid: Number(pid), fd: Number(fd), comm });
      } catch {
        // the fd closed meanwhile
      }
    }
  }
  return holders;
}
