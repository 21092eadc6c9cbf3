/**
 * From what a handle names to the fd(s) of its socket: the runtime's own fd, or a lookup by
 * address among this process's sockets, with the error for each way a handle cannot be used.
 *
 * @module
 */
import { isLinkLocal, showEndpoint } from "../address.ts";
import { AmbiguousSocketError, SocketClosedError, SockoptError } from "../errors.ts";
import { currentHost } from "../sys/host.ts";
import { findSockets } from "./fd_index.ts";
import { describeQuery, type SocketQuery } from "./query.ts";
import { describeHandle } from "./genuine.ts";
import { PICKED_CLOSED, type Target } from "./target.ts";
import { claim, unclaimed } from "./twins.ts";

/** The largest fd number (INT_MAX). */
export const FD_MAX = 2147483647;

/** What a lookup found: the fds, or that the handle's socket is gone (`final`: for good). */
export type Lookup =
  | { readonly kind: "found"; readonly fds: number[] }
  | { readonly kind: "gone"; readonly what: string; readonly why: string; readonly final: boolean };

/** The error for a handle whose socket is gone. */
export function closed(action: string, why: string): SocketClosedError {
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

/** An fd a runtime handle reported, checked like a number the caller passed (-0 is 0). */
function handleFd(fd: number, action: string): number {
  if (Number.isInteger(fd) && fd >= 0 && fd <= FD_MAX) return fd | 0;
  throw new TypeError(`${action}: the handle reports fd ${describeHandle(fd)}, which is not a file descriptor`);
}

function query(target: Target & { kind: "connection" | "listener" }): SocketQuery {
  return target.kind === "connection"
    ? { kind: "connection", local: target.local, remote: target.remote }
    : { kind: "listener", ip: target.ip, port: target.port };
}

/**
 * Every fd `target` names (more than one only for SO_REUSEPORT listeners), or why there is none.
 * @throws {TypeError} for a Unix-domain or UDP handle, or a handle reporting an impossible fd.
 * @throws {SockoptError} (ENOTCONN) for a handle with no socket yet.
 * @throws {AmbiguousSocketError} when several sockets match and not every match was asked for.
 */
export function lookUp(handle: object, target: Target, action: string, everyMatch: boolean): Lookup {
  switch (target.kind) {
    case "fd":
      return { kind: "found", fds: [handleFd(target.fd, action)] };
    case "closed":
      return { kind: "gone", what: target.what, why: `${target.what} is closed`, final: target.final === true };
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
    case "no-socket":
      throw new TypeError(`${action}: ${target.what} has no socket of its own: ${target.why}`);
    case "no-fd":
      throw unusable(action, `${target.what} has no usable file descriptor: ${target.why}`, "EBADF");
    case "elsewhere":
      throw unusable(action, `${target.what} has no socket in this process: ${target.why}`, "ENOTCONN");
  }
  const q = query(target);
  // A listener is always looked up in full, so that a second match is never missed.
  const found = findSockets(q, everyMatch || target.kind === "listener", target.hint);
  let fds = found.fds;
  // The fd is the handle's should the handle be open: the only one there is, or its own fd.
  let proven = found.complete && fds.length === 1;
  const twins = target.kind === "connection" && isLinkLocal(target.local.ip);
  if (twins && fds.length > 1 && !everyMatch) {
    // Twins: the same addresses and ports over several interfaces. A socket another handle holds
    // is not this one's; among the rest only the handle can say, and only with every twin in view.
    fds = unclaimed(handle, fds);
    proven = found.complete && fds.length === 1;
  }
  if (fds.length === 0) {
    const where = target.kind === "connection" ? "is" : "listens on";
    // A handle the runtime vouches for cannot get its socket back; a socket that later turns up
    // at its addresses is somebody else's.
    return {
      kind: "gone",
      what: target.what,
      why: `${target.what} is closed (no open socket in this process ${where} ${describeQuery(q, showEndpoint)})`,
      final: target.closed !== undefined,
    };
  }
  if (fds.length > 1 && !everyMatch && target.kind === "connection") {
    const picked = found.complete && target.pick !== undefined ? target.pick(handle, fds) : undefined;
    if (picked === PICKED_CLOSED) {
      return { kind: "gone", what: target.what, why: `${target.what} is closed`, final: true };
    }
    if (picked === undefined) {
      throw new AmbiguousSocketError(
        `${action}: ${fds.length} sockets have the addresses and ports of ${target.what} ` +
          `(${describeQuery(q, showEndpoint)}, fds ${
            fds.join(", ")
          }): twins on other interfaces or in other network namespaces, and nothing ` +
          `${target.what} shows tells which is its own`,
        fds,
      );
    }
    fds = [picked];
    proven = true;
  }
  if (fds.length > 1 && !everyMatch) {
    throw new AmbiguousSocketError(
      `${action}: ${fds.length} sockets match ${target.what} on ${describeQuery(q, showEndpoint)} ` +
        `(fds ${fds.join(", ")}), as SO_REUSEPORT allows; configure each of fdOf(handle, { all: true })`,
      fds,
    );
  }
  // The addresses matched; whether the handle is still open is the runtime's to say.
  if (target.closed !== undefined && target.closed(handle, fds[0], proven)) {
    return { kind: "gone", what: target.what, why: `${target.what} is closed`, final: true };
  }
  if (twins && proven && fds.length === 1) claim(handle, fds[0]);
  return { kind: "found", fds };
}
