/**
 * Turns what the caller passed into the file descriptor of the socket it names, or a clear error.
 *
 * @module
 */
import { SocketClosedError, SockoptError } from "./errors.ts";
import { currentHost } from "./platform.ts";

/**
 * Anything sockopts can find a socket in: a file descriptor (a non-negative integer), a Bun
 * socket or listener (`Bun.connect`, `Bun.listen` and their TLS forms), or a `node:net` socket
 * under Bun. Anything else is rejected at run time with a `TypeError` listing these.
 */
export type SocketHandle = number | object;

const ACCEPTED = "a file descriptor (an integer 0..2147483647), a Bun socket or listener " +
  "(from Bun.connect or Bun.listen), or a node:net socket under Bun";

const FD_MAX = 2147483647;

function describe(value: unknown): string {
  if (typeof value !== "object" || value === null) return `${typeof value} ${String(value)}`;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name !== "Object" ? `a ${name}` : "an object";
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

// A node:net Socket keeps its native handle in `_handle`, null before connect and after close.
interface NodeSocketLike {
  readonly _handle?: { readonly fd?: unknown } | null;
  readonly destroyed?: unknown;
  readonly connecting?: unknown;
}

/**
 * The fd of the socket `handle` names.
 *
 * @param handle What the caller passed.
 * @param action The start of any error message, such as `Cannot set TCP_KEEPIDLE`.
 * @throws {TypeError} for a missing or unrecognised handle.
 * @throws {RangeError} for a number that cannot be a file descriptor.
 * @throws {SocketClosedError} for a handle whose socket is closed.
 */
export function resolveFd(handle: unknown, action: string): number {
  if (typeof handle === "number") {
    if (Number.isInteger(handle) && handle >= 0 && handle <= FD_MAX) return handle;
    throw new RangeError(`${action}: ${handle} is not a file descriptor (expected an integer 0..${FD_MAX})`);
  }
  if (handle === undefined || handle === null) {
    throw new TypeError(`${action}: missing socket (got ${handle}); expected ${ACCEPTED}`);
  }
  if (typeof handle === "object") {
    // Bun sockets and listeners: `fd` turns to -1 once closed.
    const fd = (handle as { fd?: unknown }).fd;
    if (typeof fd === "number") {
      if (fd >= 0) return fd;
      throw closed(action, "the socket is closed");
    }
    if ("_handle" in handle) {
      const socket = handle as NodeSocketLike;
      const inner = socket._handle;
      if (inner !== null && inner !== undefined && typeof inner.fd === "number" && inner.fd >= 0) return inner.fd;
      if (socket.connecting === true) {
        throw new SockoptError(`${action}: the socket is still connecting; wait for its "connect" event`, {
          code: "ENOTCONN",
          errno: currentHost().platform.errno.ENOTCONN,
          syscall: null,
          option: null,
          fd: null,
        });
      }
      if (socket.destroyed === true || inner === null) throw closed(action, "the socket is closed");
    }
  }
  throw new TypeError(`${action}: ${describe(handle)} is not a socket sockopts can use; expected ${ACCEPTED}`);
}
