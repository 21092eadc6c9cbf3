/**
 * Bun's handles. Sockets and listeners carry their fd (-1 once closed), read through the native
 * `fd` getter of Bun's own classes: that getter checks its receiver is a real instance, so a
 * look-alike (`{ fd: 7 }`, a Proxy, an object of another class) never yields an fd.
 * `Bun.serve()` servers only carry their address.
 *
 * @module
 */
import { isNotNative, nativeGetter, readNative } from "./brand.ts";
import { listenerTarget, OVER_A_STREAM, type Target } from "./target.ts";

function tag(handle: object): string {
  return Object.prototype.toString.call(handle);
}

// Real Bun TCP handles already classified, with their native fd getter: a handle's class and
// transport never change, so later calls only read the fd (the benchmark's hot path).
const tcpHandles = new WeakMap<object, () => unknown>();

/**
 * What a Bun object holding an fd names (a TCP socket or listener, or a Unix-domain or UDP
 * socket, which TCP options do not apply to), or undefined when it is no real Bun object: its
 * fd is read only through Bun's own native getter.
 */
export function bunFd(handle: object, what: string): Target | undefined {
  const known = tcpHandles.get(handle);
  if (known !== undefined) return fdTarget(handle, known.call(handle), what);
  const fd = readNative(handle, "fd");
  if (isNotNative(fd)) return undefined;
  if (fd === -1) return noFd(handle, what);
  const kind = tag(handle);
  if (kind === "[object UDPSocket]") return { kind: "not-tcp", what: "the Bun UDP socket", transport: "UDP" };
  // A listener on a path has `unix`; a connected socket on one has no IP peer.
  if (kind === "[object Listener]") {
    if (typeof (handle as { unix?: unknown }).unix === "string") {
      return { kind: "not-tcp", what, transport: "Unix-domain" };
    }
  } else if (typeof (handle as { remoteAddress?: unknown }).remoteAddress !== "string") {
    return { kind: "not-tcp", what, transport: "Unix-domain" };
  }
  tcpHandles.set(handle, nativeGetter(Object.getPrototypeOf(handle), "fd")!);
  return fdTarget(handle, fd, what);
}

function fdTarget(handle: object, fd: unknown, what: string): Target {
  return fd === -1 ? noFd(handle, what) : { kind: "fd", fd: fd as number };
}

/**
 * A Bun socket with fd -1: closed, or (readyState still open, 0 or more) a TLS socket over a
 * JavaScript stream, which never had an fd (`tls.connect({ socket })` with a Duplex).
 */
function noFd(handle: object, what: string): Target {
  const state = readNative(handle, "readyState");
  if (typeof state === "number" && state >= 0) {
    return { kind: "no-socket", what: what === "the socket" ? what : "the node:tls socket", why: OVER_A_STREAM };
  }
  return { kind: "closed", what };
}

/** A Bun socket, TLS socket, listener or UDP socket (`Bun.connect`, `Bun.listen`, `Bun.udpSocket`). */
export function bunSocket(handle: object): Target | undefined {
  return bunFd(handle, "the socket");
}

interface BunServerLike {
  readonly port?: unknown;
  readonly hostname?: unknown;
  readonly address?: { readonly address?: unknown; readonly port?: unknown } | null;
}

/** A `Bun.serve()` server: no fd, so its listening socket is found by address. */
export function bunServer(handle: object): Target | undefined {
  // Bun's Server class has native `upgrade`, `stop` and `fetch` methods and a native `port`
  // getter, which throws for anything but a real server.
  const port = readNative(handle, "port");
  if (isNotNative(port)) return undefined;
  const server = handle as BunServerLike;
  // `address` holds what was bound (`::` for the default); `hostname` may be just "localhost".
  const address = server.address;
  if (typeof address === "string") return { kind: "not-tcp", what: "the Bun.serve server", transport: "Unix-domain" };
  // A server asked for any port reads port 0 once stopped, while an `address` read before stop()
  // keeps the old port (Bun caches it) and would match whichever listener took that port since.
  if (port === 0) return { kind: "closed", what: "the Bun.serve server" };
  if (address !== null && address !== undefined && typeof address.port === "number") {
    return listenerTarget("the Bun.serve server", address.address, address.port);
  }
  return listenerTarget("the Bun.serve server", server.hostname, port);
}
