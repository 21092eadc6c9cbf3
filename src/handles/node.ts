/**
 * `node:net`, `node:tls`, `node:http(s)` and `node:dgram` handles, as Bun and Deno implement
 * them. Each is recognised as an instance of the runtime's own class (its `node:net` or
 * `node:dgram`, loaded synchronously through `process.getBuiltinModule`). Bun's native handle
 * carries the fd, read through Bun's native getter; under Deno (and under Node on Windows, whose
 * libuv gives no fd) the socket is found by its addresses. (Deno's `_handle.fdForIpc()` is no way
 * round that: it returns a fresh dup() on every call, leaking a descriptor each time.)
 *
 * @module
 */
import { bunFd } from "./bun.ts";
import { ABSENT, bunHttpServer, foreignHandle, genuineAddress, overAStream, ownData, ownedHandle } from "./genuine.ts";
import { endpoint, listenerTarget, OVER_A_STREAM, type Target } from "./target.ts";

interface NodeSocketLike {
  readonly _handle?: object | null;
  readonly connecting?: unknown;
  readonly destroyed?: unknown;
  readonly pending?: unknown;
  readonly localAddress?: unknown;
  readonly localPort?: unknown;
  readonly remoteAddress?: unknown;
  readonly remotePort?: unknown;
}

interface NodeServerLike {
  readonly _handle?: object | null;
  readonly _connectionKey?: unknown;
  readonly address?: unknown;
}

// deno-lint-ignore no-explicit-any
type Constructor = abstract new (...args: any[]) => object;

interface Builtins {
  readonly Socket?: Constructor;
  /** node:net's Server, and node:http's and node:https's (Bun's do not extend node:net's). */
  readonly Servers: readonly Constructor[];
  readonly Datagram?: Constructor;
}

let builtins: Builtins | undefined;

/** The runtime's own node:net Socket and Server and node:dgram Socket, loaded on first need. */
function classes(): Builtins {
  if (builtins !== undefined) return builtins;
  const load = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    ?.getBuiltinModule;
  const module = (id: string) => {
    try {
      return load?.(id) as Record<string, unknown> | undefined;
    } catch {
      return undefined;
    }
  };
  const ctor = (value: unknown) => (typeof value === "function" ? value as Constructor : undefined);
  const servers = ["node:net", "node:tls", "node:http", "node:https"].map((id) => ctor(module(id)?.Server));
  return builtins = {
    Socket: ctor(module("node:net")?.Socket),
    Servers: servers.filter((server) => server !== undefined),
    Datagram: ctor(module("node:dgram")?.Socket),
  };
}

function instance(handle: object, ctor: Constructor | undefined): boolean {
  try {
    return ctor !== undefined && handle instanceof ctor;
  } catch {
    return false; // a Proxy whose getPrototypeOf trap throws
  }
}

/** Bun's native handle under a node:net object, read through Bun's own getter; undefined elsewhere. */
function bunHandle(native: object | null | undefined, what: string): Target | undefined {
  return typeof native === "object" && native !== null ? bunFd(native, what) : undefined;
}

/** A `node:net` Socket or `node:tls` TLSSocket. */
export function nodeSocket(handle: object): Target | undefined {
  if (!instance(handle, classes().Socket)) return undefined;
  // Its own native handle, which names it as owner: not a look-alike built on the class.
  const native = ownedHandle(handle);
  const what = "the node:net socket";
  if (native === undefined) {
    // A socket the class constructed, whose `_handle` someone replaced: no fd of it is trusted.
    const replaced = foreignHandle(handle);
    return replaced === undefined ? undefined : noFd(what, replaced);
  }
  const socket = handle as NodeSocketLike;
  if (socket.destroyed === true) return { kind: "closed", what };
  if (socket.connecting === true) {
    return { kind: "not-ready", what, why: 'it is still connecting; wait for its "connect" event' };
  }
  // Bun's native handle holds the real fd and turns to null on close: no lookup needed.
  const bun = bunHandle(native, what);
  if (bun !== undefined) return bun;
  const local = endpoint(socket.localAddress, socket.localPort);
  const remote = endpoint(socket.remoteAddress, socket.remotePort);
  if (local !== undefined && remote !== undefined) {
    return { kind: "connection", what, local, remote, renewable: true };
  }
  if (native === null) {
    return socket.pending === true ? { kind: "not-ready", what, why: "it is not connected" } : { kind: "closed", what };
  }
  if (overAStream(native)) return { kind: "no-socket", what: "the node:tls socket", why: OVER_A_STREAM };
  // Connected, yet no IP addresses: a Unix-domain socket, if its native handle says so (Node's
  // Pipe, Deno's PipeWrap; Bun's answered above). Anything else was put there by someone else
  // (net-keepalive's own tests set `_handle = { fd: -99999 }`): no fd or address of it is trusted.
  if (PIPES.has(nativeClass(native))) return { kind: "not-tcp", what, transport: "Unix-domain" };
  return noFd(what, native);
}

/** The diagnosis of a socket whose native handle is not the runtime's own: no fd of it is used. */
function noFd(what: string, native: object): Target {
  const fd = ownData(native, "fd");
  return {
    kind: "no-fd",
    what,
    why: `its _handle is not ${RUNTIME}'s own socket handle (it reports fd ${
      typeof fd === "number" ? fd : fd === ABSENT ? "undefined" : typeof fd
    } and no addresses)`,
    fd: typeof fd === "number" ? fd : undefined,
  };
}

const PIPES = new Set<string | undefined>(["Pipe", "PipeWrap"]);
const RUNTIME = "Deno" in globalThis ? "Deno" : "Bun" in globalThis ? "Bun" : "Node.js";

function nativeClass(native: object): string | undefined {
  try {
    const name = (Object.getPrototypeOf(native) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    return typeof name === "string" ? name : undefined;
  } catch {
    return undefined; // a Proxy whose getPrototypeOf trap throws
  }
}

/** A `node:net` Server, or a `node:http` / `node:https` / `node:tls` server built on it. */
export function nodeServer(handle: object): Target | undefined {
  const ctor = classes().Servers.find((server) => instance(handle, server));
  if (ctor === undefined) return undefined;
  // Its own native handle naming it as owner (Bun's node:http server: its own Bun.serve server).
  const native = ownedHandle(handle);
  if (native === undefined && !bunHttpServer(handle)) return undefined;
  const server = handle as NodeServerLike;
  const what = "the node:net server";
  let address: unknown;
  try {
    // The class's own address(), not one the object may carry.
    address = genuineAddress(ctor)?.call(server) ?? null;
  } catch {
    address = null;
  }
  // A path: Unix-domain, whatever the native handle is.
  if (typeof address === "string") return { kind: "not-tcp", what, transport: "Unix-domain" };
  const bun = bunHandle(native, what);
  if (bun !== undefined) return bun;
  if (address === null || typeof address !== "object") {
    // A server that listened once and stopped is closed; one that never listened is not ready.
    return listenedOnce(server) ? { kind: "closed", what } : { kind: "not-ready", what, why: "it is not listening" };
  }
  const info = address as { address?: unknown; port?: unknown };
  return listenerTarget(what, info.address, info.port, undefined, undefined, true);
}

// Bun's node:http and node:https Server (not built on node:net) keeps no _connectionKey and
// forgets its Bun.serve server on close(); the one sign it keeps is the connections-checking
// timer its first "listening" event stores under this symbol, which close() stops but leaves.
const BUN_LISTENED = "http.server.connectionsCheckingInterval";

/** Whether a server not listening now has listened before (so it is closed, not yet to listen). */
function listenedOnce(server: NodeServerLike): boolean {
  // node:net's listen() records the key, in Node, Deno and Bun alike.
  if (typeof server._connectionKey === "string") return true;
  try {
    const mark = Object.getOwnPropertySymbols(server).find((symbol) => symbol.description === BUN_LISTENED);
    return mark !== undefined && (server as Record<symbol, unknown>)[mark] !== undefined;
  } catch {
    return false; // a Proxy whose ownKeys or get trap throws
  }
}

/** A `node:dgram` Socket. */
export function nodeDatagram(handle: object): Target | undefined {
  if (!instance(handle, classes().Datagram)) return undefined;
  return { kind: "not-tcp", what: "the node:dgram socket", transport: "UDP" };
}
