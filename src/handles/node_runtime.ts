/**
 * `node:net`, `node:tls`, `node:http(s)` and `node:http2` handles as Node.js itself implements
 * them: every libuv handle carries its fd (`_handle.fd`), and Node sets `_handle` to null in the
 * same tick that libuv closes the fd. So a live `_handle` vouches for its fd, read afresh on every
 * call, and checked like any number a caller passes, once it is shown to be the object's own: held
 * by the object itself, naming it as owner (src/handles/genuine.ts).
 *
 * @module
 */
import { OVER_A_STREAM, type Target } from "./target.ts";
import { ownedHandle } from "./genuine.ts";
import { describeValue } from "../values.ts";

const FD_MAX = 2147483647;

interface LibuvHandle {
  readonly fd?: unknown;
}

interface NodeHandleLike {
  readonly destroyed?: unknown;
  readonly connecting?: unknown;
  readonly pending?: unknown;
  /** Set (an array) while and after net.connect() tries several addresses in turn. */
  readonly autoSelectFamilyAttemptedAddresses?: unknown;
}

// deno-lint-ignore no-explicit-any
type Constructor = abstract new (...args: any[]) => object;

interface NetClasses {
  readonly Socket?: Constructor;
  readonly Server?: Constructor;
}

// Real Node only: Bun and Deno provide `process.versions.node` too, with handles of their own shape.
const onNode: boolean = (() => {
  const g = globalThis as { process?: { versions?: { node?: unknown } }; Bun?: unknown; Deno?: unknown };
  return typeof g.process?.versions?.node === "string" && g.Bun === undefined && g.Deno === undefined;
})();

// libuv on Windows has no fd to give: Node's stream_wrap answers -1 for every handle there.
const onWindows: boolean = (globalThis as { process?: { platform?: unknown } }).process?.platform === "win32";

let net: NetClasses | undefined;

function load(id: string): unknown {
  return (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.(id);
}

/** node:net's own Socket (TLSSocket extends it) and Server (every http/https/http2/tls server does). */
function netClasses(): NetClasses {
  if (net !== undefined) return net;
  const module = load("node:net") as { Socket?: unknown; Server?: unknown } | undefined;
  const ctor = (value: unknown) => (typeof value === "function" ? value as Constructor : undefined);
  return net = { Socket: ctor(module?.Socket), Server: ctor(module?.Server) };
}

function instance(handle: object, ctor: Constructor | undefined): boolean {
  try {
    return ctor !== undefined && handle instanceof ctor;
  } catch {
    return false; // a Proxy whose getPrototypeOf trap throws
  }
}

// libuv's wrap classes keep `fd` as an accessor on their prototype. An `fd` of the handle's own
// was put there by someone else: that handle is not vouched for, and returning undefined leaves
// the socket to be found by its addresses (src/handles/node.ts), checked against the kernel.
const NATIVE_KINDS = new Set(["TCP", "TLSWrap", "Pipe"]);

function kindOf(native: object): string | undefined {
  try {
    if (Object.prototype.hasOwnProperty.call(native, "fd")) return undefined;
    const name = (Object.getPrototypeOf(native) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    return typeof name === "string" && NATIVE_KINDS.has(name) ? name : undefined;
  } catch {
    return undefined;
  }
}

function isFd(fd: unknown): fd is number {
  return typeof fd === "number" && Number.isInteger(fd) && fd >= 0 && fd <= FD_MAX;
}

function fdTarget(native: LibuvHandle, what: string): Target | undefined {
  const kind = kindOf(native);
  if (kind === undefined) return undefined;
  const fd = native.fd;
  // Node's Pipe handles are Unix-domain sockets (or named pipes): TCP options never apply.
  if (kind === "Pipe") return { kind: "not-tcp", what, transport: "Unix-domain", fd: isFd(fd) ? fd : undefined };
  if (isFd(fd)) return { kind: "fd", fd };
  // On Windows every socket reads -1: src/handles/node.ts finds it by its addresses, among the
  // socket handles of the process's handle table.
  if (onWindows && fd === -1 && kind !== "TLSWrap") return undefined;
  // An open TLS socket over a JavaScript stream (tls.connect({ socket: duplex })): its TLSWrap
  // reads and writes through JavaScript, and fd -1 says it has no socket beneath.
  if (kind === "TLSWrap" && fd === -1) return { kind: "no-socket", what: "the node:tls socket", why: OVER_A_STREAM };
  return { kind: "not-ready", what, why: `its native handle holds no file descriptor (fd ${describeValue(fd)})` };
}

/**
 * A `node:net` Socket or `node:tls` TLSSocket (the sockets of an `http.Agent` and of every
 * server's connections are these) on Node.js; `undefined` elsewhere or for other objects.
 *
 * @param handle What the caller passed.
 * @returns The socket's fd, or why there is none.
 */
export function nodeRuntimeSocket(handle: object): Target | undefined {
  if (!onNode || !instance(handle, netClasses().Socket)) return undefined;
  // Its own native handle, which names it as owner: not a look-alike built on the class.
  const native = ownedHandle(handle);
  if (native === undefined) return undefined;
  const socket = handle as NodeHandleLike;
  const what = "the node:net socket";
  if (socket.destroyed === true) return { kind: "closed", what };
  if (socket.connecting === true) {
    // libuv opens the socket when connect() starts (a tick after net.connect() for an IP
    // address, after the lookup for a name): from then on its fd is the connection's own, and what
    // is set on it stays through the handshake, as net-keepalive users rely on in
    // `req.on("socket", …)`. Before that there is nothing to configure.
    // Except while it tries several addresses in turn (autoSelectFamily, for a name with IPv6 and
    // IPv4 addresses): each attempt opens a socket of its own, so values set on this one would be
    // lost with it.
    const attempts = socket.autoSelectFamilyAttemptedAddresses;
    const target = typeof native === "object" && native !== null ? fdTarget(native as LibuvHandle, what) : undefined;
    if (Array.isArray(attempts)) {
      return {
        kind: "not-ready",
        what,
        fd: target?.kind === "fd" ? target.fd : undefined,
        why: `it is still connecting, trying its addresses one after another (autoSelectFamily; ${attempts.length} ` +
          'tried so far), each attempt with a socket of its own; wait for its "connect" event',
      };
    }
    if (target !== undefined && target.kind !== "not-ready") return target;
    return { kind: "not-ready", what, why: 'it is still connecting; wait for its "connect" event' };
  }
  if (native === null || native === undefined) {
    return socket.pending === true ? { kind: "not-ready", what, why: "it is not connected" } : { kind: "closed", what };
  }
  return fdTarget(native as LibuvHandle, what);
}

/**
 * A `node:net` Server, or a `node:tls` / `node:http` / `node:https` / `node:http2` server built
 * on it, on Node.js; `undefined` elsewhere or for other objects.
 *
 * @param handle What the caller passed.
 * @returns The listener's fd, or why there is none.
 */
export function nodeRuntimeServer(handle: object): Target | undefined {
  if (!onNode || !instance(handle, netClasses().Server)) return undefined;
  // Without a native handle of its own the server is closed, was never listening, or is a
  // look-alike: src/handles/node.ts tells those apart.
  const native = ownedHandle(handle);
  const what = "the node:net server";
  // A cluster worker's server under round-robin holds cluster's stand-in, not a listening socket.
  if (native === null || native === undefined) return clusterWorkerServer(handle as NodeHandleLike, what);
  return fdTarget(native as LibuvHandle, what) ?? clusterWorkerServer(handle as NodeHandleLike, what);
}

/**
 * A server in a cluster worker under round-robin scheduling (cluster's default but on Windows):
 * its `_handle` is cluster's stand-in, and the listening socket is the primary's, which hands each
 * accepted connection over. Undefined for anything else (left to the lookup by address).
 */
function clusterWorkerServer(server: NodeHandleLike, what: string): Target | undefined {
  const cluster = load("node:cluster") as { isWorker?: unknown } | undefined;
  if (cluster?.isWorker !== true) return undefined;
  let port: unknown;
  try {
    port = ((server as { address?: () => unknown }).address?.() as { port?: unknown } | null)?.port;
  } catch {
    return undefined;
  }
  if (typeof port !== "number") return undefined;
  const ppid = (globalThis as { process?: { ppid?: unknown } }).process?.ppid;
  return {
    kind: "elsewhere",
    what,
    why: `this cluster worker shares port ${port} through cluster's round-robin scheduling, and the ` +
      `listening socket lives in the primary process (pid ${String(ppid)}), which hands each connection ` +
      `over. Configure the listener there (configureSockets({ localPort: ${port}, listening: true }, …) ` +
      `in the primary once the workers listen), or each connection here in the server's "connection" ` +
      `handler, or set cluster.schedulingPolicy = cluster.SCHED_NONE before forking so that every ` +
      `worker holds the listening socket itself`,
  };
}
