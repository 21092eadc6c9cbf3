/**
 * The process whose sockets the command shows or changes: this one (any OS the library runs on), or
 * another by pid (Linux 5.6+). Another process's TCP sockets come from one sock_diag dump of its
 * network namespace (addresses, state, cookie) and a duplicate of each of its fds (`pidfd_getfd`,
 * numbers from `/proc/PID/fd`): a duplicate whose SO_COOKIE is in the dump is that TCP socket, and
 * is what everything is read and set through before it is closed again. One pass, no second look:
 * the socket listed is the socket touched, whatever the process does with its fd numbers meanwhile.
 *
 * @module
 */
import { readFileSync, readlinkSync } from "node:fs";
import { cookieParts, holdsCookie, readCookie } from "../sys/inspect.ts";
import { currentHost } from "../sys/host.ts";
import { eachSocket } from "../process/process_sockets.ts";
import { type DiagTable, REC } from "../../platforms/backend.ts";
import { dumpTcp } from "../sys/tcp_dump.ts";
import { sockDiagAvailable } from "../sys/sock_diag.ts";
import { row, rowFromFd, rowFromRecord, type TcpSocketInfo } from "../process/socket_info.ts";
import { closeFd, LINUX_ERRNO, openPidfd, ProcessCallError, processFds, sockDiagIn, takeFd } from "../sys/pidfd.ts";
import { notPermitted, processUid } from "./access.ts";
import { CliError, EXIT } from "./errors.ts";

/** A TCP socket as listed. */
export interface ListedSocket extends TcpSocketInfo {
  /** Its SO_COOKIE as two 32-bit halves (low, high), or `null` where the OS has none. */
  readonly cookie: readonly [number, number] | null;
}

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
  /**
   * Calls `visit` for each TCP socket, in fd order, with an fd that holds it now: for another
   * process a duplicate, closed once `visit` returns; for this one the socket's own fd, its cookie
   * checked first.
   */
  each(visit: (socket: ListedSocket, fd: number) => void): void;
  /** Releases the pidfd. */
  close(): void;
}

/**
 * The network namespace a process is in, as its `/proc/PID/ns/net` link names it.
 * @param pid The process, or `"thread-self"` for the calling thread.
 * @returns Such as `net:[4026531840]`, or `undefined` when it cannot be read (gone, not permitted).
 */
export function networkNamespace(pid: number | "thread-self"): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return undefined;
  }
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

function selfTarget(): Target {
  const pid = (globalThis as { process?: { pid?: number } }).process?.pid ?? 0;
  return {
    pid,
    self: true,
    command: "sockopts",
    uid: undefined,
    namespace: undefined,
    each(visit) {
      eachSocket((socket, low, high) => {
        // As configureSockets does: the fd still holds the socket the dump described.
        if (low !== -1 && !holdsCookie(socket.fd, low, high)) return;
        visit({ ...socket, cookie: low === -1 ? null : [low, high] }, socket.fd);
      }, () => {});
    },
    close() {},
  };
}

/**
 * One sock_diag dump per network namespace for a pass over many processes (`ls --all`): valid
 * only until the next dump (sock_diag.ts reuses its storage), so processes are visited grouped by
 * namespace and a pass keeps only the last one.
 */
export interface DumpScope {
  last?: { readonly namespace: string; readonly table: DiagTable };
}

function dumpFor(pid: number, namespace: string | undefined, scope: DumpScope | undefined): DiagTable | undefined {
  if (!sockDiagAvailable()) return undefined;
  if (namespace !== undefined && scope?.last?.namespace === namespace) return scope.last.table;
  if (scope !== undefined) scope.last = undefined;
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
  if (scope !== undefined && namespace !== undefined) scope.last = { namespace, table };
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
    `Cannot use --pid: ${call} is not available (ENOSYS); --pid needs Linux 5.6 or later, and this kernel ` +
      `reports ${kernel}, so a seccomp filter (a container's profile, a sandbox) blocks it: allow ${call}, or ` +
      "run sockopts outside that sandbox",
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
    return notPermitted(pid, what, `${error.syscall}: ${error.code}`);
  }
  if (error.errno === ENOSYS) return tooOld(error.syscall);
  return new CliError(`Cannot ${what}: ${error.message}`, EXIT.failed);
}

// A dump's records by cookie (low + high × 2³², exact while high < 2²¹: cookies count up from 1).
function byCookie(table: DiagTable | undefined): Map<number, number> {
  const map = new Map<number, number>();
  for (let i = 0; table !== undefined && i < table.count; i++) {
    const at = table.offsets[i] + REC.cookie;
    map.set(table.view.getUint32(at, true) + table.view.getUint32(at + 4, true) * 2 ** 32, i);
  }
  return map;
}

function remoteTarget(pid: number, scope: DumpScope | undefined): Target {
  let pidfd: number;
  try {
    pidfd = openPidfd(pid);
  } catch (error) {
    if (error instanceof ProcessCallError) throw explain(pid, error, `open process ${pid}`);
    throw error;
  }
  const namespace = networkNamespace(pid);
  return {
    pid,
    self: false,
    command: commandOf(pid),
    uid: processUid(pid),
    namespace,
    each(visit) {
      let fds: Int32Array;
      try {
        fds = processFds(pid).slice();
      } catch (error) {
        if (error instanceof ProcessCallError) throw explain(pid, error, `list the fds of process ${pid}`);
        throw error;
      }
      const table = dumpFor(pid, namespace, scope);
      const records = byCookie(table);
      for (const fd of fds) {
        const dup = takeFd(pidfd, fd);
        if (dup < 0) {
          if (-dup === LINUX_ERRNO.EBADF) continue; // closed since /proc listed it
          throw explain(pid, new ProcessCallError("pidfd_getfd", -dup, ""), `take the fds of process ${pid}`);
        }
        try {
          if (!readCookie(dup)) continue; // not a socket
          const [low, high] = cookieParts();
          const index = records.get(low + high * 2 ** 32);
          let listed: TcpSocketInfo | undefined;
          if (index !== undefined) listed = rowFromRecord(table!, index, fd);
          else {
            // Not in the dump: no TCP socket, or one in another namespace than the process's own.
            const r = rowFromFd(dup);
            listed = r === undefined ? undefined : row(fd, r.local, r.remote, r.state);
          }
          // The row is this pass's own object: the cookie goes onto it rather than into a copy.
          if (listed !== undefined) visit(Object.assign(listed, { cookie: [low, high] as const }), dup);
        } finally {
          closeFd(dup);
        }
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
 * @param scope Shares one dump per namespace among the processes of one pass (`ls --all`); without
 *   it, every listing dumps afresh.
 * @returns The target; {@link Target.close} it when done.
 * @throws {CliError} no such process (3), not permitted (4) or unsupported (5), each saying why.
 * @example Listing a process's TCP sockets
 * ```ts
 * import { openTarget } from "./remote_process.ts";
 *
 * const target = openTarget(undefined); // this process
 * target.each((socket, fd) => console.log(socket.fd, socket.localText, socket.stateName, fd));
 * target.close();
 * ```
 */
export function openTarget(pid: number | undefined, scope?: DumpScope): Target {
  if (pid === undefined) return selfTarget();
  checkKernel("--pid");
  return remoteTarget(pid, scope);
}
