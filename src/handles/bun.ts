/**
 * Bun's handles, recognised by shape: sockets and listeners carry their fd (-1 once closed);
 * `Bun.serve()` servers only their address.
 *
 * @module
 */
import { listenerTarget, type Target } from "./target.ts";

interface BunServerLike {
  readonly port?: unknown;
  readonly hostname?: unknown;
  readonly address?: { readonly address?: unknown; readonly port?: unknown } | null;
  readonly upgrade?: unknown;
  readonly stop?: unknown;
  readonly fetch?: unknown;
}

/** A Bun socket, TLS socket or listener (`Bun.connect`, `Bun.listen` and its handlers' sockets). */
export function bunSocket(handle: object): Target | undefined {
  const fd = (handle as { fd?: unknown }).fd;
  if (typeof fd !== "number" || "localAddr" in handle) return undefined;
  return fd >= 0 ? { kind: "fd", fd } : { kind: "closed", what: "the socket" };
}

/** A `Bun.serve()` server: no fd, so its listening socket is found by address. */
export function bunServer(handle: object): Target | undefined {
  const server = handle as BunServerLike;
  if (typeof server.upgrade !== "function" || typeof server.stop !== "function" || typeof server.fetch !== "function") {
    return undefined;
  }
  // A server asked for any port reads port 0 once stopped, while an `address` read before stop()
  // keeps the old port (Bun caches it) and would match whichever listener took that port since.
  if (server.port === 0) return { kind: "closed", what: "the Bun.serve server" };
  // `address` holds what was bound (`::` for the default); `hostname` may be just "localhost".
  const address = server.address;
  if (address !== null && address !== undefined && typeof address.port === "number") {
    return listenerTarget("the Bun.serve server", address.address, address.port);
  }
  return listenerTarget("the Bun.serve server", server.hostname, server.port);
}
