/**
 * The process whose sockets the command shows or changes: this one (any OS the library runs on), or
 * another by pid (Linux 5.6+). Another process's TCP sockets come from one sock_diag dump of its
 * network namespace (addresses, state, cookie) matched by inode to its fds (`/proc/PID/fd`); each
 * socket is then reached through a duplicate of its fd (`pidfd_getfd`), checked to be the socket
 * that was listed (its SO_COOKIE) before anything reads or sets it, and closed again.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { cookieParts, hasCookies, holdsCookie, readCookie } from "../libc.ts";
import { currentHost } from "../platform.ts";
import { eachSocket } from "../process_sockets.ts";
import { type DiagTable, dumpTcp, REC, sockDiagAvailable } from "../sock_diag.ts";
import { row, rowFromFd, rowFromRecord, type TcpSocketInfo } from "../socket_info.ts";
import {
  closeFd,
  LINUX_ERRNO,
  networkNamespace,
  openPidfd,
  ProcessCallError,
  processFds,
  sockDiagIn,
  takeFd,
} from "../sys/pidfd.ts";
import { notPermitted, processUid } from "./access.ts";
import { CliError, EXIT } from "./errors.ts";

/** A TCP socket as listed, before anything is read through it. */
export interface ListedSocket extends TcpSocketInfo {
  /** Its SO_COOKIE as two 32-bit halves (low, high), or `null` where the OS has none. */
  readonly cookie: readonly [number, number] | null;
}

/** The socket closed (or its fd now holds another socket) since it was listed. */
export const GONE: unique symbol = Symbol("gone");

/** A process whose TCP sockets can be listed and reached. */
export interface Target {
  readonly pid: number;
  /** This process itself (no `--pid`). */
  readonly self: boolean;
  /** Its command name (`/proc/PID/comm`), or `""` where unknown. */
  readonly command: string;
  /** Its real uid, where known. */
  readonly uid: number | undefined;
  /** Its network namespace (`net:[…]`), where known. */
  readonly namespace: string | undefined;
  /** Lists its TCP sockets: one dump, no per-socket call (but for sockets the dump cannot see). */
  list(): ListedSocket[];
  /**
   * Runs `use` on an fd holding `socket` (a duplicate, closed afterwards), once its cookie shows it
   * is the socket listed; {@link GONE} when it closed since.
   */
  using<T>(socket: ListedSocket, use: (fd: number) => T): T | typeof GONE;
  /** Releases the pidfd. */
  close(): void;
}

/** Linux's version as [major, minor], from /proc/sys/kernel/osrelease. */
export function kernelVersion(): { text: string; major: number; minor: number } | undefined {
  try {
    const text = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
    const [major, minor] = text.split(/[.-]/).map(Number);
    return { text, major, minor };
  } catch {
    return undefined;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

const halves = (table: DiagTable, index: number): [number, number] => {
  const at = table.offsets[index] + REC.cookie;
  return [table.view.getUint32(at, true), table.view.getUint32(at + 4, true)];
};

function selfTarget(): Target {
  const pid = (globalThis as { process?: { pid?: number } }).process?.pid ?? 0;
  return {
    pid,
    self: true,
    command: "sockopts",
    uid: undefined,
    namespace: undefined,
    list() {
      const found: ListedSocket[] = [];
      eachSocket((socket, low, high) => found.push({ ...socket, cookie: low === -1 ? null : [low, high] }), () => {});
      return found;
    },
    using(socket, use) {
      if (socket.cookie !== null && !holdsCookie(socket.fd, socket.cookie[0], socket.cookie[1])) return GONE;
      return use(socket.fd);
    },
    close() {},
  };
}

// The last dump, by namespace: `ls --all` lists many processes of one namespace from one dump.
// Valid until the next dump (sock_diag.ts reuses its storage), so only this module dumps here.
let lastDump: { namespace: string; table: DiagTable } | undefined;

function dumpFor(pid: number, namespace: string | undefined): DiagTable | undefined {
  if (!sockDiagAvailable()) return undefined;
  if (namespace !== undefined && lastDump?.namespace === namespace) return lastDump.table;
  lastDump = undefined;
  let table: DiagTable;
  if (namespace !== undefined && namespace === networkNamespace("thread-self")) table = dumpTcp();
  else {
    let netlink: number;
    try {
      netlink = sockDiagIn(pid);
    } catch (error) {
      // Not allowed into its namespace (no CAP_SYS_ADMIN there): read each socket through its duplicate.
      if (error instanceof ProcessCallError) return undefined;
      throw error;
    }
    try {
      table = dumpTcp(netlink);
    } finally {
      closeFd(netlink);
    }
  }
  if (namespace !== undefined) lastDump = { namespace, table };
  return table;
}

/**
 * Fails unless this is Linux 5.6 or later, which reading another process's sockets needs.
 * @param flag The flag that asked for it, for the message (`--pid`, `--all`).
 * @throws {CliError} unsupported (5), saying what works instead.
 */
export function checkKernel(flag: string): void {
  const os = currentHost().platform.os;
  if (os !== "linux") {
    throw new CliError(
      `Cannot use ${flag}: it is Linux-only (this is ${os}); reading another process's sockets needs Linux 5.6's ` +
        "pidfd_getfd. `sockopts ls` without --pid lists this process's own sockets",
      EXIT.unsupported,
    );
  }
  const kernel = kernelVersion();
  if (kernel !== undefined && (kernel.major < 5 || (kernel.major === 5 && kernel.minor < 6))) {
    throw new CliError(
      `Cannot use ${flag}: it needs Linux 5.6 or later (pidfd_getfd), and this kernel is ${kernel.text}`,
      EXIT.unsupported,
    );
  }
}

function tooOld(call: string): CliError {
  const kernel = kernelVersion()?.text ?? "unknown";
  return new CliError(
    `Cannot use --pid: ${call} is not available (ENOSYS); it needs Linux 5.6 or later, and this kernel reports ` +
      `${kernel}, so a seccomp filter (a container's profile, a sandbox) blocks it: allow ${call}, or run ` +
      "sockopts outside that sandbox",
    EXIT.unsupported,
  );
}

function gone(pid: number): CliError {
  return new CliError(`Cannot inspect process ${pid}: no such process`, EXIT.noSuchProcess);
}

// A failed call about the process, as the operator's error: gone, refused, or what the kernel said.
function explain(pid: number, error: ProcessCallError, what: string): CliError {
  const { ESRCH, ENOENT, EPERM, EACCES, ENOSYS } = LINUX_ERRNO;
  if (error.errno === ESRCH || error.errno === ENOENT) return gone(pid);
  if (error.errno === EPERM || error.errno === EACCES) {
    return notPermitted(pid, `${what} (${error.syscall}: ${error.code})`);
  }
  if (error.errno === ENOSYS) return tooOld(error.syscall);
  return new CliError(`Cannot ${what}: ${error.message}`, EXIT.failed);
}

function remoteTarget(pid: number): Target {
  let pidfd: number;
  try {
    pidfd = openPidfd(pid);
  } catch (error) {
    if (error instanceof ProcessCallError) throw explain(pid, error, `open process ${pid}`);
    throw error;
  }
  const namespace = networkNamespace(pid);
  const take = (fd: number): number | typeof GONE => {
    const dup = takeFd(pidfd, fd);
    if (dup >= 0) return dup;
    if (-dup === LINUX_ERRNO.EBADF) return GONE;
    throw explain(pid, new ProcessCallError("pidfd_getfd", -dup, ""), `take the fds of process ${pid}`);
  };
  return {
    pid,
    self: false,
    command: commandOf(pid),
    uid: processUid(pid),
    namespace,
    list() {
      let listing;
      try {
        listing = processFds(pid);
      } catch (error) {
        if (error instanceof ProcessCallError) throw explain(pid, error, `list the fds of process ${pid}`);
        throw error;
      }
      const sockets: [number, number][] = [];
      for (let i = 0; i < listing.count; i++) {
        if (listing.inodes[i] !== 0) sockets.push([listing.fds[i], listing.inodes[i]]);
      }
      const table = sockets.length === 0 ? undefined : dumpFor(pid, namespace);
      const byInode = new Map<number, number>();
      for (let i = 0; table !== undefined && i < table.count; i++) {
        const inode = table.view.getUint32(table.offsets[i] + REC.inode, true);
        if (inode !== 0) byInode.set(inode, i);
      }
      const found: ListedSocket[] = [];
      for (const [fd, inode] of sockets) {
        const index = byInode.get(inode);
        if (table !== undefined && index !== undefined) {
          const listed = rowFromRecord(table, index, fd);
          if (listed !== undefined) found.push({ ...listed, cookie: halves(table, index) });
          continue;
        }
        // Not in the dump: no TCP socket, or one in another namespace than the process's own.
        const dup = take(fd);
        if (dup === GONE) continue;
        try {
          const r = rowFromFd(dup);
          if (r === undefined) continue;
          const cookie: [number, number] | null = hasCookies() && readCookie(dup) ? cookieParts() : null;
          found.push({ ...row(fd, r.local, r.remote, r.state), cookie });
        } finally {
          closeFd(dup);
        }
      }
      return found;
    },
    using(socket, use) {
      const dup = take(socket.fd);
      if (dup === GONE) return GONE;
      try {
        if (socket.cookie !== null && !holdsCookie(dup, socket.cookie[0], socket.cookie[1])) return GONE;
        return use(dup);
      } finally {
        closeFd(dup);
      }
    },
    close() {
      closeFd(pidfd);
    },
  };
}

/**
 * The process to work on: another one by pid (Linux 5.6+), or this one.
 * @param pid The process, or `undefined` for this one.
 * @returns The target; {@link Target.close} it when done.
 * @throws {CliError} no such process (3), not permitted (4) or unsupported (5), each saying why.
 * @example Listing a process's TCP sockets
 * ```ts
 * import { openTarget } from "./remote_process.ts";
 *
 * const target = openTarget(undefined); // this process
 * console.log(target.list().map((s) => `${s.fd} ${s.localText} ${s.stateName}`));
 * target.close();
 * ```
 */
export function openTarget(pid: number | undefined): Target {
  if (pid === undefined) {
    lastDump = undefined; // the library's own listing dumps into the same storage
    return selfTarget();
  }
  checkKernel("--pid");
  return remoteTarget(pid);
}
