/**
 * Deno's handles, recognised by shape. Deno exposes no file descriptor, so each is found by its
 * addresses; accepted connections carry their fd under an internal symbol, used as a hint only
 * after the kernel confirms it.
 *
 * Finding a socket by address cannot tell a closed handle from the new socket that took its
 * addresses, so each handle is asked whether Deno still holds it: a `Deno.TcpConn` right after
 * its lookup ({@link tcpConnClosed}), every other kind before it ({@link denoClosed}). Nothing on
 * an open socket changes. Nor can addresses tell link-local twins apart (the same fe80::
 * addresses and ports over two interfaces), as Deno's addresses carry no zone: a `Deno.TcpConn`
 * picks its own out itself ({@link pickTwin}).
 *
 * @module
 */
import { keepAliveFlag, noDelayFlag } from "../sys/inspect.ts";
import { readPrivate } from "./brand.ts";
import { denoServeAddr } from "./genuine.ts";
import { endpoint, listenerTarget, PICKED_CLOSED, type Target } from "./target.ts";

interface DenoAddr {
  readonly transport?: unknown;
  readonly hostname?: unknown;
  readonly port?: unknown;
}

// The part of Deno's core that user code reaches as `Deno[Deno.internal].core` (deno
// runtime/js/99_main.js, libs/core/01_core.js in 2.9). Only read-only calls are used.
interface DenoCore {
  readonly internalRidSymbol?: unknown;
  readonly internalFdSymbol?: unknown;
  readonly readSync?: unknown;
  readonly getPromiseDetails?: unknown;
}

// undefined: not looked up yet; null: this Deno has no such object.
let core: DenoCore | null | undefined;
// Tests turn the resource check off to show what the lookups alone guard against.
let checkResources = true;
const NOTHING = new Uint8Array(0);

function denoCore(): DenoCore | null {
  if (core === undefined) {
    const deno = (globalThis as { Deno?: Record<PropertyKey, unknown> }).Deno;
    const internal = deno?.internal;
    const internals = typeof internal === "symbol" ? deno![internal] as { core?: unknown } | undefined : undefined;
    const found = internals?.core;
    core = typeof found === "object" && found !== null ? found as DenoCore : null;
  }
  return core;
}

/** The value of the handle's own symbol-keyed property named `description` (`Deno.internal.rid`). */
function internal(handle: object, known: unknown, description: string): unknown {
  if (typeof known === "symbol") return (handle as Record<symbol, unknown>)[known];
  for (const symbol of Object.getOwnPropertySymbols(handle)) {
    if (symbol.description === description) return (handle as Record<symbol, unknown>)[symbol];
  }
  return undefined;
}

/**
 * Whether Deno's resource table no longer holds `rid`. A zero-length `readSync` looks the rid up
 * and then fails: `BadResource` when the rid is gone (rids are never reused: deno_core
 * ResourceTable counts them up), `NotSupported` from every open socket, listener and TLS stream
 * (only files implement synchronous reads). Neither touches the socket.
 */
function ridClosed(readSync: unknown, rid: number): boolean {
  if (typeof readSync !== "function") return false;
  try {
    readSync(rid, NOTHING);
  } catch (error) {
    return isBadResource(error);
  }
  return false;
}

/**
 * Whether Deno says this handle is closed for good: a `Deno.Conn`, `Deno.TlsConn` or listener
 * whose resource is gone (closed, or handed to `Deno.startTls`), or a `Deno.serve()` server whose
 * `finished` promise has settled. False when Deno cannot tell, which for a server is the time
 * between `shutdown()` and `finished` (see docs/handles.md).
 *
 * @param handle A Deno connection, listener or server.
 * @returns True only when the handle's socket is certainly gone.
 */
export function denoClosed(handle: object): boolean {
  const c = checkResources ? denoCore() : null;
  if (c === null) return false;
  const rid = internal(handle, c.internalRidSymbol, "Deno.internal.rid");
  if (typeof rid === "number") return ridClosed(c.readSync, rid);
  const finished = (handle as { finished?: unknown }).finished;
  if (!(finished instanceof Promise) || typeof c.getPromiseDetails !== "function") return false;
  // [state, result]; state 0 is pending (deno_core's op_get_promise_details).
  const details = c.getPromiseDetails(finished) as unknown;
  return Array.isArray(details) && details[0] !== 0;
}

function isBadResource(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === "BadResource";
}

/**
 * Whether Deno says this `Deno.TcpConn` is closed, given the fd its addresses led to. Asking the
 * resource table costs about 25 µs (Deno builds an error even for an open socket), too much for
 * every accepted connection, so this asks the connection itself: `conn.setKeepAlive(v)` with the
 * SO_KEEPALIVE value `fd` already has. Deno looks the resource up first and throws `BadResource`
 * for a closed one before touching anything; an open one is the socket at `fd` when `proven` (the
 * only socket of the namespace at those addresses, or the twin the connection picked out), where
 * setting SO_KEEPALIVE to its own value changes nothing (Linux tcp_set_keepalive() acts only on a
 * change). About 2 µs. Unproven (a lookup that could not see every fd), the resource table is
 * asked instead, so that no value of another socket reaches the connection's.
 */
function tcpConnClosed(handle: object, fd: number, proven: boolean): boolean {
  if (!checkResources) return false;
  if (!proven) return denoClosed(handle);
  const on = keepAliveFlag(fd);
  if (on === -1) return denoClosed(handle);
  try {
    (handle as { setKeepAlive(on: boolean): void }).setKeepAlive(on === 1);
  } catch (error) {
    // Anything else (Deno's write half busy, say) leaves the answer to the resource table.
    return isBadResource(error) || denoClosed(handle);
  }
  return false;
}

// The flags a Deno.TcpConn can set on its own socket, each with the value that is flipped to
// `to` for an instant and back: SO_KEEPALIVE off -> on -> off arms the keep-alive timer and disarms
// it again; TCP_NODELAY on -> off -> on lets Nagle's algorithm hold data for an instant in which no
// write can run (this thread is busy here), and setting it back pushes what is queued, as on.
const FLIPS = [
  { read: keepAliveFlag, from: 0, set: (conn: TcpConnLike, on: boolean) => conn.setKeepAlive(on) },
  { read: noDelayFlag, from: 1, set: (conn: TcpConnLike, on: boolean) => conn.setNoDelay(on) },
] as const;

interface TcpConnLike {
  setKeepAlive(on: boolean): void;
  setNoDelay(on: boolean): void;
}

/**
 * Which of `fds` the `Deno.TcpConn` holds, when several sockets share its addresses and ports
 * (link-local twins over several interfaces; Deno's addresses carry no zone). The connection
 * flips one of its own flags for an instant: the one socket whose flag follows is its own, and
 * the flag goes back at once. A flip is tried only where it changes nothing lasting (keep-alive
 * turned on where it is off, Nagle's algorithm turned on where it is off); a socket whose flag
 * already has the flipped value stays a candidate, one that had the other value but did not
 * follow does not. Needs every twin in view, which sock_diag's answer gives.
 *
 * @returns The fd, {@link PICKED_CLOSED} when Deno says the connection is closed, or undefined
 * when it cannot tell (its twins' flags all match its own).
 */
function pickTwin(handle: object, fds: readonly number[]): number | undefined {
  const conn = handle as TcpConnLike;
  let left = [...fds];
  for (const flip of FLIPS) {
    const before = left.map(flip.read);
    // A twin closed meanwhile is no candidate; a flip that no twin could follow is not tried.
    left = left.filter((_, i) => before[i] !== -1);
    const was = before.filter((value) => value !== -1);
    if (left.length <= 1) break;
    if (!was.includes(flip.from)) continue;
    try {
      flip.set(conn, flip.from === 0);
    } catch (error) {
      return isBadResource(error) ? PICKED_CLOSED : undefined;
    }
    const followed = left.filter((fd, i) => was[i] === flip.from && flip.read(fd) !== flip.from);
    if (followed.length > 0) {
      // The connection's own flag had the first value: put it back.
      flip.set(conn, flip.from !== 0);
      return followed.length === 1 ? followed[0] : undefined;
    }
    left = left.filter((_, i) => was[i] !== flip.from);
  }
  return left.length === 1 ? left[0] : undefined;
}

/**
 * Turns the resource check of {@link denoClosed} off or on, for tests only (not exported by
 * `mod.ts`): with it off, the suite shows what the fd hint confirmation and the identity
 * re-check guard against on their own.
 *
 * @param on Whether to ask Deno's resource table.
 */
export function useDenoResourceCheck(on: boolean): void {
  checkResources = on;
}

// Deno.startTls() gives addresses without `transport`; every other handle names it.
function addr(value: unknown): DenoAddr | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  return "transport" in value || ("hostname" in value && "port" in value) ? value as DenoAddr : undefined;
}

function internalFd(handle: object): number | undefined {
  const fd = internal(handle, denoCore()?.internalFdSymbol, "Deno.internal.fd");
  // Only a real fd number is a hint (a look-alike's symbol may hold anything).
  return typeof fd === "number" && Number.isInteger(fd) && fd >= 0 && fd <= 2147483647 ? fd | 0 : undefined;
}

function notTcp(what: string, transport: unknown): Target | undefined {
  if (transport === "unix" || transport === "unixpacket") return { kind: "not-tcp", what, transport: "Unix-domain" };
  if (transport === "udp") return { kind: "not-tcp", what, transport: "UDP" };
  return undefined;
}

/** `Deno.Conn`, `Deno.TcpConn` or `Deno.TlsConn` (TLS resolves to its TCP socket). */
export function denoConn(handle: object): Target | undefined {
  // Read through Deno's own getters (private fields): a literal or a Proxy shaped like one is no Conn.
  const local = addr(readPrivate(handle, "localAddr"));
  const remote = addr(readPrivate(handle, "remoteAddr"));
  if (local === undefined || remote === undefined) return undefined;
  const what = "the Deno connection";
  const other = notTcp(what, local.transport);
  if (other !== undefined) return other;
  const l = endpoint(local.hostname, local.port);
  const r = endpoint(remote.hostname, remote.port);
  if (l === undefined || r === undefined) return undefined;
  const hint = internalFd(handle);
  if (typeof (handle as { setKeepAlive?: unknown }).setKeepAlive === "function") {
    return { kind: "connection", what, local: l, remote: r, hint, closed: tcpConnClosed, pick: pickTwin };
  }
  // A Deno.TlsConn has no such method: its resource table entry is read before the lookup.
  if (denoClosed(handle)) return { kind: "closed", what, final: true };
  return { kind: "connection", what, local: l, remote: r, hint, closed: denoClosed };
}

/** `Deno.Listener` / `Deno.TcpListener` / TLS listener, and the server `Deno.serve()` returns. */
export function denoListener(handle: object): Target | undefined {
  const value = handle as { accept?: unknown; send?: unknown };
  // Deno.serve()'s server is a plain object, so its whole shape is checked, as its own data
  // (src/handles/genuine.ts); listeners and datagram sockets are read through their class's
  // private-field getter.
  const served = denoServeAddr(handle);
  const local = addr(served ?? readPrivate(handle, "addr"));
  if (local === undefined) return undefined;
  const what = served !== undefined ? "the Deno.serve server" : "the Deno listener";
  if (served === undefined) {
    if (typeof value.send === "function") return notTcp("the Deno datagram socket", local.transport);
    if (typeof value.accept !== "function") return undefined;
  }
  const other = notTcp(what, local.transport);
  if (other !== undefined) return other;
  if (denoClosed(handle)) return { kind: "closed", what, final: true };
  return listenerTarget(what, local.hostname, local.port, undefined, denoClosed);
}
