/**
 * The handle types sockopts accepts, written as shapes: the runtimes' own types (`Deno.Conn`,
 * Bun's `Socket`, `node:net`'s `Socket`, …) cannot be imported into a package that every runtime
 * type-checks, yet each of them matches one of these shapes, while a Promise (a forgotten
 * `await`), a string or an unrelated object matches none and fails to compile.
 *
 * @module
 */

/**
 * A connected socket in the `node:net` style: `node:net` `Socket`, `node:tls` `TLSSocket` (Node,
 * Bun and Deno), and Bun's own sockets from `Bun.connect` and `Bun.listen`, which share the method.
 *
 * @example A node:net socket is one
 * ```ts
 * import { connect } from "node:net";
 * import type { NetSocketLike } from "jsr:@sockopts/sockopts";
 *
 * export function open(port: number): NetSocketLike {
 *   return connect({ host: "127.0.0.1", port });
 * }
 * ```
 */
export interface NetSocketLike {
  /** The runtime's own keep-alive switch, which every such socket has. */
  setKeepAlive(enable?: boolean, initialDelay?: number): unknown;
}

/**
 * A Deno connection: `Deno.Conn`, `Deno.TcpConn`, `Deno.TlsConn`.
 *
 * @example Deno.connect's connection is one
 * ```ts
 * import type { DenoConnLike } from "jsr:@sockopts/sockopts";
 *
 * export async function open(port: number): Promise<DenoConnLike> {
 *   return await Deno.connect({ hostname: "127.0.0.1", port });
 * }
 * ```
 */
export interface DenoConnLike {
  /** The local address. */
  readonly localAddr: object;
  /** The peer's address. */
  readonly remoteAddr: object;
}

/**
 * A Deno listener (`Deno.Listener`, `Deno.TcpListener`, a TLS listener) or the server
 * `Deno.serve()` returns.
 *
 * @example Deno.listen's listener is one
 * ```ts
 * import type { DenoListenerLike } from "jsr:@sockopts/sockopts";
 *
 * export function listen(): DenoListenerLike {
 *   return Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * }
 * ```
 */
export type DenoListenerLike =
  | { readonly addr: object; accept(): unknown }
  | { readonly addr: object; shutdown(): unknown };

/**
 * A Bun listener from `Bun.listen` or a server from `Bun.serve`.
 *
 * @example Bun.listen's listener is one
 * ```ts
 * import type { BunListenerLike } from "jsr:@sockopts/sockopts";
 *
 * export function stopAll(listeners: BunListenerLike[]): void {
 *   for (const listener of listeners) listener.stop(true);
 * }
 * ```
 */
export interface BunListenerLike {
  /** The port it listens on. */
  readonly port: number | undefined;
  /** Stops listening. */
  stop(closeActiveConnections?: boolean): unknown;
  /** Swaps its handlers. */
  reload(options: never): unknown;
}

/**
 * A server in the `node:net` style: `node:net` `Server` and what is built on it (`node:http`,
 * `node:https`, `node:http2` and `node:tls` servers).
 *
 * @example A node:http server is one
 * ```ts
 * import { createServer } from "node:http";
 * import type { NetServerLike } from "jsr:@sockopts/sockopts";
 *
 * export const server: NetServerLike = createServer((_request, response) => response.end("ok"));
 * ```
 */
export interface NetServerLike {
  /** The bound address (`null` before it listens). */
  address(): unknown;
  /** Starts listening. */
  listen(...args: never[]): unknown;
}

/**
 * Anything sockopts can find a socket in:
 * - a file descriptor (a non-negative integer);
 * - Deno: `Deno.Conn` / `Deno.TcpConn` / `Deno.TlsConn`, `Deno.Listener`, the `Deno.serve()` server;
 * - Bun: sockets from `Bun.connect` and `Bun.listen` (TLS too), the `Bun.listen` listener, the
 *   `Bun.serve()` server;
 * - every runtime: `node:net` Socket and Server, `node:tls` TLSSocket, `node:http` / `node:https` /
 *   `node:http2` servers.
 *
 * Each is given by its shape ({@link NetSocketLike}, {@link DenoConnLike}, {@link DenoListenerLike},
 * {@link BunListenerLike}, {@link NetServerLike}), so a Promise (a forgotten `await`), a string or
 * an unrelated object is a compile error. Whatever slips past the types (a Unix-domain socket, a
 * closed one, a look-alike) is rejected at run time with a clear error.
 *
 * @example Taking whatever socket the caller holds
 * ```ts
 * import { setKeepAlive, type SocketHandle } from "jsr:@sockopts/sockopts";
 *
 * export function keepAlive(socket: SocketHandle): void {
 *   setKeepAlive(socket, { idle: 60_000 });
 * }
 * ```
 */
export type SocketHandle =
  | number
  | NetSocketLike
  | DenoConnLike
  | DenoListenerLike
  | BunListenerLike
  | NetServerLike;
