/**
 * What a policy tick reports of the sockets it touched: failures, the state a socket was
 * configured in, and the report of a tick that did nothing.
 *
 * @module
 */
import { SockoptError } from "../errors.ts";
import type { SkippedSocket } from "./configure_result.ts";
import type { Seen } from "./policy_scan.ts";
import type { PolicyReport } from "./policy_types.ts";
import type { ConfiguredSocket } from "./socket_filter.ts";

/**
 * What to report of an error configuring `seen`: nothing for a socket closed meanwhile (EBADF,
 * ENOTSOCK), a failure for any other refusal; anything but a SockoptError is a bug, thrown on.
 */
export function failureOf(seen: Seen, error: unknown): SkippedSocket | undefined {
  if (!(error instanceof SockoptError)) throw error;
  if (error.code === "EBADF" || error.code === "ENOTSOCK") return undefined;
  return { fd: seen.fd, kind: "tcp", reason: "failed", detail: error.message, socket: seen.socket, error };
}

export function stateOf(
  seen: Seen,
): Pick<ConfiguredSocket, "state" | "stateName" | "listening" | "remote" | "remoteText"> {
  const { state, stateName, listening, remote, remoteText } = seen.socket;
  return { state, stateName, listening, remote, remoteText };
}

export function emptyReport(at: number, duration: number, error?: Error): PolicyReport {
  return {
    at,
    duration,
    seen: 0,
    matched: 0,
    configured: [],
    reasserted: [],
    failed: [],
    skipped: [],
    gone: 0,
    ...(error === undefined ? {} : { error }),
  };
}
