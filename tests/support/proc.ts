/**
 * An oracle independent of sockopts: finds a socket's fd from /proc (the kernel's socket tables
 * and this process's fd links), using only node:fs, so tests can hand raw fds to the library and
 * check what it reports against what the kernel lists.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

const TCP = ["/proc/net/tcp", "/proc/net/tcp6"];

function hexPort(address: string): number {
  return parseInt(address.split(":")[1], 16);
}

/** The rows of /proc/net tables (header dropped), each split into its fields. */
function rows(...tables: string[]): string[][] {
  const found: string[][] = [];
  for (const table of tables) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue; // no IPv6, say
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length > 9) found.push(fields);
    }
  }
  return found;
}

function inodes(tables: string[], match: (fields: string[]) => boolean): Set<string> {
  return new Set(rows(...tables).filter(match).map((fields) => fields[9]));
}

/** This process's socket fds by the inode their /proc/self/fd link names. */
function socketFds(): Map<string, number> {
  const byInode = new Map<string, number>();
  for (const name of readdirSync("/proc/self/fd")) {
    let link: string;
    try {
      link = readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue; // closed while listing (the directory's own fd)
    }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m) byInode.set(m[1], Number(name));
  }
  return byInode;
}

function fdsOf(wanted: Set<string>): number[] {
  const fds: number[] = [];
  for (const [inode, fd] of socketFds()) if (wanted.has(inode)) fds.push(fd);
  return fds.sort((a, b) => a - b);
}

function only(fds: number[], what: string): number {
  if (fds.length !== 1) throw new Error(`expected one fd for ${what}, found ${JSON.stringify(fds)}`);
  return fds[0];
}

/** The fd of this process's TCP socket with these local and remote ports (IPv4 or IPv6). */
export function tcpFd(localPort: number, remotePort: number): number {
  const match = (f: string[]) => hexPort(f[1]) === localPort && hexPort(f[2]) === remotePort;
  return only(fdsOf(inodes(TCP, match)), `TCP ${localPort} -> ${remotePort}`);
}

/** The fd of this process's TCP listener on this port. */
export function listenerFd(port: number): number {
  const match = (f: string[]) => hexPort(f[1]) === port && f[3] === "0A";
  return only(fdsOf(inodes(TCP, match)), `TCP listener on ${port}`);
}

/** The fd of this process's UDP socket bound to this port. */
export function udpFd(localPort: number): number {
  const match = (f: string[]) => hexPort(f[1]) === localPort;
  return only(fdsOf(inodes(["/proc/net/udp", "/proc/net/udp6"], match)), `UDP ${localPort}`);
}

/** The fd of this process's Unix-domain socket bound to this path. */
export function unixFd(path: string): number {
  const wanted = new Set<string>();
  for (const line of readFileSync("/proc/net/unix", "utf8").split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[7] === path) wanted.add(fields[6]);
  }
  return only(fdsOf(wanted), `Unix socket ${path}`);
}

/** The kernel's keep-alive defaults, in ms and probes. */
export function keepAliveDefaults(): { idle: number; interval: number; count: number } {
  const read = (name: string) => Number(readFileSync(`/proc/sys/net/ipv4/tcp_keepalive_${name}`, "utf8").trim());
  return { idle: read("time") * 1000, interval: read("intvl") * 1000, count: read("probes") };
}

/** Every TCP connection of this process as `"localPort:remotePort"` -> fd, read in one pass. */
export function tcpFds(): Map<string, number> {
  const fds = socketFds();
  const result = new Map<string, number>();
  for (const f of rows(...TCP)) {
    const fd = fds.get(f[9]);
    if (fd !== undefined) result.set(`${hexPort(f[1])}:${hexPort(f[2])}`, fd);
  }
  return result;
}
