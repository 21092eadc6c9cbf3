/**
 * What the Linux kernel holds for a Wine process's socket, served over loopback HTTP to the
 * Windows tests (tests/windows/): Winsock's own answers could be Wine's bookkeeping, so those
 * tests ask this server, which runs on Linux as root beside Wine (scripts/test_windows.ts), to
 * borrow the very socket from the Wine process (pidfd_getfd) and read it with the library.
 *
 * `GET /socket?local=PORT&remote=PORT` (remote 0: the listener on 127.0.0.1:PORT) answers
 * {@link KernelView} as JSON, or 404 when no process holds such a socket.
 *
 * @module
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { getKeepAlive, getOption, getUserTimeout, type KeepAliveSettings, type Linger } from "../../mod.ts";
import { borrowFd, closeFd, socketHolders } from "./pidfd.ts";

/** One socket as the Linux kernel holds it. */
export interface KernelView {
  /** The Linux processes holding it (the Windows program, and maybe wineserver). */
  readonly holders: readonly string[];
  readonly keepAlive: KeepAliveSettings;
  readonly userTimeout: number;
  readonly nodelay: boolean;
  readonly rcvbuf: number;
  readonly sndbuf: number;
  readonly linger: Linger;
  readonly reuseaddr: boolean;
}

/** Reads the socket with these ports from whichever Linux process holds it; null when none does. */
export function kernelView(localPort: number, remotePort: number): KernelView | null {
  const holders = socketHolders(localPort, remotePort);
  if (holders.length === 0) return null;
  const fd = borrowFd(holders[0].pid, holders[0].fd);
  try {
    return {
      holders: holders.map((holder) => holder.comm),
      keepAlive: getKeepAlive(fd),
      userTimeout: getUserTimeout(fd),
      nodelay: getOption(fd, "TCP_NODELAY"),
      rcvbuf: getOption(fd, "SO_RCVBUF"),
      sndbuf: getOption(fd, "SO_SNDBUF"),
      linger: getOption(fd, "SO_LINGER"),
      reuseaddr: getOption(fd, "SO_REUSEADDR"),
    };
  } finally {
    closeFd(fd);
  }
}

/**
 * Starts the server on 127.0.0.1 (a free port).
 * @returns The server and its port; close the server when done.
 */
export async function startKernelOracle(): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const local = Number(url.searchParams.get("local"));
    const remote = Number(url.searchParams.get("remote"));
    let status = 200;
    let body: unknown;
    try {
      body = url.pathname === "/socket" ? kernelView(local, remote) : { error: `unknown path ${url.pathname}` };
      if (body === null) [status, body] = [404, { error: `no process holds 127.0.0.1:${local} -> ${remote}` }];
    } catch (error) {
      [status, body] = [500, { error: String(error) }];
    }
    response.writeHead(status, { "content-type": "application/json", connection: "close" });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port };
}
