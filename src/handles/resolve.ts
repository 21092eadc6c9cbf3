/**
 * Turns what the caller passed into the file descriptor of the socket it names, or a clear error,
 * in one place and one way through: a number is taken as it is; a handle resolved before is
 * re-checked (identity.ts); any other is recognised (recognise.ts) and looked up (find.ts), and
 * remembered. The debug view hears the outcome once, at the end. Handles without an fd of their own are found by
 * address once, then re-checked on every use, so a handle whose socket closed can never reach the
 * socket that took its number.
 *
 * @module
 */
import { debugging, debugHandle, type HandleRoute } from "../sys/debug.ts";
import { currentHost } from "../sys/host.ts";
import { copyOptions } from "../values.ts";
import { closed, FD_MAX, lookUp } from "./find.ts";
import { identify, type Identity, identityCheck, stillHolds } from "./identity.ts";
import { ACCEPTED, notASocket, recognise } from "./recognise.ts";
import { className } from "./target.ts";
import type { SocketHandle } from "./types.ts";

export type { SocketHandle } from "./types.ts";

const identities = new WeakMap<object, Identity>();
// Handles known closed for good (Deno's, whose resources never come back), with their names:
// every later call fails from here, without a lookup. node:net handles are never kept here, as
// `socket.connect()` and `server.listen()` can give the same object a new socket.
const closedForGood = new WeakMap<object, string>();

/** What the debug view calls a handle: its class name, or its type. */
function debugName(handle: unknown): string {
  if (typeof handle !== "object" || handle === null) return typeof handle;
  try {
    return className(handle);
  } catch {
    return "object"; // a Proxy whose traps throw
  }
}

/**
 * The fd of the first socket `handle` names; with `all`, every match is looked for and pushed
 * there (several SO_REUSEPORT listeners). One way through for every call: the hot one (a number,
 * or a handle resolved before, re-checked) allocates nothing.
 */
function resolveInto(handle: unknown, action: string, all: number[] | undefined): number {
  let fd: number;
  let route: HandleRoute;
  if (typeof handle === "number") {
    if (!(handle >= 0 && handle <= FD_MAX && Number.isInteger(handle))) {
      throw new RangeError(`${action}: ${handle} is not a file descriptor (expected an integer 0..${FD_MAX})`);
    }
    fd = handle | 0; // -0 is 0, which every runtime's FFI then takes alike
    route = "number";
    all?.push(fd);
  } else if (typeof handle !== "object" || handle === null) {
    if (handle === undefined || handle === null) {
      throw new TypeError(`${action}: missing socket (got ${handle}); expected ${ACCEPTED}`);
    }
    throw notASocket(action, handle);
  } else {
    const identity = identities.get(handle);
    if (identity !== undefined && stillHolds(handle, identity)) {
      fd = identity.fd;
      route = "cached";
      all?.push(fd);
    } else {
      if (identity !== undefined) {
        identities.delete(handle);
        // The socket it named is gone, and its number may already belong to another socket.
        if (identity.closed !== undefined) closedForGood.set(handle, identity.what);
        // A node:net object can hold a new socket (`socket.connect()` again, `server.listen()`):
        // recognised afresh below, it says itself whether it is closed.
        if (identity.closed !== undefined || !identity.renewable) throw closed(action, `${identity.what} is closed`);
      }
      const known = closedForGood.get(handle);
      if (known !== undefined) throw closed(action, `${known} is closed`);
      const target = recognise(handle, action);
      const found = lookUp(handle, target, action, all !== undefined);
      if (found.kind === "gone") {
        if (found.final) closedForGood.set(handle, found.what);
        throw closed(action, found.why);
      }
      fd = found.fds[0];
      all?.push(...found.fds);
      route = "runtime fd";
      if (target.kind === "connection" || target.kind === "listener") {
        route = "addresses";
        if (found.fds.length === 1) {
          identities.set(handle, identify(fd, target.what, target.closed, target.renewable === true));
        }
      }
    }
  }
  // The debug view hears the outcome once, here.
  if (debugging) {
    const check = identityCheck(typeof handle === "object" ? identities.get(handle!) : undefined);
    const name = debugName(handle);
    for (const each of all ?? [fd]) debugHandle(name, each, route, check);
  }
  return fd;
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
  return resolveInto(handle, action, undefined);
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
  if (!all) return resolveInto(handle, "Cannot find the socket", undefined);
  const fds: number[] = [];
  resolveInto(handle, "Cannot find the socket", fds);
  return fds;
}
