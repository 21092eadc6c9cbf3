/**
 * What a handle without an fd of its own is looked up by: a connection's two ends, or a
 * listener's local end.
 *
 * @module
 */
import { WILDCARD } from "../address.ts";
import type { Endpoint } from "../sys/inspect.ts";

/** A connection by its two ends, or a listener by its local end (`ip` undefined: any address). */
export type SocketQuery =
  | { readonly kind: "connection"; readonly local: Endpoint; readonly remote: Endpoint }
  | { readonly kind: "listener"; readonly ip: string | undefined; readonly port: number };

/** Human text for a query, for messages. */
export function describeQuery(query: SocketQuery, show: (ip: string, port: number) => string): string {
  if (query.kind === "connection") {
    return `${show(query.local.ip, query.local.port)} -> ${show(query.remote.ip, query.remote.port)}`;
  }
  return show(query.ip ?? WILDCARD, query.port);
}
