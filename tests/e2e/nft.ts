/**
 * nftables rulesets for the scenarios, loaded only inside a private network namespace.
 *
 * Packets are dropped on the input hook: the sender's kernel has handed them to loopback and
 * counts them as in flight, as if a cable had been cut or a peer had vanished, rather than
 * failing the send locally as an output-hook drop would.
 */
import { execFile } from "node:child_process";
import { assertPrivateNamespace } from "./namespace.ts";

/** Loads a ruleset (`nft -f -`) into this namespace. */
export function nft(ruleset: string): Promise<void> {
  assertPrivateNamespace();
  return new Promise((resolve, reject) => {
    const child = execFile("nft", ["-f", "-"], (error, _stdout, stderr) => {
      if (error) reject(new Error(`nft failed: ${stderr || error.message}\n${ruleset}`));
      else resolve();
    });
    child.stdin!.end(ruleset);
  });
}

/**
 * Drops every packet to or from `port` on this namespace's loopback: with the server's port, both
 * directions of every connection to that server. Each call adds its own table.
 */
export function dropPort(port: number): Promise<void> {
  return nft(`
table inet drop_${port} {
  chain input {
    type filter hook input priority filter; policy accept;
    tcp sport ${port} counter drop
    tcp dport ${port} counter drop
  }
}
`);
}

/**
 * A connection-tracking firewall, as a NAT gateway or stateful firewall behaves: packets of
 * tracked flows pass, a flow is forgotten after `establishedSeconds` without packets, and a packet
 * that belongs to no tracked flow is dropped (only a SYN may start one).
 *
 * The timeout is an nftables `ct timeout` object, so it applies to flows made here and nowhere
 * else. The kernel attaches it only to an entry conntrack has just made and not yet confirmed:
 * on the output hook after conntrack (priority filter), not at raw priority, where the rule
 * loads but silently does nothing. Loopback packets keep the conntrack entry they got on output,
 * so the input chain sees its state.
 */
export function conntrackFirewall(establishedSeconds: number): Promise<void> {
  return nft(`
table inet firewall {
  ct timeout short_established {
    protocol tcp
    l3proto ip
    policy = { established: ${establishedSeconds} }
  }
  chain assign_timeout {
    type filter hook output priority filter; policy accept;
    ct timeout set "short_established"
  }
  chain input {
    type filter hook input priority filter; policy drop;
    ct state established accept
    ct state new tcp flags & (fin | syn | rst | ack) == syn accept
    counter comment "no tracked flow"
  }
}
`);
}
