/**
 * An oracle independent of sockopts: finds a socket's fd from /proc (the kernel's socket tables
 * and this process's fd links), using only node:fs, so tests can hand raw fds to the library and
 * check what it reports against what the kernel lists.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

function hexPort(address: string): number {
  return parseInt(address.split(":")[1], 16);
}

function inodes(table: string, match: (fields: string[]) => boolean): Set<string> {
  const found = new Set<string>();
  let text: string;
  try {
    text = readFileSync(table, "utf8");
  } catch {
    return found;
  }
  for (const line of text.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length > 9 && match(fields)) found.add(fields[9]);
  }
  return found;
}

function fdsOf(wanted: Set<string>): number[] {
  const fds: number[] = [];
  for (const name of readdirSync("/proc/self/fd")) {
    let link: string;
    try {
      link = readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue; // closed while listing (the directory's own fd)
    }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m && wanted.has(m[1])) fds.push(Number(name));
  }
  return fds.sort((a, b) => a - b);
}

function only(fds: number[], what: string): number {
  if (fds.length !== 1) throw new Error(`expected one fd for ${what}, found ${JSON.stringify(fds)}`);
  return fds[0];
}

/** The fd of this process's TCP socket with these local and remote ports (IPv4 or IPv6). */
export function tcpFd(localPort: number, remotePort: number): number {
  const match = (f: string[]) => hexPort(f[1]) === localPort && hexPort(f[2]) === remotePort;
  const wanted = new Set([...inodes("/proc/net/tcp", match), ...inodes("/proc/net/tcp6", match)]);
  return only(fdsOf(wanted), `TCP ${localPort} -> ${remotePort}`);
}

/** The fd of this process's TCP listener on this port. */
export function listenerFd(port: number): number {
  const match = (f: string[]) => hexPort(f[1]) === port && f[3] === "0A";
  const wanted = new Set([...inodes("/proc/net/tcp", match), ...inodes("/proc/net/tcp6", match)]);
  return only(fdsOf(wanted), `TCP listener on ${port}`);
}

/** The fd of this process's UDP socket bound to this port. */
export function udpFd(localPort: number): number {
  const match = (f: string[]) => hexPort(f[1]) === localPort;
  const wanted = new Set([...inodes("/proc/net/udp", match), ...inodes("/proc/net/udp6", match)]);
  return only(fdsOf(wanted), `UDP ${localPort}`);
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
  const byInode = new Map<string, string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[9] !== "0") byInode.set(f[9], `${hexPort(f[1])}:${hexPort(f[2])}`);
    }
  }
  const result = new Map<string, number>();
  for (const name of readdirSync("/proc/self/fd")) {
    let link: string;
    try {
      link = readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue;
    }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    const ports = m ? byInode.get(m[1]) : undefined;
    if (ports !== undefined) result.set(ports, Number(name));
  }
  return result;
}
