/**
 * What the kernel says an fd is, read from /proc with node:fs only, so a benchmark can check it
 * is timing the intended connection without trusting the code it times. Linux only.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** A TCP socket's ports and state as /proc/net/tcp{,6} lists it. */
export interface TcpEndpoints {
  readonly localPort: number;
  readonly remotePort: number;
  /** The kernel's state number: 1 is ESTABLISHED, 10 is LISTEN. */
  readonly state: number;
}

const ESTABLISHED = 1;

function socketInode(fd: number): string | undefined {
  try {
    return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1];
  } catch {
    return undefined;
  }
}

function tcpTable(): Map<string, TcpEndpoints> {
  const byInode = new Map<string, TcpEndpoints>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length <= 9) continue;
      byInode.set(f[9], {
        localPort: parseInt(f[1].split(":")[1], 16),
        remotePort: parseInt(f[2].split(":")[1], 16),
        state: parseInt(f[3], 16),
      });
    }
  }
  return byInode;
}

/** The TCP endpoints of `fd`, or `undefined` when it is not an open TCP socket. */
export function tcpEndpoints(fd: number): TcpEndpoints | undefined {
  const inode = socketInode(fd);
  return inode === undefined ? undefined : tcpTable().get(inode);
}

/** The fd of this process's established TCP connection between these ports. */
export function fdOfConnection(localPort: number, remotePort: number): number {
  const table = tcpTable();
  const found: number[] = [];
  for (const name of readdirSync("/proc/self/fd")) {
    const inode = socketInode(Number(name));
    const ends = inode === undefined ? undefined : table.get(inode);
    if (ends?.localPort === localPort && ends.remotePort === remotePort) found.push(Number(name));
  }
  if (found.length !== 1) {
    throw new Error(`expected one fd for TCP ${localPort} -> ${remotePort}, found ${JSON.stringify(found)}`);
  }
  return found[0];
}

/** Throws unless `fd` is, right now, the established TCP connection `localPort -> remotePort`. */
export function assertConnection(fd: number, localPort: number, remotePort: number, what: string): void {
  const ends = tcpEndpoints(fd);
  if (ends?.localPort !== localPort || ends.remotePort !== remotePort || ends.state !== ESTABLISHED) {
    throw new Error(
      `${what}: fd ${fd} is not the established connection ${localPort} -> ${remotePort} (kernel: ${
        JSON.stringify(ends)
      })`,
    );
  }
}
