/** Real loopback sockets, made with node:net and node:dgram so the same code runs on both runtimes. */
import dgram from "node:dgram";
import net from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listenerFd, tcpFd, udpFd, unixFd } from "./proc.ts";

/** A connected loopback TCP pair and both ends' fds. */
export interface TcpPair {
  readonly client: net.Socket;
  readonly accepted: net.Socket;
  readonly server: net.Server;
  /** The server's port. */
  readonly port: number;
  /** The client's local port. */
  readonly clientPort: number;
  readonly clientFd: number;
  readonly acceptedFd: number;
  readonly listenerFd: number;
  close(): Promise<void>;
}

/** Connects to `port` on loopback and resolves once connected. */
export async function connectTcp(port: number, host = "127.0.0.1", allowHalfOpen = false): Promise<net.Socket> {
  const socket = net.connect({ port, host, allowHalfOpen });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return socket;
}

/**
 * Opens a loopback TCP connection to a fresh server. With `allowHalfOpen`, each side stays open
 * after the other's FIN, for tests that need CLOSE_WAIT and FIN_WAIT_2.
 */
export async function tcpPair(host = "127.0.0.1", allowHalfOpen = false): Promise<TcpPair> {
  const server = net.createServer({ allowHalfOpen });
  const acceptedP = new Promise<net.Socket>((resolve) => server.once("connection", resolve));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as net.AddressInfo).port;
  const client = await connectTcp(port, host, allowHalfOpen);
  const accepted = await acceptedP;
  const clientPort = client.localPort!;
  return {
    client,
    accepted,
    server,
    port,
    clientPort,
    clientFd: tcpFd(clientPort, port),
    acceptedFd: tcpFd(port, clientPort),
    listenerFd: listenerFd(port),
    async close() {
      client.destroy();
      accepted.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A bound UDP socket and its fd. */
export async function udpSocket(): Promise<{ fd: number; close(): Promise<void> }> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return {
    fd: udpFd(socket.address().port),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** A listening Unix-domain stream socket and its fd. */
export async function unixListener(): Promise<{ fd: number; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "sockopts-"));
  const path = join(dir, "s.sock");
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    fd: unixFd(path),
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A loopback server for tests that need something to connect to. */
export interface Peer {
  readonly port: number;
  /** Destroys every socket it accepted that is still open, then closes the server. */
  close(): Promise<void>;
}

/**
 * Listens on a loopback port with `server` (node:net's by default) and hands each accepted
 * socket, its errors swallowed, to `onSocket`, which by default closes its side once the client
 * has closed its own.
 */
export async function peerServer(
  onSocket: (socket: net.Socket) => void = (socket) => socket.on("end", () => socket.destroy()),
  server: net.Server = net.createServer(),
  event: "connection" | "secureConnection" = "connection",
): Promise<Peer> {
  const sockets = new Set<net.Socket>();
  server.on(event, (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
