/**
 * What `ls` found for each process and socket, as the table and the JSON show it.
 *
 * @module
 */
import type { KeepAliveSettings } from "../options/keepalive.ts";

/** The live figures `ls` shows from `TCP_INFO`; durations in ms, `null` where the OS has none. */
export interface LiveFigures {
  readonly rtt: number | null;
  readonly retransmits: number | null;
  readonly totalRetransmits: number | null;
  /** Unanswered keep-alive probes sent so far. */
  readonly probes: number | null;
  readonly lastDataReceived: number | null;
}

/** One TCP socket as `ls` shows it. */
export interface SocketReport {
  readonly fd: number;
  readonly local: string;
  readonly remote: string | null;
  readonly state: string;
  /** SO_COOKIE as a decimal string, or `null` where the OS has none. */
  readonly cookie: string | null;
  readonly keepAlive: KeepAliveSettings;
  /** The user timeout in ms (0: the system's default), or `null` where the OS has none. */
  readonly userTimeout: number | null;
  readonly live: LiveFigures;
}

/** One process as `ls` shows it. */
export interface ProcessReport {
  readonly pid: number;
  readonly command: string;
  readonly uid: number | null;
  readonly namespace: string | null;
  readonly sockets: SocketReport[];
}
