/**
 * `sockopts ls`: every TCP socket of a process (or of every process the caller may inspect) with
 * its keep-alive settings, user timeout and live `TCP_INFO` figures, each read through the socket
 * itself (a checked duplicate of the fd, for another process), as a table or as JSON.
 *
 * @module
 */
import { readdirSync } from "node:fs";
import type { CheckedFilter } from "../process/socket_filter.ts";
import { mismatch } from "../process/socket_filter.ts";
import { getKeepAlive } from "../options/keepalive.ts";
import { getTcpInfo } from "../options/tcp_info.ts";
import { getUserTimeout } from "../options/user_timeout.ts";
import { UnsupportedError } from "../errors.ts";
import { CliError, EXIT } from "./errors.ts";
import {
  checkKernel,
  type DumpScope,
  type ListedSocket,
  networkNamespace,
  openTarget,
  type Target,
} from "./remote_process.ts";
import type { Invocation } from "./args.ts";
import { processTable } from "./table.ts";
import type { ProcessReport, SocketReport } from "./report.ts";

/** The values a socket holds now, read through `fd`. */
export function readSocket(socket: ListedSocket, fd: number): SocketReport {
  let userTimeout: number | null;
  try {
    userTimeout = getUserTimeout(fd);
  } catch (error) {
    if (!(error instanceof UnsupportedError)) throw error;
    userTimeout = null;
  }
  const keepAlive = getKeepAlive(fd);
  const info = getTcpInfo(fd);
  const cookie = socket.cookie === null ? null : String(BigInt(socket.cookie[1]) << 32n | BigInt(socket.cookie[0]));
  return {
    fd: socket.fd,
    local: socket.localText,
    remote: socket.remote === null ? null : socket.remoteText,
    state: socket.state,
    cookie,
    keepAlive,
    userTimeout,
    live: {
      rtt: info.rtt,
      retransmits: info.retransmits,
      totalRetransmits: info.totalRetransmits,
      probes: info.probes,
      lastDataReceived: info.lastDataReceived,
    },
  };
}

/**
 * Lists a target's TCP sockets that match `filter` and reads each one's values.
 * @param target The process.
 * @param filter The sockets to show, or `undefined` for all.
 * @returns The process and its sockets, in fd order.
 */
export function inspect(target: Target, filter: CheckedFilter | undefined): ProcessReport {
  const sockets: SocketReport[] = [];
  target.each((socket, fd) => {
    if (filter === undefined || mismatch(filter, socket) === undefined) sockets.push(readSocket(socket, fd));
  });
  sockets.sort((a, b) => a.fd - b.fd);
  return {
    pid: target.pid,
    command: target.command,
    uid: target.uid ?? null,
    namespace: target.namespace ?? null,
    sockets,
  };
}

/** Inspects one process by pid (or this one), closing it afterwards. */
export function inspectPid(
  pid: number | undefined,
  filter: CheckedFilter | undefined,
  scope?: DumpScope,
): ProcessReport {
  const target = openTarget(pid, scope);
  try {
    return inspect(target, filter);
  } finally {
    target.close();
  }
}

/** Every process but this one, grouped by network namespace (one dump serves each group). */
function everyProcess(): number[] {
  const self = (globalThis as { process?: { pid?: number } }).process?.pid;
  const pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name)).map(Number).filter((p) => p !== self);
  const namespaces = new Map(pids.map((pid) => [pid, networkNamespace(pid) ?? ""]));
  return pids.sort((a, b) => namespaces.get(a)!.localeCompare(namespaces.get(b)!) || a - b);
}

/** `ls --all`: the processes with TCP sockets, and how many could not be inspected. */
export function inspectAll(filter: CheckedFilter | undefined): { processes: ProcessReport[]; refused: number } {
  checkKernel("--all");
  const processes: ProcessReport[] = [];
  let refused = 0;
  const scope: DumpScope = {};
  for (const pid of everyProcess()) {
    try {
      const report = inspectPid(pid, filter, scope);
      if (report.sockets.length > 0) processes.push(report);
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      if (error.exitCode === EXIT.notPermitted) refused++;
      else if (error.exitCode !== EXIT.noSuchProcess) throw error;
    }
  }
  return { processes, refused };
}

/**
 * Runs `sockopts ls`.
 * @param run The command line, read.
 * @param write Where the output goes.
 * @returns The exit code.
 */
export function ls(run: Invocation, write: (text: string) => void): number {
  if (run.allProcesses) {
    const { processes, refused } = inspectAll(run.filter);
    if (run.json) write(`${JSON.stringify({ processes, refused }, null, 2)}\n`);
    else {
      for (const report of processes) write(processTable(report));
      const skipped = refused === 0 ? "" : `; ${refused} more could not be inspected (not permitted)`;
      write(`${processes.length} processes with TCP sockets${skipped}\n`);
    }
    return EXIT.ok;
  }
  const report = inspectPid(run.pid, run.filter);
  write(run.json ? `${JSON.stringify(report, null, 2)}\n` : processTable(report));
  return EXIT.ok;
}
