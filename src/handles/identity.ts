/**
 * How a resolved handle is known again on its next use: the socket's SO_COOKIE on Linux (one
 * getsockopt), its two addresses elsewhere, and the runtime's own word that the handle closed
 * where the runtime gives one.
 *
 * @module
 */
import type { IdentityCheck } from "../sys/debug.ts";
import { cookieParts, endpointText, hasCookies, holdsCookie, readCookie } from "../sys/inspect.ts";
import type { ClosedCheck } from "./target.ts";

/** What a looked-up handle resolved to, and how to tell it still holds the same socket. */
export interface Identity {
  readonly fd: number;
  readonly what: string;
  readonly cookieLow: number;
  readonly cookieHigh: number;
  readonly local: string;
  readonly remote: string;
  /** The runtime's own word that the handle closed (Deno), when it has one. */
  readonly closed: ClosedCheck | undefined;
  /** The handle can hold a new socket later (node:net), so a change of socket is looked up again. */
  readonly renewable: boolean;
}

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

/** The identity of the socket at `fd` now. */
export function identify(fd: number, what: string, closed: ClosedCheck | undefined, renewable: boolean): Identity {
  if (!addressesOnly && hasCookies() && readCookie(fd)) {
    const [cookieLow, cookieHigh] = cookieParts();
    return { fd, what, cookieLow, cookieHigh, local: "", remote: "", closed, renewable };
  }
  const [local, remote] = [endpointText(fd, false), endpointText(fd, true)];
  return { fd, what, cookieLow: 0, cookieHigh: 0, local, remote, closed, renewable };
}

/** Whether a handle still holds the socket it was resolved to. */
export function stillHolds(handle: object, identity: Identity): boolean {
  // node:net marks a socket destroyed, and a server not listening, before its fd closes: believe
  // the flags first. Where SO_COOKIE is missing (macOS, FreeBSD, qemu) the addresses that follow
  // cannot tell a closed server from the next one on its port and fd number.
  const flags = handle as { destroyed?: unknown; listening?: unknown; listen?: unknown };
  if (flags.destroyed === true) return false;
  if (flags.listening === false && typeof flags.listen === "function") return false;
  // Linux: one getsockopt. Elsewhere the addresses are read again: a live socket keeps both.
  if (identity.local === "") return holdsCookie(identity.fd, identity.cookieLow, identity.cookieHigh);
  // A closed connection's fd can go to a new one between the same two addresses (a client
  // reconnecting from the same port): the runtime's own word catches what addresses cannot.
  // The fd is the one every call through this handle configures: as proven as it gets.
  if (identity.closed !== undefined && identity.closed(handle, identity.fd, true)) return false;
  return endpointText(identity.fd, false) === identity.local && endpointText(identity.fd, true) === identity.remote;
}

/** How an identity is re-checked, as the debug view names it. */
export function identityCheck(identity: Identity | undefined): IdentityCheck {
  return identity === undefined ? "none" : identity.local === "" ? "SO_COOKIE" : "addresses";
}
