/**
 * Shared by the Windows tests (tests/windows/*.ts, run inside Wine by scripts/test_windows.ts, or
 * on a real Windows machine by the release workflow): the runtime running them, loopback
 * connections made with each runtime's own API, and what the Linux kernel holds for a socket,
 * asked of the kernel oracle (tests/support/kernel_oracle.ts) when running under Wine.
 *
 * @module
 */
import assert from "node:assert/strict";
import net from "node:net";
import process from "node:process";
import type { SocketHandle } from "../../mod.ts";
import type { KernelView } from "../support/kernel_oracle.ts";

export type { KernelView };

/** Which runtime runs the test. */
export const runtime: "deno" | "bun" | "node" = (globalThis as { Bun?: unknown }).Bun !== undefined
  ? "bun"
  : (globalThis as { Deno?: unknown }).Deno !== undefined
  ? "deno"
  : "node";

/** Running under Wine (scripts/wine_run.sh sets it), where the kernel oracle is reachable. */
export const underWine: boolean = process.env.SOCKOPTS_WINE === "1";

/** Skip reason for a test that needs this runtime's own API. */
export function only(name: "deno" | "bun"): string | false {
  return runtime === name ? false : `${name}-only handle`;
}

/** The oracle's address, or undefined (real Windows: Winsock's answers are the kernel's). */
const oracle = process.env.SOCKOPTS_ORACLE;

/**
 * What the Linux kernel holds for the loopback socket with these ports (remote 0: a listener), or
 * null where there is no Linux kernel beneath (real Windows).
 */
export async function kernel(localPort: number, remotePort: number): Promise<KernelView | null> {
  if (oracle === undefined) {
    if (underWine) throw new Error("SOCKOPTS_ORACLE is not set: run the Windows tests with scripts/test_windows.ts");
    return null;
  }
  const response = await fetch(`http://${oracle}/socket?local=${localPort}&remote=${remotePort}`);
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body as KernelView;
}

/** A loopback connection and its listener, made with one API. */
export interface Pair {
  /** What the handles are, for messages. */
  readonly kind: string;
  readonly client: SocketHandle;
  /** The accepted end. */
  readonly server: SocketHandle;
  readonly listener: SocketHandle;
  readonly clientPort: number;
  readonly serverPort: number;
  close(): Promise<void>;
}

/** A node:net connection (every runtime has node:net). */
export async function netPair(): Promise<Pair> {
  const accepted = Promise.withResolvers<net.Socket>();
  const listener = net.createServer((socket) => accepted.resolve(socket));
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const serverPort = (listener.address() as net.AddressInfo).port;
  const client = net.connect(serverPort, "127.0.0.1");
  await new Promise((resolve) => client.once("connect", resolve));
  const server = await accepted.promise;
  return {
    kind: "node:net",
    client,
    server,
    listener,
    clientPort: client.localPort!,
    serverPort,
    async close() {
      client.destroy();
      server.destroy();
      await new Promise((resolve) => listener.close(resolve));
    },
  };
}

/** A Deno.connect connection (Deno only). */
export async function denoPair(): Promise<Pair> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const server = await listener.accept();
  return {
    kind: "Deno",
    client,
    server,
    listener,
    clientPort: client.localAddr.port,
    serverPort: listener.addr.port,
    close() {
      for (const handle of [client, server, listener]) {
        try {
          handle.close();
        } catch {
          // closed by the test already
        }
      }
      return Promise.resolve();
    },
  };
}

interface BunSocket {
  readonly localPort: number;
  end(): void;
}

interface BunApi {
  listen(options: unknown): { port: number; stop(closeActive?: boolean): void };
  connect(options: unknown): Promise<BunSocket>;
}

/** A Bun.connect connection (Bun only). */
export async function bunPair(): Promise<Pair> {
  const bun = (globalThis as unknown as { Bun: BunApi }).Bun;
  const accepted = Promise.withResolvers<BunSocket>();
  const listener = bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: { open: (socket: BunSocket) => accepted.resolve(socket), data() {} },
  });
  const client = await bun.connect({ hostname: "127.0.0.1", port: listener.port, socket: { data() {} } });
  const server = await accepted.promise;
  return {
    kind: "Bun",
    client: client as unknown as SocketHandle,
    server: server as unknown as SocketHandle,
    listener: listener as unknown as SocketHandle,
    clientPort: client.localPort,
    serverPort: listener.port,
    close() {
      client.end();
      server.end();
      listener.stop(true);
      return Promise.resolve();
    },
  };
}

/** The pairs this runtime can make: its own API's, and node:net's. */
export function pairMakers(): (() => Promise<Pair>)[] {
  return runtime === "deno" ? [denoPair, netPair] : runtime === "bun" ? [bunPair, netPair] : [netPair];
}
