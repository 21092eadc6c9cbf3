/**
 * Deno's handles, recognised by shape. Deno exposes no file descriptor, so each is found by its
 * addresses; accepted connections carry their fd under an internal symbol, used as a hint only
 * after the kernel confirms it.
 *
 * @module
 */
import { readPrivate } from "./brand.ts";
import { endpoint, listenerTarget, type Target } from "./target.ts";

interface DenoAddr {
  readonly transport?: unknown;
  readonly hostname?: unknown;
  readonly port?: unknown;
}

// Deno.startTls() gives addresses without `transport`; every other handle names it.
function addr(value: unknown): DenoAddr | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  return "transport" in value || ("hostname" in value && "port" in value) ? value as DenoAddr : undefined;
}

function internalFd(handle: object): number | undefined {
  for (const symbol of Object.getOwnPropertySymbols(handle)) {
    if (symbol.description === "Deno.internal.fd") {
      const fd = (handle as Record<symbol, unknown>)[symbol];
      // Only a real fd number is a hint (a look-alike's symbol may hold anything).
      return typeof fd === "number" && Number.isInteger(fd) && fd >= 0 && fd <= 2147483647 ? fd | 0 : undefined;
    }
  }
  return undefined;
}

function notTcp(what: string, transport: unknown): Target | undefined {
  if (transport === "unix" || transport === "unixpacket") return { kind: "not-tcp", what, transport: "Unix-domain" };
  if (transport === "udp") return { kind: "not-tcp", what, transport: "UDP" };
  return undefined;
}

/** `Deno.Conn`, `Deno.TcpConn` or `Deno.TlsConn` (TLS resolves to its TCP socket). */
export function denoConn(handle: object): Target | undefined {
  // Read through Deno's own getters (private fields): a literal or a Proxy shaped like one is no Conn.
  const local = addr(readPrivate(handle, "localAddr"));
  const remote = addr(readPrivate(handle, "remoteAddr"));
  if (local === undefined || remote === undefined) return undefined;
  const what = "the Deno connection";
  const other = notTcp(what, local.transport);
  if (other !== undefined) return other;
  const l = endpoint(local.hostname, local.port);
  const r = endpoint(remote.hostname, remote.port);
  if (l === undefined || r === undefined) return undefined;
  return { kind: "connection", what, local: l, remote: r, hint: internalFd(handle) };
}

/** `Deno.Listener` / `Deno.TcpListener` / TLS listener, and the server `Deno.serve()` returns. */
export function denoListener(handle: object): Target | undefined {
  const value = handle as { addr?: unknown; accept?: unknown; shutdown?: unknown; finished?: unknown; send?: unknown };
  // Deno.serve()'s server is a plain object, so only its shape can be checked; listeners and
  // datagram sockets are read through their class's private-field getter.
  const served = Object.getPrototypeOf(handle) === Object.prototype && typeof value.shutdown === "function";
  const local = addr(served ? value.addr : readPrivate(handle, "addr"));
  if (local === undefined) return undefined;
  const what = typeof value.shutdown === "function" ? "the Deno.serve server" : "the Deno listener";
  if (typeof value.send === "function") return notTcp("the Deno datagram socket", local.transport);
  if (typeof value.accept !== "function" && typeof value.shutdown !== "function") return undefined;
  return notTcp(what, local.transport) ?? listenerTarget(what, local.hostname, local.port);
}
