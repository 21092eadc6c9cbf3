/**
 * An oracle independent of sockopts: iproute2's `ss`, which reads the same kernel state through
 * netlink (inet_diag) instead of getsockopt, for one TCP socket picked by its ports.
 */
import { execFileSync, spawnSync } from "node:child_process";

/** Why `ss` tests are skipped, or `false` when `ss` is on PATH. */
export const ssMissing: string | false = spawnSync("ss", ["-V"]).status === 0 ? false : "ss (iproute2) is not on PATH";

/** One socket as `ss -tnie` shows it. */
export interface SsSocket {
  /** ss's state name: `ESTAB`, `LISTEN`, `CLOSE-WAIT`, … */
  readonly state: string;
  /** Every `key:value` token ss printed (`rto` → `"200"`, `rtt` → `"0.02/0.01"`, `sk` → the cookie in hex). */
  readonly fields: ReadonlyMap<string, string>;
  /** ss's own output, for assertion messages. */
  readonly text: string;
}

/** ss's state names mapped to the RFC 793 names sockopts reports. */
export const SS_STATES: Readonly<Record<string, string>> = {
  "ESTAB": "ESTABLISHED",
  "SYN-SENT": "SYN_SENT",
  "SYN-RECV": "SYN_RECEIVED",
  "FIN-WAIT-1": "FIN_WAIT_1",
  "FIN-WAIT-2": "FIN_WAIT_2",
  "TIME-WAIT": "TIME_WAIT",
  "UNCONN": "CLOSED",
  "CLOSE-WAIT": "CLOSE_WAIT",
  "LAST-ACK": "LAST_ACK",
  "LISTEN": "LISTEN",
  "CLOSING": "CLOSING",
};

function run(filter: string): SsSocket[] {
  const text = execFileSync("ss", ["-tnieH", "state", "all", filter], { encoding: "utf8" });
  const sockets: SsSocket[] = [];
  let current: { state: string; fields: Map<string, string>; text: string } | undefined;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const tokens = line.trim().split(/\s+/);
    if (!/^\s/.test(line)) {
      current = { state: tokens[0], fields: new Map(), text: line };
      sockets.push(current);
      tokens.splice(0, 5); // state, Recv-Q, Send-Q, local, peer
    } else if (current !== undefined) {
      current.text += `\n${line}`;
    }
    for (const token of tokens) {
      const colon = token.indexOf(":");
      if (colon > 0 && current !== undefined) current.fields.set(token.slice(0, colon), token.slice(colon + 1));
    }
  }
  return sockets;
}

/** The TCP connection with these local and remote ports, as ss reports it (TIME-WAIT leftovers skipped). */
export function ssConnection(localPort: number, remotePort: number): SsSocket {
  const found = run(`( sport = :${localPort} and dport = :${remotePort} )`).filter((s) => s.state !== "TIME-WAIT");
  if (found.length !== 1) {
    throw new Error(`expected one ss entry for ${localPort} -> ${remotePort}, got ${found.length}`);
  }
  return found[0];
}

/** The TCP listener on this port, as ss reports it. */
export function ssListener(port: number): SsSocket {
  const found = run(`( sport = :${port} )`).filter((s) => s.state === "LISTEN");
  if (found.length !== 1) throw new Error(`expected one ss listener on ${port}, got ${found.length}`);
  return found[0];
}
