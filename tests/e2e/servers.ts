/**
 * Servers of each kind the listener scenario configures through its listener (Deno.serve,
 * Deno.listen, Bun.serve, Bun.listen, node:net), behind one shape: each takes one client, holds
 * the connection open and idle, and reports when it notices that connection is gone.
 */
/// <reference types="npm:@types/bun@1.4.4" />
import net from "node:net";
import type { SocketHandle } from "../../mod.ts";
import { isBun, isDeno } from "../support/runtime.ts";
import { codeOf, type Ending, endingSignal } from "./ending.ts";

/** A server handle kind. */
export type ServerKind = "Deno.serve" | "Deno.listen" | "Bun.serve" | "Bun.listen" | "node:net server";

/** The server kinds this runtime has. */
export const SERVER_KINDS: readonly ServerKind[] = isBun
  ? ["Bun.serve", "Bun.listen", "node:net server"]
  : isDeno
  ? ["Deno.serve", "Deno.listen", "node:net server"]
  : ["node:net server"];

/** A listening server, whichever kind. */
export interface Server {
  readonly kind: ServerKind;
  /** What the scenario hands to sockopts: the listener or server object. */
  readonly handle: SocketHandle;
  readonly port: number;
  /**
   * Connects a node:net client and resolves once the server holds the connection and both ends
   * have gone quiet (an HTTP server has sent its response headers and holds the body open).
   */
  connectClient(): Promise<net.Socket>;
  /** Settles when the server notices its accepted connection is gone. Never rejects. */
  readonly ended: Promise<Ending>;
  close(): void;
}

const HOST = "127.0.0.1";
const REQUEST = `GET / HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`;

function signals() {
  let accept!: () => void;
  const accepted = new Promise<void>((resolve) => (accept = resolve));
  return { ...endingSignal(), accepted, accept };
}

/** Connects, optionally sends `request`, and waits for the first bytes back (or for `accepted`). */
async function client(port: number, accepted: Promise<void>, request?: string): Promise<net.Socket> {
  const socket = net.connect(port, HOST);
  socket.on("error", () => {}); // the scenario cuts this client off on purpose
  await new Promise<void>((resolve) => socket.once("connect", resolve));
  if (request !== undefined) {
    socket.write(request);
    await new Promise<void>((resolve) => socket.once("data", () => resolve()));
  }
  await accepted;
  // Let the last ACKs cross before the scenario starts cutting packets.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return socket;
}

// A response body that never sends a byte: the connection stays open and idle.
const silentBody = () => new ReadableStream<Uint8Array>({ start() {} });

function denoServe(): Server {
  const { ended, end, accepted, accept } = signals();
  const server = Deno.serve({ hostname: HOST, port: 0, onListen() {} }, (_request, info) => {
    // Rejects with Interrupted when the connection dies before the body is delivered.
    info.completed.then(() => end("completed"), (error) => end(codeOf(error)));
    accept();
    return new Response(silentBody());
  });
  const port = server.addr.port;
  return {
    kind: "Deno.serve",
    handle: server,
    port,
    connectClient: () => client(port, accepted, REQUEST),
    ended,
    close: () => void server.shutdown(),
  };
}

function denoListen(): Server {
  const { ended, end, accepted, accept } = signals();
  const listener = Deno.listen({ hostname: HOST, port: 0 });
  const conns: Deno.Conn[] = [];
  (async () => {
    const conn = await listener.accept();
    conns.push(conn);
    accept();
    try {
      while ((await conn.read(new Uint8Array(1024))) !== null);
      end("eof");
    } catch (error) {
      end(codeOf(error));
    }
  })().catch((error) => end(codeOf(error)));
  const port = listener.addr.port;
  return {
    kind: "Deno.listen",
    handle: listener,
    port,
    connectClient: () => client(port, accepted),
    ended,
    close: () => {
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* closed by the kernel's verdict */ }
      }
      listener.close();
    },
  };
}

function bunServe(): Server {
  const { ended, end, accepted, accept } = signals();
  const server = Bun.serve({
    hostname: HOST,
    port: 0,
    // Bun closes connections idle for 10 s by default; off, so only the kernel can end this one.
    idleTimeout: 0,
    fetch(request) {
      request.signal.addEventListener("abort", () => end(codeOf(request.signal.reason)));
      accept();
      return new Response(silentBody());
    },
  });
  const port = server.port!;
  return {
    kind: "Bun.serve",
    handle: server,
    port,
    connectClient: () => client(port, accepted, REQUEST),
    ended,
    close: () => void server.stop(true),
  };
}

function bunListen(): Server {
  const { ended, end, accepted, accept } = signals();
  const listener = Bun.listen<undefined>({
    hostname: HOST,
    port: 0,
    socket: {
      open: () => accept(),
      data() {},
      // Bun reports a kernel error such as ETIMEDOUT to `close`, not to `error`.
      close: (_socket, error) => end(error === undefined ? "closed" : codeOf(error)),
      error: (_socket, error) => end(codeOf(error)),
      end: () => end("eof"),
    },
  });
  return {
    kind: "Bun.listen",
    handle: listener,
    port: listener.port,
    connectClient: () => client(listener.port, accepted),
    ended,
    close: () => listener.stop(true),
  };
}

async function nodeServer(): Promise<Server> {
  const { ended, end, accepted, accept } = signals();
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on("error", (error) => end(codeOf(error)));
    socket.on("end", () => end("eof"));
    socket.on("close", () => end("closed"));
    accept();
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    kind: "node:net server",
    handle: server,
    port,
    connectClient: () => client(port, accepted),
    ended,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

/** Starts a server of `kind` on 127.0.0.1, on a free port. */
export function listen(kind: ServerKind): Promise<Server> {
  switch (kind) {
    case "Deno.serve":
      return Promise.resolve(denoServe());
    case "Deno.listen":
      return Promise.resolve(denoListen());
    case "Bun.serve":
      return Promise.resolve(bunServe());
    case "Bun.listen":
      return Promise.resolve(bunListen());
    case "node:net server":
      return nodeServer();
  }
}
