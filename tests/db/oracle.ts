/**
 * Which sockets a driver holds, found without sockopts' own listing: TCP connections from
 * /proc/net/tcp and this process's fd links, Unix-domain connections from `ss -x` (which names
 * each socket's peer), so a test can check what sockopts configured or reported against them.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** This process's socket fds by inode. */
function socketFds(): Map<string, number> {
  const byInode = new Map<string, number>();
  for (const name of readdirSync("/proc/self/fd")) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${name}`));
      if (m) byInode.set(m[1], Number(name));
    } catch { /* closed while listing */ }
  }
  return byInode;
}

/** `0100007F:1538` (little-endian IPv4, hex port) as `127.0.0.1` and 5432. */
function parseV4(field: string): { address: string; port: number } {
  const [hex, port] = field.split(":");
  const bytes = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16)).reverse();
  return { address: bytes.join("."), port: parseInt(port, 16) };
}

/** One TCP connection of this process. */
export interface HeldConnection {
  readonly fd: number;
  readonly localPort: number;
  /** /proc/net/tcp's state: 01 ESTABLISHED, 02 SYN_SENT, … (include/net/tcp_states.h). */
  readonly state: string;
}

/** This process's IPv4 TCP connections to `address:port`, in any state but TIME_WAIT (06). */
export function connectionsTo(address: string, port: number): HeldConnection[] {
  const fds = socketFds();
  const found: HeldConnection[] = [];
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const remote = parseV4(f[2]);
    const fd = fds.get(f[9]);
    if (fd === undefined || remote.address !== address || remote.port !== port || f[3] === "06") continue;
    found.push({ fd, localPort: parseV4(f[1]).port, state: f[3] });
  }
  return found.sort((a, b) => a.fd - b.fd);
}

/** This process's Unix-domain stream connections whose peer is bound to `path`: fd and inode. */
export function unixConnectionsTo(path: string): { fd: number; inode: string }[] {
  // ss -xH: netid state recv-q send-q local-path local-inode peer-path peer-inode
  const rows = execFileSync("ss", ["-xH"], { encoding: "utf8" }).split("\n")
    .map((line) => line.trim().split(/\s+/)).filter((f) => f.length >= 8 && f[0] === "u_str");
  const serverInodes = new Set(rows.filter((f) => f[4] === path).map((f) => f[5]));
  const clientInodes = new Set(rows.filter((f) => serverInodes.has(f[7])).map((f) => f[5]));
  const fds = socketFds();
  return [...clientInodes].flatMap((inode) => {
    const fd = fds.get(inode);
    return fd === undefined ? [] : [{ fd, inode }];
  });
}
