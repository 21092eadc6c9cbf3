/**
 * `node:net`, `node:tls`, `node:http(s)` and `node:http2` handles as Node.js itself implements
 * them: every libuv handle carries its fd (`_handle.fd`), and Node sets `_handle` to null in the
 * same tick that libuv closes the fd. So a live `_handle` vouches for its fd, read afresh on every
 * call, and checked like any number a caller passes.
 *
 * @module
 */
import type { Target } from "./target.ts";

const FD_MAX = 2147483647;

interface LibuvHandle {
  readonly fd?: unknown;
}

interface NodeHandleLike {
  readonly _handle?: LibuvHandle | null;
  readonly destroyed?: unknown;
  readonly connecting?: unknown;
  readonly pending?: unknown;
  readonly setKeepAlive?: unknown;
  readonly address?: unknown;
  readonly listen?: unknown;
}

// Real Node only: Bun and Deno provide `process.versions.node` too, with handles of their own shape.
const onNode: boolean = (() => {
  const g = globalThis as { process?: { versions?: { node?: unknown } }; Bun?: unknown; Deno?: unknown };
  return typeof g.process?.versions?.node === "string" && g.Bun === undefined && g.Deno === undefined;
})();

function kindOf(native: object): string {
  const name = (native as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" ? name : "";
}

function fdTarget(native: LibuvHandle, what: string): Target {
  const fd = native.fd;
  // Node's Pipe handles are Unix-domain sockets (or named pipes): TCP options never apply.
  if (kindOf(native) === "Pipe") return { kind: "not-tcp", what, transport: "Unix-domain" };
  if (typeof fd === "number" && Number.isInteger(fd) && fd >= 0 && fd <= FD_MAX) return { kind: "fd", fd };
  // -1 (or no fd at all): a TLS socket over a JavaScript stream, or a handle not yet open.
  return { kind: "not-ready", what, why: `its native handle holds no file descriptor (fd ${String(fd)})` };
}

/**
 * A `node:net` Socket or `node:tls` TLSSocket (the sockets of an `http.Agent` and of every
 * server's connections are these) on Node.js; `undefined` elsewhere or for other objects.
 *
 * @param handle What the caller passed.
 * @returns The socket's fd, or why there is none.
 */
export function nodeRuntimeSocket(handle: object): Target | undefined {
  if (!onNode) return undefined;
  const socket = handle as NodeHandleLike;
  if (!("_handle" in handle) || typeof socket.setKeepAlive !== "function") return undefined;
  const what = "the node:net socket";
  if (socket.destroyed === true) return { kind: "closed", what };
  if (socket.connecting === true) {
    return { kind: "not-ready", what, why: 'it is still connecting; wait for its "connect" event' };
  }
  const native = socket._handle;
  if (native === null || native === undefined) {
    return socket.pending === true ? { kind: "not-ready", what, why: "it is not connected" } : { kind: "closed", what };
  }
  return fdTarget(native, what);
}

/**
 * A `node:net` Server, or a `node:tls` / `node:http` / `node:https` / `node:http2` server built
 * on it, on Node.js; `undefined` elsewhere or for other objects.
 *
 * @param handle What the caller passed.
 * @returns The listener's fd, or why there is none.
 */
export function nodeRuntimeServer(handle: object): Target | undefined {
  if (!onNode) return undefined;
  const server = handle as NodeHandleLike;
  if (typeof server.address !== "function" || typeof server.listen !== "function" || !("_handle" in handle)) {
    return undefined;
  }
  const what = "the node:net server";
  const native = server._handle;
  if (native === null || native === undefined) return { kind: "not-ready", what, why: "it is not listening" };
  return fdTarget(native, what);
}
