/**
 * What {@link configureSockets} and {@link keepConfigured} report besides the sockets they
 * configured: the ones they left alone, and why, so that "configured 0 sockets" is never silent.
 *
 * @module
 */
import type { ConfiguredSocket } from "./socket_filter.ts";
import type { TcpSocketInfo } from "./socket_info.ts";

/**
 * A socket that was seen and not configured, and why.
 *
 * - `reason: "filter"`: a TCP socket the filter does not match (`detail` says which field);
 * - `reason: "not-tcp"`: a socket of another kind, such as a driver connected over a Unix-domain
 *   socket (`kind: "unix"`), which keep-alive cannot apply to;
 * - `reason: "closed"`: it closed while it was being configured;
 * - `reason: "failed"`: the kernel refused (`error` holds the {@link SockoptError}).
 *
 * @example Printing why nothing was configured
 * ```ts
 * import { configureSockets, type SkippedSocket } from "jsr:@sockopts/sockopts";
 *
 * const result = configureSockets({ remotePort: 5432 }, { detectWithin: 30_000 });
 * const skipped: SkippedSocket[] = result.skipped;
 * for (const s of skipped) console.log(`fd ${s.fd} (${s.kind}): ${s.reason}: ${s.detail}`);
 * ```
 */
export interface SkippedSocket {
  /** Its file descriptor. */
  readonly fd: number;
  /** `tcp`, `unix` (Unix-domain), `udp`, or `socket` (any other kind). */
  readonly kind: "tcp" | "unix" | "udp" | "socket";
  /** Why it was not configured. */
  readonly reason: "filter" | "not-tcp" | "closed" | "failed";
  /** The reason in words: `remotePort is 6379, not 5432`, `a Unix-domain stream socket`, the error's message. */
  readonly detail: string;
  /** The socket as listed, for TCP sockets. */
  readonly socket?: TcpSocketInfo;
  /** The error, for `reason: "failed"`. */
  readonly error?: Error;
}

/**
 * What {@link configureSockets} returns: the sockets configured (it is their array), plus how many
 * TCP sockets were seen and every socket skipped with its reason.
 *
 * @example Telling "nothing matched" from success
 * ```ts
 * import { type ConfigureResult, configureSockets } from "jsr:@sockopts/sockopts";
 *
 * const result: ConfigureResult = configureSockets({ remotePort: 6379 }, { detectWithin: 20_000 });
 * if (result.length === 0) console.warn(`no Redis connection among ${result.seen} TCP sockets`, result.skipped);
 * ```
 */
export type ConfigureResult = ConfiguredSocket[] & {
  /** TCP sockets seen. */
  readonly seen: number;
  /** Sockets seen and not configured, with the reason. */
  readonly skipped: SkippedSocket[];
};

/**
 * Thrown by {@link configureSockets} when fewer sockets than its `atLeast` option asks for were
 * configured; the message lists what was seen, and `result` holds everything.
 *
 * @example Failing loudly when the pool has not connected yet
 * ```ts
 * import { configureSockets, NothingMatchedError } from "jsr:@sockopts/sockopts";
 *
 * try {
 *   configureSockets({ remotePort: 5432 }, { detectWithin: 30_000 }, { atLeast: 1 });
 * } catch (error) {
 *   if (error instanceof NothingMatchedError) console.error(error.message, error.result.skipped);
 *   else throw error;
 * }
 * ```
 */
export class NothingMatchedError extends Error {
  /** What was configured and skipped. */
  readonly result: ConfigureResult;

  /**
   * Makes the error for a result with too few sockets configured.
   *
   * @param message The whole message.
   * @param result What configureSockets found.
   */
  constructor(message: string, result: ConfigureResult) {
    super(message);
    this.name = "NothingMatchedError";
    this.result = result;
  }
}

/** One line per skipped socket (at most `limit`), for messages. */
export function describeSkipped(skipped: readonly SkippedSocket[], limit = 8): string {
  if (skipped.length === 0) return "no sockets at all";
  // Connections first (the near misses: a mistyped port), then listeners, then other kinds.
  const rank = (s: SkippedSocket) => s.socket === undefined ? 2 : s.socket.remote === null ? 1 : 0;
  const ordered = [...skipped].sort((a, b) => rank(a) - rank(b));
  const lines = ordered.slice(0, limit).map((s) => {
    const where = s.socket === undefined ? "" : ` ${s.socket.localText} -> ${s.socket.remoteText} ${s.socket.state}`;
    return `fd ${s.fd}${where} (${s.reason}: ${s.detail})`;
  });
  if (skipped.length > limit) lines.push(`and ${skipped.length - limit} more`);
  return lines.join("; ");
}
