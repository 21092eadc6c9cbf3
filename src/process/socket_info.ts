/**
 * The rows {@link tcpSockets} returns, built either from a sock_diag record (Linux) or from
 * system calls on the fd (elsewhere, and for sockets the dump does not show).
 *
 * @module
 */
import { displayIp, formatIp, isLinkLocal } from "../address.ts";
import { SockoptError, UnsupportedError } from "../errors.ts";
import { type Endpoint, socketName } from "../sys/inspect.ts";
import { isListening, socketType } from "../sys/inspect.ts";
import { currentHost } from "../sys/host.ts";
import { type DiagTable, REC } from "../../platforms/backend.ts";
import { getTcpInfo, tcpInfoLayout, type TcpState } from "../options/tcp_info.ts";

/**
 * One end of a TCP socket.
 *
 * @example Writing an address the way URLs do
 * ```ts
 * import type { SocketAddress } from "jsr:@sockopts/sockopts";
 *
 * export function hostPort({ address, port, family }: SocketAddress): string {
 *   return family === "IPv6" ? `[${address}]:${port}` : `${address}:${port}`;
 * }
 * ```
 */
export interface SocketAddress {
  /** The IP address as people write it: `127.0.0.1`, `::1`, `0.0.0.0`, `::`. */
  readonly address: string;
  /** The port. */
  readonly port: number;
  /** `"IPv4"` or `"IPv6"`: the socket's family (an IPv6 socket may talk to IPv4-mapped peers). */
  readonly family: "IPv4" | "IPv6";
  /**
   * For a link-local IPv6 address (`fe80::…`) only: the index of the interface it is on (its
   * zone, `sin6_scope_id`), which tells apart two connections between the same addresses over
   * two links. Absent for every other address.
   */
  readonly scopeId?: number;
}

/**
 * A TCP socket of this process, as {@link tcpSockets} lists it. The `…Text` fields repeat the
 * structured ones as flat strings, so `console.table(tcpSockets())` reads well.
 *
 * @example The listening sockets of this process
 * ```ts
 * import { tcpSockets, type TcpSocketInfo } from "jsr:@sockopts/sockopts";
 *
 * const listeners: TcpSocketInfo[] = tcpSockets().filter((s) => s.listening);
 * console.log(listeners.map((s) => `fd ${s.fd} on port ${s.local.port}`));
 * console.table(tcpSockets(), ["fd", "localText", "remoteText", "stateName"]);
 * ```
 */
export interface TcpSocketInfo {
  /** Its file descriptor. */
  readonly fd: number;
  /** The local end. */
  readonly local: SocketAddress;
  /**
   * The remote end, or `null` for a listener or an unconnected socket. On Linux a socket still
   * connecting (`SYN_SENT`) already has the address it is connecting to.
   */
  readonly remote: SocketAddress | null;
  /** The TCP state (`"ESTABLISHED"`, `"LISTEN"`, `"SYN_SENT"`, `"CLOSE_WAIT"`, …). */
  readonly state: TcpState;
  /** It is a listening socket. */
  readonly listening: boolean;
  /** The local end as text: `127.0.0.1:5432`, `[::1]:80`. */
  readonly localText: string;
  /** The remote end as text, or `-` when there is none. */
  readonly remoteText: string;
  /** The state again, as a plain string column. */
  readonly stateName: string;
}

function hostPort(a: SocketAddress): string {
  return a.family === "IPv6" && a.address.includes(":") ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

/** A row with its text fields filled in. */
export function row(
  fd: number,
  local: SocketAddress,
  remote: SocketAddress | null,
  state: TcpState,
): TcpSocketInfo {
  return {
    fd,
    local,
    remote,
    state,
    listening: state === "LISTEN",
    localText: hostPort(local),
    remoteText: remote === null ? "-" : hostPort(remote),
    stateName: state,
  };
}

function address(endpoint: Endpoint): SocketAddress {
  const found: SocketAddress = {
    address: displayIp(endpoint.ip, endpoint.family),
    port: endpoint.port,
    family: endpoint.family === 6 ? "IPv6" : "IPv4",
  };
  return endpoint.scope === undefined ? found : { ...found, scopeId: endpoint.scope };
}

/** The row for `fd` from system calls on it, or `undefined` when it is no TCP socket (or closed). */
export function rowFromFd(fd: number): TcpSocketInfo | undefined {
  const local = socketName(fd, false);
  if (typeof local === "string" || socketType(fd) !== currentHost().platform.SOCK_STREAM) return undefined;
  const remote = socketName(fd, true);
  let state: TcpState;
  try {
    state = getTcpInfo(fd).state;
  } catch (error) {
    if (error instanceof SockoptError) return undefined; // closed while we looked
    if (!(error instanceof UnsupportedError)) throw error;
    // No TCP info on this OS (Windows): what SO_ACCEPTCONN and getpeername tell.
    state = isListening(fd) === 1 ? "LISTEN" : typeof remote === "string" ? "UNKNOWN" : "ESTABLISHED";
  }
  return row(fd, address(local), typeof remote === "string" ? null : address(remote), state);
}

const STATE_NAMES = (): readonly (TcpState | null)[] => tcpInfoLayout(currentHost().platform.os).states;

// A process talks to few addresses: each IPv4 one is written once, not once per socket (a listing
// of 10,000 sockets otherwise builds 20,000 strings for a handful of addresses).
const v4Text = new Map<number, string>();

function recordAddress(table: DiagTable, at: number, six: boolean, offset: number, portAt: number): SocketAddress {
  let address: string | undefined;
  if (six) {
    const ip = formatIp(table.bytes, at + offset, 16);
    const port = table.view.getUint16(at + portAt, false);
    // idiag_if: the interface the socket is bound to, which a link-local socket always is.
    const scopeId = isLinkLocal(ip) ? table.view.getUint32(at + REC.iface, true) : 0;
    const found: SocketAddress = { address: displayIp(ip, 6), port, family: "IPv6" };
    return scopeId === 0 ? found : { ...found, scopeId };
  } else {
    const key = table.view.getUint32(at + offset, false);
    address = v4Text.get(key);
    if (address === undefined) {
      address = displayIp(formatIp(table.bytes, at + offset, 4), 4);
      if (v4Text.size < 1024) v4Text.set(key, address);
    }
  }
  return { address, port: table.view.getUint16(at + portAt, false), family: six ? "IPv6" : "IPv4" };
}

/** The TCP state of record `index`, or `undefined` for a state outside TCP's public ones. */
export function recordState(table: DiagTable, index: number): TcpState | undefined {
  return STATE_NAMES()[table.bytes[table.offsets[index] + REC.state]] ?? undefined;
}

/** The row for record `index` of a sock_diag dump, held at `fd`. */
export function rowFromRecord(table: DiagTable, index: number, fd: number): TcpSocketInfo | undefined {
  const at = table.offsets[index];
  const state = recordState(table, index);
  if (state === undefined) return undefined;
  const six = table.bytes[at + REC.family] === 10;
  const local = recordAddress(table, at, six, REC.src, REC.sport);
  // A listener, or a socket not yet connecting, has no remote end: port 0 in the dump.
  const dport = table.view.getUint16(at + REC.dport, false);
  const remote = state === "LISTEN" || dport === 0 ? null : recordAddress(table, at, six, REC.dst, REC.dport);
  return row(fd, local, remote, state);
}
