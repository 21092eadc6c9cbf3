/**
 * `node:net`, `node:tls`, `node:http(s)` and `node:dgram` handles, as Bun and Deno implement
 * them. Bun's native handle carries the fd; under Deno the socket is found by its addresses.
 * (Deno's `_handle.fdForIpc()` is no way round that: it returns a fresh dup() on every call,
 * leaking a descriptor each time.)
 *
 * @module
 */
import { endpoint, listenerTarget, type Target } from "./target.ts";

interface NativeHandle {
  readonly fd?: unknown;
  readonly fdForIpc?: unknown;
}

interface NodeSocketLike {
  readonly _handle?: NativeHandle | null;
  readonly connecting?: unknown;
  readonly destroyed?: unknown;
  readonly pending?: unknown;
  readonly localAddress?: unknown;
  readonly localPort?: unknown;
  readonly remoteAddress?: unknown;
  readonly remotePort?: unknown;
  readonly setKeepAlive?: unknown;
}

interface NodeServerLike {
  readonly _handle?: NativeHandle | null;
  readonly address?: unknown;
  readonly listen?: unknown;
  readonly listening?: unknown;
}

function isBunNative(native: NativeHandle | null | undefined): boolean {
  return native !== null && native !== undefined && typeof native.fd === "number" &&
    typeof native.fdForIpc !== "function";
}

/** A `node:net` Socket or `node:tls` TLSSocket. */
export function nodeSocket(handle: object): Target | undefined {
  const socket = handle as NodeSocketLike;
  if (!("_handle" in handle) || typeof socket.setKeepAlive !== "function") return undefined;
  const what = "the node:net socket";
  if (socket.destroyed === true) return { kind: "closed", what };
  if (socket.connecting === true) {
    return { kind: "not-ready", what, why: 'it is still connecting; wait for its "connect" event' };
  }
  const native = socket._handle;
  // Bun's native handle holds the real fd and turns to null on close: no lookup needed.
  if (isBunNative(native)) return { kind: "fd", fd: (native as { fd: number }).fd };
  const local = endpoint(socket.localAddress, socket.localPort);
  const remote = endpoint(socket.remoteAddress, socket.remotePort);
  if (local !== undefined && remote !== undefined) {
    return { kind: "connection", what, local, remote };
  }
  if (native === null || native === undefined) {
    return socket.pending === true ? { kind: "not-ready", what, why: "it is not connected" } : { kind: "closed", what };
  }
  // Connected, yet no IP addresses: a Unix-domain socket (a path, or nothing, in localAddress).
  return { kind: "not-tcp", what, transport: "Unix-domain" };
}

/** A `node:net` Server, or a `node:http` / `node:https` / `node:tls` server built on it. */
export function nodeServer(handle: object): Target | undefined {
  const server = handle as NodeServerLike;
  if (typeof server.address !== "function" || typeof server.listen !== "function") return undefined;
  const what = "the node:net server";
  if (isBunNative(server._handle)) return { kind: "fd", fd: (server._handle as { fd: number }).fd };
  let address: unknown;
  try {
    address = (server.address as () => unknown).call(server);
  } catch {
    address = null;
  }
  if (typeof address === "string") return { kind: "not-tcp", what, transport: "Unix-domain" };
  if (address === null || typeof address !== "object") {
    return { kind: "not-ready", what, why: "it is not listening" };
  }
  const info = address as { address?: unknown; port?: unknown };
  return listenerTarget(what, info.address, info.port);
}

/** A `node:dgram` Socket. */
export function nodeDatagram(handle: object): Target | undefined {
  const socket = handle as { send?: unknown; bind?: unknown; setBroadcast?: unknown };
  if (
    typeof socket.send === "function" && typeof socket.bind === "function" && typeof socket.setBroadcast === "function"
  ) {
    return { kind: "not-tcp", what: "the node:dgram socket", transport: "UDP" };
  }
  return undefined;
}
