/**
 * Turns what the caller passed into the file descriptor of the socket it names, or a clear error.
 * Handles without an fd of their own are found by address once, then re-checked on every use,
 * so a handle whose socket closed can never reach the socket that took its number.
 *
 * @module
 */
import { endpointKey, showEndpoint } from "./address.ts";
import { AmbiguousSocketError, SocketClosedError, SockoptError } from "./errors.ts";
import { describeQuery, findSockets, type SocketQuery } from "./fd_index.ts";
import { bunServer, bunSocket } from "./handles/bun.ts";
import { denoConn, denoListener } from "./handles/deno.ts";
import { nodeDatagram, nodeServer, nodeSocket } from "./handles/node.ts";
import { nodeRuntimeServer, nodeRuntimeSocket } from "./handles/node_runtime.ts";
import { className, type ClosedCheck, type Target } from "./handles/target.ts";
import type { SocketHandle } from "./handle_types.ts";
import { debugging, debugHandle } from "./debug.ts";
import { cookieParts, hasCookies, holdsCookie, readCookie, socketName } from "./libc.ts";
import { currentHost } from "./platform.ts";
import { copyOptions, describeValue } from "./values.ts";

export type { SocketHandle } from "./handle_types.ts";

const ACCEPTED = "a file descriptor (an integer 0..2147483647); Deno.Conn, Deno.TlsConn, Deno.Listener " +
  "or a Deno.serve() server; a Bun socket, Bun.listen listener or Bun.serve() server; a node:net Socket or " +
  "Server, node:tls TLSSocket or node:http(s) Server";

const FD_MAX = 2147483647;

// Node's own recognisers first: elsewhere they answer at once, and under Node they spare every
// call the other runtimes' checks (a few hundred ns for the Deno ones).
const RECOGNISERS: readonly ((handle: object) => Target | undefined)[] = [
  nodeRuntimeSocket,
  nodeRuntimeServer,
  bunSocket,
  denoConn,
  denoListener,
  nodeSocket,
  nodeServer,
  nodeDatagram,
  bunServer,
];

// What a looked-up handle resolved to, and how to tell it still holds the same socket.
interface Identity {
  readonly fd: number;
  readonly what: string;
  readonly cookieLow: number;
  readonly cookieHigh: number;
  readonly local: string;
  readonly remote: string;
  /** The runtime's own word that the handle closed (Deno), when it has one. */
  readonly closed: ClosedCheck | undefined;
}

const identities = new WeakMap<object, Identity>();
// Handles known closed for good (Deno's, whose resources never come back), with their names:
// every later call fails from here, without a lookup. node:net handles are never kept here, as
// `socket.connect()` and `server.listen()` can give the same object a new socket.
const closedForGood = new WeakMap<object, string>();
// Tests force the address re-check that systems without SO_COOKIE use.
let addressesOnly = false;

/**
 * Makes the identity re-check compare addresses instead of SO_COOKIE, as it does on systems
 * without SO_COOKIE, so the suite can run that path on Linux. For tests only (not exported by
 * `mod.ts`); handles resolved before the switch keep the identity they were given.
 *
 * @param on Whether to ignore SO_COOKIE.
 */
export function forceAddressIdentity(on: boolean): void {
  addressesOnly = on;
}

function nameKey(fd: number, peer: boolean): string {
  const name = socketName(fd, peer);
  return typeof name === "string" ? name : endpointKey(name.ip, name.port);
}

function identify(fd: number, what: string, closed: ClosedCheck | undefined): Identity {
  if (!addressesOnly && hasCookies() && readCookie(fd)) {
    const [cookieLow, cookieHigh] = cookieParts();
    return { fd, what, cookieLow, cookieHigh, local: "", remote: "", closed };
  }
  return { fd, what, cookieLow: 0, cookieHigh: 0, local: nameKey(fd, false), remote: nameKey(fd, true), closed };
}

function stillSame(handle: object, identity: Identity): boolean {
  // Linux: one getsockopt. Elsewhere the addresses are read again: a live socket keeps both.
  if (identity.local === "") return holdsCookie(identity.fd, identity.cookieLow, identity.cookieHigh);
  // A closed connection's fd can go to a new one between the same two addresses (a client
  // reconnecting from the same port): the runtime's own word catches what addresses cannot.
  if (identity.closed !== undefined && identity.closed(handle, identity.fd)) return false;
  return nameKey(identity.fd, false) === identity.local && nameKey(identity.fd, true) === identity.remote;
}

/** Whether a handle still holds the socket it was resolved to. */
function stillHolds(handle: object, identity: Identity): boolean {
  // node:net marks a socket destroyed, and a server not listening, before its fd closes: believe
  // the flags first. Where SO_COOKIE is missing (macOS, FreeBSD, qemu) the addresses that follow
  // cannot tell a closed server from the next one on its port and fd number.
  const flags = handle as { destroyed?: unknown; listening?: unknown; listen?: unknown };
  if (flags.destroyed === true) return false;
  if (flags.listening === false && typeof flags.listen === "function") return false;
  return stillSame(handle, identity);
}

/** Throws for a handle known closed for good, and remembers it so later calls cost nothing. */
function closedForever(handle: object, action: string, what: string, detail = ""): never {
  closedForGood.set(handle, what);
  throw closed(action, `${what} is closed${detail}`);
}

function closed(action: string, why: string): SocketClosedError {
  return new SocketClosedError(`${action}: ${why}`, {
    code: "EBADF",
    errno: currentHost().platform.errno.EBADF,
    syscall: null,
    option: null,
    fd: null,
  });
}

function unusable(action: string, why: string, code: "EBADF" | "ENOTCONN"): SockoptError {
  const errno = currentHost().platform.errno[code];
  return new SockoptError(`${action}: ${why}`, { code, errno, syscall: null, option: null, fd: null });
}

/**
 * What a handle names, from its shape alone (no system call), for callers that report some kinds
 * their own way (the net-keepalive entry); {@link resolveFd} is the way to its fd.
 *
 * @param handle An object the caller passed.
 * @returns Its target.
 * @throws {TypeError} for an object no recogniser knows.
 */
export function targetOf(handle: object): Target {
  return recognise(handle, "Cannot find the socket");
}

function describe(value: unknown): string {
  if (typeof value === "object" && value !== null) {
    try {
      return `a ${className(value)}`;
    } catch {
      return "an object"; // a Proxy whose traps throw
    }
  }
  return describeValue(value);
}

/** An fd a runtime handle reported, checked like a number the caller passed (-0 is 0). */
function handleFd(fd: number, action: string): number {
  if (Number.isInteger(fd) && fd >= 0 && fd <= FD_MAX) return fd | 0;
  throw new TypeError(`${action}: the handle reports fd ${describe(fd)}, which is not a file descriptor`);
}

function recognise(handle: object, action: string): Target {
  for (const recogniser of RECOGNISERS) {
    let target: Target | undefined;
    try {
      target = recogniser(handle);
    } catch {
      continue; // a revoked Proxy, or a getter that throws: no runtime handle does either
    }
    if (target !== undefined) return target;
  }
  throw new TypeError(`${action}: ${describe(handle)} is not a socket sockopts can use; expected ${ACCEPTED}`);
}

function query(target: Target & { kind: "connection" | "listener" }): SocketQuery {
  return target.kind === "connection"
    ? { kind: "connection", local: target.local, remote: target.remote }
    : { kind: "listener", ip: target.ip, port: target.port };
}

/** Every fd a handle's target names (more than one only for SO_REUSEPORT listeners). */
function lookUp(handle: object, target: Target, action: string, everyMatch: boolean): number[] {
  switch (target.kind) {
    case "fd":
      return [handleFd(target.fd, action)];
    case "closed":
      if (target.final === true) closedForever(handle, action, target.what);
      throw closed(action, `${target.what} is closed`);
    case "not-ready":
      throw new SockoptError(`${action}: ${target.what} is not ready: ${target.why}`, {
        code: "ENOTCONN",
        errno: currentHost().platform.errno.ENOTCONN,
        syscall: null,
        option: null,
        fd: null,
      });
    case "not-tcp":
      throw new TypeError(
        `${action}: ${target.what} is a ${target.transport} socket, and TCP options apply only to TCP sockets`,
      );
    case "no-fd":
      throw unusable(action, `${target.what} has no usable file descriptor: ${target.why}`, "EBADF");
    case "elsewhere":
      throw unusable(action, `${target.what} has no socket in this process: ${target.why}`, "ENOTCONN");
  }
  const q = query(target);
  // A listener is always looked up in full, so that a second match is never missed.
  const fds = findSockets(q, everyMatch || target.kind === "listener", target.hint);
  if (fds.length === 0) {
    const where = target.kind === "connection" ? "is" : "listens on";
    const detail = ` (no open socket in this process ${where} ${describeQuery(q, showEndpoint)})`;
    // A handle the runtime vouches for cannot get its socket back; a socket that later turns up
    // at its addresses is somebody else's.
    if (target.closed !== undefined) closedForever(handle, action, target.what, detail);
    throw closed(action, `${target.what} is closed${detail}`);
  }
  if (fds.length > 1 && !everyMatch) {
    throw new AmbiguousSocketError(
      `${action}: ${fds.length} sockets match ${target.what} on ${describeQuery(q, showEndpoint)} ` +
        `(fds ${fds.join(", ")}), as SO_REUSEPORT allows; configure each of fdOf(handle, { all: true })`,
      fds,
    );
  }
  // The addresses matched; whether the handle is still open is the runtime's to say.
  if (target.closed !== undefined && target.closed(handle, fds[0])) closedForever(handle, action, target.what);
  if (fds.length === 1) identities.set(handle, identify(fds[0], target.what, target.closed));
  return fds;
}

function resolve(handle: unknown, action: string, everyMatch: boolean): number[] {
  if (typeof handle === "number") {
    if (Number.isInteger(handle) && handle >= 0 && handle <= FD_MAX) {
      if (debugging) debugHandle(handle, handle | 0, "number", "none");
      return [handle | 0]; // -0 is 0
    }
    throw new RangeError(`${action}: ${handle} is not a file descriptor (expected an integer 0..${FD_MAX})`);
  }
  if (handle === undefined || handle === null) {
    throw new TypeError(`${action}: missing socket (got ${handle}); expected ${ACCEPTED}`);
  }
  if (typeof handle !== "object") {
    throw new TypeError(`${action}: ${describe(handle)} is not a socket sockopts can use; expected ${ACCEPTED}`);
  }
  const known = closedForGood.get(handle);
  if (known !== undefined) throw closed(action, `${known} is closed`);
  const identity = identities.get(handle);
  if (identity !== undefined) {
    if (stillHolds(handle, identity)) {
      if (debugging) debugHandle(handle, identity.fd, "cached", identityCheck(identity));
      return [identity.fd];
    }
    identities.delete(handle);
    // The socket it named is gone, and its number may already belong to another socket.
    if (identity.closed !== undefined) closedForever(handle, action, identity.what);
    throw closed(action, `${identity.what} is closed`);
  }
  const target = recognise(handle, action);
  const fds = lookUp(handle, target, action, everyMatch);
  if (debugging) {
    const route = target.kind === "fd" ? "runtime fd" : "addresses";
    for (const fd of fds) debugHandle(handle, fd, route, identityCheck(identities.get(handle)));
  }
  return fds;
}

function identityCheck(identity: Identity | undefined): "SO_COOKIE" | "addresses" | "none" {
  return identity === undefined ? "none" : identity.local === "" ? "SO_COOKIE" : "addresses";
}

/**
 * The fd of the socket `handle` names.
 *
 * @param handle What the caller passed.
 * @param action The start of any error message, such as `Cannot set TCP_KEEPIDLE`.
 * @throws {TypeError} for a missing or unrecognised handle, or a Unix-domain or UDP one.
 * @throws {RangeError} for a number that cannot be a file descriptor.
 * @throws {SocketClosedError} for a handle whose socket is closed.
 * @throws {AmbiguousSocketError} when several sockets match (SO_REUSEPORT listeners).
 */
export function resolveFd(handle: unknown, action: string): number {
  // `| 0` turns -0 into 0, which both runtimes' FFI then take alike.
  if (typeof handle === "number" && handle >= 0 && handle <= FD_MAX && Number.isInteger(handle)) {
    if (debugging) debugHandle(handle, handle | 0, "number", "none");
    return handle | 0;
  }
  // Every call after a handle's first lands here: answer without the array resolve() returns, so
  // a call allocates nothing (the benchmark holds RSS growth over 5M calls under 2 MB).
  if (typeof handle === "object" && handle !== null) {
    const identity = identities.get(handle);
    if (identity !== undefined && stillHolds(handle, identity)) {
      if (debugging) debugHandle(handle, identity.fd, "cached", identityCheck(identity));
      return identity.fd;
    }
  }
  return resolve(handle, action, false)[0];
}

/**
 * Options for {@link fdOf}.
 *
 * @example Every listener of a reuse-port address
 * ```ts
 * import { fdOf, type FdOfOptions } from "jsr:@sockopts/sockopts";
 *
 * const every: FdOfOptions = { all: true };
 *
 * export function listeners(server: Deno.HttpServer): number[] {
 *   return fdOf(server, every);
 * }
 * ```
 */
export interface FdOfOptions {
  /** Return every matching fd (several SO_REUSEPORT listeners on one address) instead of throwing. */
  readonly all: true;
}

/**
 * The file descriptor of the socket a handle holds, found the way every sockopts call finds it.
 *
 * Caveats: the fd belongs to the runtime. Do not close it, and do not keep the number: once the
 * handle closes, the number is free for the next socket or file. sockopts' own calls re-check a
 * handle's socket identity on every use (SO_COOKIE on Linux, addresses elsewhere); a number you
 * keep is not re-checked. Deno handles are found by their addresses the first time.
 *
 * @param handle A socket, listener or server handle (see {@link SocketHandle}).
 * @returns The fd.
 * @throws {SocketClosedError} when the handle's socket is closed.
 * @throws {AmbiguousSocketError} when several sockets match and `{ all: true }` was not given.
 * @throws {UnsupportedError} on an OS or runtime sockopts cannot drive, even for a number.
 *
 * @example Handing a Deno connection's fd to other native code
 * ```ts
 * import { fdOf } from "jsr:@sockopts/sockopts";
 *
 * export async function show(): Promise<void> {
 *   const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 *   console.log(`listening on fd ${fdOf(listener)}`);
 *   listener.close();
 * }
 * ```
 */
export function fdOf(handle: SocketHandle): number;
/**
 * Every file descriptor matching a handle: several when SO_REUSEPORT listeners share an address.
 *
 * @param handle A socket, listener or server handle (see {@link SocketHandle}).
 * @param options `{ all: true }`.
 * @returns The fds, one or more.
 * @throws {SocketClosedError} when no socket matches.
 * @throws {UnsupportedError} on an OS or runtime sockopts cannot drive.
 *
 * @example Configuring every reuse-port listener
 * ```ts
 * import { fdOf, setKeepAlive } from "jsr:@sockopts/sockopts";
 *
 * export function configureAll(server: Deno.HttpServer): void {
 *   for (const fd of fdOf(server, { all: true })) setKeepAlive(fd, { idle: 60_000 });
 * }
 * ```
 */
export function fdOf(handle: SocketHandle, options: FdOfOptions): number[];
export function fdOf(handle: SocketHandle, options?: FdOfOptions): number | number[] {
  currentHost(); // an unsupported OS or runtime throws here, as every other call does
  const all = copyOptions("Cannot find the socket", "{ all: true }", options, ["all"]).all === true;
  const fds = resolve(handle, "Cannot find the socket", all);
  return all ? fds : fds[0];
}
