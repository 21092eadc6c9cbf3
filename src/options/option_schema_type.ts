/**
 * The option schema's type, written out (option_schema.ts holds the values).
 *
 * @module
 */

/**
 * The type of {@link optionSchema}, written out so that documentation shows one option a line:
 * each option's level, value type and whether it is read-only, as literal types.
 *
 * @example The value type of TCP_NODELAY, as a type
 * ```ts
 * import type { OptionSchema } from "jsr:@sockopts/sockopts";
 *
 * const kind: OptionSchema["TCP_NODELAY"]["type"] = "bool";
 * console.log(kind);
 * ```
 */
export interface OptionSchema {
  /** Send keep-alive probes on an idle connection. */
  readonly SO_KEEPALIVE: {
    readonly level: "SOL_SOCKET";
    readonly type: "bool";
    readonly readOnly: false;
    readonly summary: string;
  };
  /** Allow binding an address in TIME_WAIT. */
  readonly SO_REUSEADDR: {
    readonly level: "SOL_SOCKET";
    readonly type: "bool";
    readonly readOnly: false;
    readonly summary: string;
  };
  /** Allow several sockets to bind one port. */
  readonly SO_REUSEPORT: {
    readonly level: "SOL_SOCKET";
    readonly type: "bool";
    readonly readOnly: false;
    readonly summary: string;
  };
  /** Receive buffer size. */
  readonly SO_RCVBUF: {
    readonly level: "SOL_SOCKET";
    readonly type: "bytes";
    readonly readOnly: false;
    readonly summary: string;
  };
  /** Send buffer size. */
  readonly SO_SNDBUF: {
    readonly level: "SOL_SOCKET";
    readonly type: "bytes";
    readonly readOnly: false;
    readonly summary: string;
  };
  /** How close() treats unsent data. */
  readonly SO_LINGER: {
    readonly level: "SOL_SOCKET";
    readonly type: "struct";
    readonly readOnly: false;
    readonly summary: string;
  };
  /** Pending socket error (an errno number). */
  readonly SO_ERROR: {
    readonly level: "SOL_SOCKET";
    readonly type: "int";
    readonly readOnly: true;
    readonly summary: string;
  };
  /** Socket type (SOCK_STREAM, SOCK_DGRAM, …). */
  readonly SO_TYPE: {
    readonly level: "SOL_SOCKET";
    readonly type: "int";
    readonly readOnly: true;
    readonly summary: string;
  };
  /** The socket is listening. */
  readonly SO_ACCEPTCONN: {
    readonly level: "SOL_SOCKET";
    readonly type: "bool";
    readonly readOnly: true;
    readonly summary: string;
  };
  /** Unique socket identifier. */
  readonly SO_COOKIE: {
    readonly level: "SOL_SOCKET";
    readonly type: "bigint";
    readonly readOnly: true;
    readonly summary: string;
  };
  /** Send small segments at once (no Nagle). */
  readonly TCP_NODELAY: {
    readonly level: "IPPROTO_TCP";
    readonly type: "bool";
    readonly readOnly: false;
    readonly summary: string;
  };
  /** Idle time before the first keep-alive probe. */
  readonly TCP_KEEPIDLE: {
    readonly level: "IPPROTO_TCP";
    readonly type: "ms";
    readonly readOnly: false;
    readonly summary: string;
  };
  /** Time between unanswered keep-alive probes. */
  readonly TCP_KEEPINTVL: {
    readonly level: "IPPROTO_TCP";
    readonly type: "ms";
    readonly readOnly: false;
    readonly summary: string;
  };
  /** Unanswered probes before the connection drops. */
  readonly TCP_KEEPCNT: {
    readonly level: "IPPROTO_TCP";
    readonly type: "int";
    readonly readOnly: false;
    readonly summary: string;
  };
  /** How long sent data may stay unacknowledged. */
  readonly TCP_USER_TIMEOUT: {
    readonly level: "IPPROTO_TCP";
    readonly type: "ms";
    readonly readOnly: false;
    readonly summary: string;
  };
  /** Largest segment to send (MSS). */
  readonly TCP_MAXSEG: {
    readonly level: "IPPROTO_TCP";
    readonly type: "bytes";
    readonly readOnly: false;
    readonly summary: string;
  };
  /** Acknowledge at once instead of delaying ACKs. */
  readonly TCP_QUICKACK: {
    readonly level: "IPPROTO_TCP";
    readonly type: "bool";
    readonly readOnly: false;
    readonly summary: string;
  };
  /** Congestion-control algorithm. */
  readonly TCP_CONGESTION: {
    readonly level: "IPPROTO_TCP";
    readonly type: "string";
    readonly readOnly: false;
    readonly summary: string;
  };
  /** TCP Fast Open on a listener. */
  readonly TCP_FASTOPEN: {
    readonly level: "IPPROTO_TCP";
    readonly type: "int";
    readonly readOnly: false;
    readonly summary: string;
  };
  /** Unsent bytes at which the socket is writable. */
  readonly TCP_NOTSENT_LOWAT: {
    readonly level: "IPPROTO_TCP";
    readonly type: "bytes";
    readonly readOnly: false;
    readonly summary: string;
  };
}
