/**
 * What a handle names, worked out from its shape alone (no system call): a file descriptor the
 * runtime vouches for, or addresses to look up, or a reason it cannot be configured.
 *
 * @module
 */
import { canonicalIp } from "../address.ts";
import type { Endpoint } from "../sys/inspect.ts";

/**
 * Tells that a handle's socket is gone for good, by the runtime's own bookkeeping, given the fd
 * the lookup found for it and whether that fd is `proven` to hold the handle's socket should the
 * handle be open (the only socket of its namespace at those addresses, or the one the handle
 * itself picked out). An fd is touched only in ways that change nothing, and only when proven.
 * Given only for handles that can never hold a socket again once closed.
 */
export type ClosedCheck = (handle: object, fd: number, proven: boolean) => boolean;

/** {@link TwinPick}: the handle is closed. */
export const PICKED_CLOSED = -1;

/**
 * Picks out, among `fds` (sockets that share a connection's addresses and ports: twins on several
 * interfaces), the one the handle holds, through the handle itself: its fd, {@link PICKED_CLOSED},
 * or undefined when the handle cannot tell. Given every such socket of the namespace.
 */
export type TwinPick = (handle: object, fds: readonly number[]) => number | undefined;

/** The outcome of recognising a handle. */
export type Target =
  /** The runtime's own fd for the socket (Bun), valid while the handle is open. */
  | { readonly kind: "fd"; readonly fd: number }
  /** A connected TCP socket, found by its two ends; `hint` is an fd read from runtime internals. */
  | {
    readonly kind: "connection";
    readonly what: string;
    readonly local: Endpoint;
    readonly remote: Endpoint;
    readonly hint?: number;
    readonly closed?: ClosedCheck;
    /** The handle can hold a new socket later (`node:net`'s `connect()` and `listen()` again). */
    readonly renewable?: true;
    readonly pick?: TwinPick;
  }
  /** A listening TCP socket, found by its local end (`ip` undefined: any address on the port). */
  | {
    readonly kind: "listener";
    readonly what: string;
    readonly ip: string | undefined;
    readonly port: number;
    readonly hint?: number;
    readonly closed?: ClosedCheck;
    /** The handle can hold a new socket later (`node:net`'s `connect()` and `listen()` again). */
    readonly renewable?: true;
  }
  /** The handle's socket is gone; `final`: and the handle can never hold one again. */
  | { readonly kind: "closed"; readonly what: string; readonly final?: boolean }
  /**
   * The handle has no socket yet (connecting, or a server not listening). `fd`: the runtime's own
   * fd of a connection attempt that may not be the one that connects (the net-keepalive entry
   * uses it, as net-keepalive did).
   */
  | { readonly kind: "not-ready"; readonly what: string; readonly why: string; readonly fd?: number }
  /**
   * A Unix-domain or UDP handle: TCP options do not apply. `fd`: the runtime's own fd for it, for
   * callers that let the kernel refuse (the net-keepalive entry).
   */
  | { readonly kind: "not-tcp"; readonly what: string; readonly transport: "Unix-domain" | "UDP"; readonly fd?: number }
  /**
   * A TCP handle holding no usable fd: its native handle is not the runtime's own (replaced), so
   * neither its fd nor its addresses can be trusted. `fd`: the number it reports, if any.
   */
  | { readonly kind: "no-fd"; readonly what: string; readonly why: string; readonly fd?: number }
  /** A handle whose socket lives in another process (a cluster worker's server under round-robin). */
  | { readonly kind: "elsewhere"; readonly what: string; readonly why: string }
  /** An open handle with no socket of its own (TLS over a JavaScript stream): `why` says what it runs over. */
  | { readonly kind: "no-socket"; readonly what: string; readonly why: string };

/** Why a TLS socket over a JavaScript stream cannot be configured, for messages. */
export const OVER_A_STREAM =
  "it runs over a JavaScript stream (tls.connect({ socket }) with a Duplex); configure the socket beneath that stream";

/** An endpoint from a handle's hostname (an IP literal) and port, or undefined if either is not one. */
export function endpoint(hostname: unknown, port: unknown): Endpoint | undefined {
  if (typeof hostname !== "string" || typeof port !== "number") return undefined;
  const ip = canonicalIp(hostname);
  return ip === undefined ? undefined : { ip, port };
}

/** A listener target from a hostname (any spelling) and port. */
export function listenerTarget(
  what: string,
  hostname: unknown,
  port: unknown,
  hint?: number,
  closed?: ClosedCheck,
  renewable?: true,
): Target | undefined {
  if (typeof port !== "number") return undefined;
  const ip = typeof hostname === "string" ? canonicalIp(hostname) : undefined;
  return { kind: "listener", what, ip, port, hint, closed, renewable };
}

/**
 * The name a handle's class goes by, for messages and the debug view: its constructor's name, or
 * else its built-in tag (Bun's sockets report `Object` as their constructor, `[object TCPSocket]`
 * as their tag); `object` for a plain object.
 */
export function className(value: object): string {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof name === "string" && name !== "" && name !== "Object") return name;
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  return tag === "Object" ? "object" : tag;
}
