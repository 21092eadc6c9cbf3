/**
 * Client connections of each kind a scenario configures (Deno.Conn, Bun socket, node:net), behind
 * one shape, with a read always pending so that the moment the kernel fails the connection shows
 * up as an ending with its error code; and the echo server they connect to.
 */
/// <reference types="npm:@types/bun@1.4.4" />
import net from "node:net";
import type { SocketHandle } from "../../mod.ts";
import { isBun, isDeno } from "../support/runtime.ts";
import { codeOf, type Ending, endingSignal } from "./ending.ts";

/** A client handle kind. */
export type ClientKind = "Deno.Conn" | "Bun socket" | "node:net";

/** The client kinds this runtime has: its own, and node:net. */
export const CLIENT_KINDS: readonly ClientKind[] = isBun
  ? ["Bun socket", "node:net"]
  : isDeno
  ? ["Deno.Conn", "node:net"]
  : ["node:net"];

/** A connected client, whichever kind. */
export interface Client {
  readonly kind: ClientKind;
  /** What the scenario hands to sockopts. */
  readonly handle: SocketHandle;
  readonly localPort: number;
  readonly remotePort: number;
  /** Settles when the pending read fails or the connection ends. Never rejects. */
  readonly ended: Promise<Ending>;
  write(text: string): void;
  /** The data received next (or already waiting), or undefined after `ms`. */
  nextData(ms: number): Promise<string | undefined>;
  close(): void;
}

/** Received data, and whoever waits for it. */
class Inbox {
  private buffered = "";
  private waiter: (() => void) | undefined;

  push(text: string): void {
    this.buffered += text;
    this.waiter?.();
  }

  next(ms: number): Promise<string | undefined> {
    const take = () => {
      const text = this.buffered;
      this.buffered = "";
      return text;
    };
    if (this.buffered !== "") return Promise.resolve(take());
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, ms);
      this.waiter = () => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(take());
      };
    });
  }
}

async function denoConn(port: number): Promise<Client> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const inbox = new Inbox();
  const { ended, end } = endingSignal();
  const decoder = new TextDecoder();
  (async () => {
    const buffer = new Uint8Array(4096);
    try {
      for (;;) {
        const n = await conn.read(buffer);
        if (n === null) return end("eof");
        inbox.push(decoder.decode(buffer.subarray(0, n)));
      }
    } catch (error) {
      end(codeOf(error));
    }
  })();
  return {
    kind: "Deno.Conn",
    handle: conn,
    localPort: (conn.localAddr as Deno.NetAddr).port,
    remotePort: port,
    ended,
    write: (text) => void conn.write(new TextEncoder().encode(text)).catch(() => {}),
    nextData: (ms) => inbox.next(ms),
    close: () => {
      try {
        conn.close();
      } catch { /* already closed by the kernel's verdict */ }
    },
  };
}

async function bunSocket(port: number): Promise<Client> {
  const inbox = new Inbox();
  const { ended, end } = endingSignal();
  const socket = await Bun.connect<undefined>({
    hostname: "127.0.0.1",
    port,
    socket: {
      data: (_socket, data) => inbox.push(data.toString()),
      // Bun reports a kernel error such as ETIMEDOUT to `close`, not to `error`.
      close: (_socket, error) => end(error === undefined ? "closed" : codeOf(error)),
      error: (_socket, error) => end(codeOf(error)),
      end: () => end("eof"),
    },
  });
  return {
    kind: "Bun socket",
    handle: socket,
    localPort: socket.localPort,
    remotePort: port,
    ended,
    write: (text) => void socket.write(text),
    nextData: (ms) => inbox.next(ms),
    close: () => socket.end(),
  };
}

async function nodeSocket(port: number): Promise<Client> {
  const socket = net.connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const inbox = new Inbox();
  const { ended, end } = endingSignal();
  socket.setEncoding("utf8");
  socket.on("data", (text: string) => inbox.push(text));
  socket.on("error", (error) => end(codeOf(error)));
  socket.on("end", () => end("eof"));
  socket.on("close", () => end("closed"));
  return {
    kind: "node:net",
    handle: socket,
    localPort: socket.localPort!,
    remotePort: port,
    ended,
    write: (text) => void socket.write(text),
    nextData: (ms) => inbox.next(ms),
    close: () => socket.destroy(),
  };
}

/** Connects a client of `kind` to 127.0.0.1:`port`. */
export function connect(kind: ClientKind, port: number): Promise<Client> {
  switch (kind) {
    case "Deno.Conn":
      return denoConn(port);
    case "Bun socket":
      return bunSocket(port);
    case "node:net":
      return nodeSocket(port);
  }
}

/** A node:net server on loopback that echoes what it receives and remembers it per client port. */
export interface EchoServer {
  readonly port: number;
  /** Everything received from the client whose port is `clientPort`. */
  received(clientPort: number): string;
  close(): void;
}

/** Starts an {@link EchoServer}. Its sockets are left as the kernel made them: no keep-alive. */
export async function echoServer(): Promise<EchoServer> {
  const received = new Map<number, string>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const port = socket.remotePort!;
    socket.setEncoding("utf8");
    socket.on("data", (text: string) => {
      received.set(port, (received.get(port) ?? "") + text);
      socket.write(text);
    });
    // The scenarios kill these connections on purpose.
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    received: (clientPort) => received.get(clientPort) ?? "",
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
