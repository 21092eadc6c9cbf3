/**
 * Which runtime handle the caller passed, from its shape alone (no system call): each runtime's
 * recogniser answers with a {@link Target} or passes.
 *
 * @module
 */
import { bunServer, bunSocket } from "./bun.ts";
import { denoConn, denoListener } from "./deno.ts";
import { nodeDatagram, nodeServer, nodeSocket } from "./node.ts";
import { nodeRuntimeServer, nodeRuntimeSocket } from "./node_runtime.ts";
import { describeHandle, proxied } from "./genuine.ts";
import type { Target } from "./target.ts";

/** What sockopts accepts, for messages. */
export const ACCEPTED = "a file descriptor (an integer 0..2147483647); Deno.Conn, Deno.TlsConn, Deno.Listener " +
  "or a Deno.serve() server; a Bun socket, Bun.listen listener or Bun.serve() server; a node:net Socket or " +
  "Server, node:tls TLSSocket or node:http(s) Server";

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

/** The TypeError for something that is no socket; a Promise most likely lacks an `await`. */
export function notASocket(action: string, value: unknown): TypeError {
  // Asked without running the caller's code: a Proxy's traps are never reached.
  if (typeof value === "object" && value !== null && !proxied(value) && value instanceof Promise) {
    return new TypeError(`${action}: a Promise is not a socket sockopts can use; did you forget an await?`);
  }
  return new TypeError(`${action}: ${describeHandle(value)} is not a socket sockopts can use; expected ${ACCEPTED}`);
}

/**
 * What `handle` names.
 * @throws {TypeError} for anything no runtime's recogniser knows.
 */
export function recognise(handle: object, action: string): Target {
  // A Proxy anywhere on its chain is no runtime handle: refused before any of its traps runs.
  if (!proxied(handle)) {
    for (const recogniser of RECOGNISERS) {
      let target: Target | undefined;
      try {
        target = recogniser(handle);
      } catch {
        continue; // a getter that throws: no runtime handle does either
      }
      if (target !== undefined) return target;
    }
  }
  throw notASocket(action, handle);
}

/**
 * What a handle names, from its shape alone (no system call), for callers that report some kinds
 * their own way (the net-keepalive entry); resolve.ts's `resolveFd` is the way to its fd.
 *
 * @param handle An object the caller passed.
 * @returns Its target.
 * @throws {TypeError} for an object no recogniser knows.
 */
export function targetOf(handle: object): Target {
  return recognise(handle, "Cannot find the socket");
}
