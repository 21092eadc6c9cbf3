/**
 * Live connection statistics: Linux's and FreeBSD's `struct tcp_info` (TCP_INFO) and macOS's
 * `struct tcp_connection_info` (TCP_CONNECTION_INFO), decoded from the layouts in
 * `platforms/*.ts`, using only the bytes the kernel returned.
 *
 * @module
 */
import { darwinTcpInfo } from "../../platforms/darwin/constants.ts";
import { freebsdTcpInfo } from "../../platforms/freebsd/constants.ts";
import { linuxTcpInfo } from "../../platforms/linux/constants.ts";
import type {
  OptionConstant,
  OsName,
  PlatformConstants,
  TcpInfoConstant,
  TcpInfoField,
  TcpState,
} from "../../platforms/types.ts";
import { resolveFd, type SocketHandle } from "../handles/resolve.ts";
import { getBytes } from "../sys/libc.ts";
import { VALUE_CAPACITY, valueBytes } from "../sys/native.ts";
import { currentHost } from "../sys/host.ts";
import { UnsupportedError } from "../errors.ts";

export type { TcpState };

/**
 * A TCP connection's state and statistics, as the kernel reports them. Durations are in
 * milliseconds (fractions where the kernel counts µs). A field is `null` where this OS does not
 * report it (macOS has no per-segment retransmit count, probe count, unacked count or last-data
 * times; FreeBSD has no retransmit, probe, unacked or last-sent count) or where the kernel
 * returned a struct too short to hold it.
 *
 * @example Flagging a struggling connection
 * ```ts
 * import { getTcpInfo, type TcpInfo } from "jsr:@sockopts/sockopts";
 *
 * export function struggling(info: TcpInfo): boolean {
 *   return (info.rtt ?? 0) > 200 || (info.retransmits ?? 0) > 0;
 * }
 *
 * export function check(fd: number): boolean {
 *   return struggling(getTcpInfo(fd));
 * }
 * ```
 */
export interface TcpInfo {
  /** The state, by its RFC 793 name ("ESTABLISHED", "LISTEN", "CLOSE_WAIT", …). */
  readonly state: TcpState;
  /** Smoothed round-trip time, in ms. */
  readonly rtt: number | null;
  /** Round-trip time variation, in ms. */
  readonly rttvar: number | null;
  /**
   * Retransmission timeout, in ms. macOS reports it only while a retransmission timer runs (data
   * in flight) and 0 otherwise (xnu's `tcp_connection_fill_info`).
   */
  readonly rto: number | null;
  /** Retransmissions of the current unacknowledged segment (Linux `tcpi_retransmits`). */
  readonly retransmits: number | null;
  /** Segments retransmitted over the connection's life. */
  readonly totalRetransmits: number | null;
  /** Unanswered keep-alive (or zero-window) probes sent so far (Linux `tcpi_probes`). */
  readonly probes: number | null;
  /** Congestion window, in segments (macOS and FreeBSD count bytes: divided by `mss`, rounded up). */
  readonly cwnd: number | null;
  /** Maximum segment size for sending, in bytes. */
  readonly mss: number | null;
  /** Segments sent and not yet acknowledged. */
  readonly unacked: number | null;
  /** Milliseconds since data was last sent. */
  readonly lastDataSent: number | null;
  /** Milliseconds since data was last received. */
  readonly lastDataReceived: number | null;
}

function field(view: DataView, length: number, f: TcpInfoField | null): number | null {
  if (f === null || f.offset + f.size > length) return null;
  if (f.size === 1) return view.getUint8(f.offset);
  if (f.size === 4) return view.getUint32(f.offset, true);
  return Number(view.getBigUint64(f.offset, true));
}

function duration(view: DataView, length: number, f: TcpInfoField | null): number | null {
  const value = field(view, length, f);
  return value === null || f === null ? null : f.unit === "us" ? value / 1000 : value;
}

/**
 * Decodes a TCP info struct: the first `length` bytes of `bytes`, laid out as `layout` says.
 * Fields past `length` (a shorter struct from an older kernel) come out `null`.
 *
 * @param layout The OS's struct layout ({@link tcpInfoLayout}).
 * @param bytes The struct as the kernel wrote it.
 * @param length How many bytes the kernel wrote (the optlen it returned).
 * @returns The decoded statistics.
 */
export function decodeTcpInfo(layout: TcpInfoConstant, bytes: Uint8Array, length: number): TcpInfo {
  const usable = Math.min(length, bytes.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, usable);
  const f = layout.fields;
  const stateNumber = field(view, usable, f.state);
  const mss = field(view, usable, f.mss);
  let cwnd = field(view, usable, f.cwnd);
  if (cwnd !== null && f.cwnd?.unit === "bytes") cwnd = mss !== null && mss > 0 ? Math.ceil(cwnd / mss) : null;
  return {
    state: (stateNumber === null ? null : layout.states[stateNumber]) ?? "UNKNOWN",
    rtt: duration(view, usable, f.rtt),
    rttvar: duration(view, usable, f.rttvar),
    rto: duration(view, usable, f.rto),
    retransmits: field(view, usable, f.retransmits),
    totalRetransmits: field(view, usable, f.totalRetransmits),
    probes: field(view, usable, f.probes),
    cwnd,
    mss,
    unacked: field(view, usable, f.unacked),
    lastDataSent: duration(view, usable, f.lastDataSent),
    lastDataReceived: duration(view, usable, f.lastDataReceived),
  };
}

/**
 * An OS's TCP info struct: kept out of the OS tables, which every set and get reaches, so that only
 * what reads it carries it.
 *
 * @param os The OS.
 * @returns Its struct's option name and number, state names and field layout.
 */
export function tcpInfoLayout(os: OsName): TcpInfoConstant {
  if (os === "windows") {
    // SIO_TCP_INFO (WSAIoctl, Windows 10 1703) is an ioctl, not an option: not read here, and Wine
    // answers it with WSAEOPNOTSUPP, so nothing here could check a decoder.
    throw new UnsupportedError(
      "Unsupported: connection statistics on Windows come from WSAIoctl(SIO_TCP_INFO), which sockopts does not read",
      "windows",
    );
  }
  return os === "linux" ? linuxTcpInfo : os === "darwin" ? darwinTcpInfo : freebsdTcpInfo;
}

const infoConstants = new WeakMap<PlatformConstants, OptionConstant>();

function infoConstant(platform: PlatformConstants): OptionConstant {
  let constant = infoConstants.get(platform);
  if (constant === undefined) {
    const { native, optname } = tcpInfoLayout(platform.os);
    constant = { native, level: platform.IPPROTO_TCP, optname, unit: "struct", min: 0, max: 0, readOnly: true };
    infoConstants.set(platform, constant);
  }
  return constant;
}

/**
 * Reads a TCP connection's live state and statistics: Linux `TCP_INFO`, macOS
 * `TCP_CONNECTION_INFO`, FreeBSD `TCP_INFO`. Linux's struct grows between kernel versions, so
 * sockopts offers the kernel room for a large one and decodes only the bytes it returns.
 *
 * @param socket A socket handle ({@link SocketHandle}): a file descriptor, or a Deno, Bun or `node:net` socket, listener or server.
 * @returns The state by name, round-trip times and timeout in ms, retransmission and probe
 *   counts, the congestion window, unacked segments, and ms since data was last sent and received.
 * @throws {TypeError} for a missing or unknown socket.
 * @throws {SockoptError} when the kernel refuses, or the socket is not TCP.
 *
 * @example Watching a connection's health
 * ```ts
 * import { getTcpInfo } from "jsr:@sockopts/sockopts";
 *
 * export function health(fd: number): string {
 *   const info = getTcpInfo(fd);
 *   return `${info.state} rtt=${info.rtt} ms rto=${info.rto} ms cwnd=${info.cwnd} retrans=${info.totalRetransmits}`;
 * }
 * ```
 */
export function getTcpInfo(socket: SocketHandle): TcpInfo {
  const fd = resolveFd(socket, "Cannot get TCP_INFO");
  const { platform } = currentHost();
  const length = getBytes(fd, "TCP_INFO", infoConstant(platform), VALUE_CAPACITY);
  return decodeTcpInfo(tcpInfoLayout(platform.os), valueBytes("getsockopt"), length);
}
