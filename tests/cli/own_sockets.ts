/**
 * What a target process sees of itself, independent of sockopts: every fd it holds (with the inode
 * behind it, from `/proc/self/fd`), and for each TCP socket its ends and state from
 * `/proc/self/net/tcp` and its keep-alive settings and user timeout from its own `getsockopt`
 * (tests/support/kernel.ts binds libc itself). The tests compare the command's output with this,
 * and this before and after the command, to see exactly what it changed.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { readIntOption } from "../support/kernel.ts";

const SOL_SOCKET = 1; // <asm-generic/socket.h>
const SO_KEEPALIVE = 9;
const IPPROTO_TCP = 6; // <netinet/in.h>
const TCP_KEEPIDLE = 4; // <netinet/tcp.h>
const TCP_KEEPINTVL = 5;
const TCP_KEEPCNT = 6;
const TCP_USER_TIMEOUT = 18;

/** A TCP socket as the process itself reads it; times in the kernel's units (s, and ms for the user timeout). */
export interface OwnSocket {
  readonly fd: number;
  readonly local: string;
  readonly remote: string | null;
  readonly state: string;
  readonly keepAlive: number;
  readonly idleSeconds: number;
  readonly intervalSeconds: number;
  readonly count: number;
  readonly userTimeoutMs: number;
}

/** Everything the process holds: each fd's link target, and its TCP sockets read from inside. */
export interface OwnView {
  readonly pid: number;
  /** fd -> what `/proc/self/fd/N` links to (`socket:[…]`, `pipe:[…]`, a path). */
  readonly fds: Record<string, string>;
  readonly tcp: OwnSocket[];
}

// <net/tcp_states.h>
const STATES = [
  "",
  "ESTABLISHED",
  "SYN_SENT",
  "SYN_RECV",
  "FIN_WAIT1",
  "FIN_WAIT2",
  "TIME_WAIT",
  "CLOSE",
  "CLOSE_WAIT",
  "LAST_ACK",
  "LISTEN",
  "CLOSING",
];

// "0100007F:1F90" (IPv4, the address's bytes in host order) -> "127.0.0.1:8080".
function endpoint(hex: string): string {
  const [address, port] = hex.split(":");
  const ip = address.length === 8
    ? [3, 2, 1, 0].map((i) => parseInt(address.slice(i * 2, i * 2 + 2), 16)).join(".")
    : `[${address}]`;
  return `${ip}:${parseInt(port, 16)}`;
}

/** The TCP table of this process's network namespace, by inode. */
function tcpTable(): Map<string, { local: string; remote: string; state: string }> {
  const table = new Map<string, { local: string; remote: string; state: string }>();
  for (const file of ["/proc/self/net/tcp", "/proc/self/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      table.set(f[9], { local: endpoint(f[1]), remote: endpoint(f[2]), state: STATES[parseInt(f[3], 16)] });
    }
  }
  return table;
}

/** This process as it sees itself. */
export function ownView(): OwnView {
  const fds: Record<string, string> = {};
  const tcp: OwnSocket[] = [];
  const table = tcpTable();
  for (const name of readdirSync("/proc/self/fd")) {
    let link: string;
    try {
      link = readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue; // the directory's own fd, closed by now
    }
    fds[name] = link;
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
    const row = inode === undefined ? undefined : table.get(inode);
    if (row === undefined) continue;
    const fd = Number(name);
    tcp.push({
      fd,
      local: row.local,
      remote: row.state === "LISTEN" ? null : row.remote,
      state: row.state,
      keepAlive: readIntOption(fd, SOL_SOCKET, SO_KEEPALIVE),
      idleSeconds: readIntOption(fd, IPPROTO_TCP, TCP_KEEPIDLE),
      intervalSeconds: readIntOption(fd, IPPROTO_TCP, TCP_KEEPINTVL),
      count: readIntOption(fd, IPPROTO_TCP, TCP_KEEPCNT),
      userTimeoutMs: readIntOption(fd, IPPROTO_TCP, TCP_USER_TIMEOUT),
    });
  }
  tcp.sort((a, b) => a.fd - b.fd);
  return { pid: Number(readlinkSync("/proc/self")), fds, tcp };
}
