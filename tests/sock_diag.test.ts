/**
 * The sock_diag dump behind tcpSockets(), configureSockets() and every policy tick: one walk of the
 * kernel's TCP tables for IPv4 and IPv6 together (TCPDIAG_GETSOCK), and the per-family dumps it
 * falls back to, each checked against /proc (tests/support/proc.ts).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { tcpSockets } from "../mod.ts";
import { sockDiagAvailable } from "../src/sys/sock_diag.ts";
import { dumpWay, usePerFamilyDumps } from "../src/sys/tcp_dump.ts";
import { listenerFd, tcpFd } from "./support/proc.ts";
import { type TcpPair, tcpPair } from "./support/net.ts";

const noDiag: string | false = sockDiagAvailable() ? false : "no NETLINK_SOCK_DIAG on this host";

/** What tcpSockets() says of one pair's three sockets, as `fd local remote state` lines. */
function rowsOf(pair: TcpPair): string[] {
  const ports = new Set([pair.port, pair.clientPort]);
  return tcpSockets()
    .filter((s) => ports.has(s.local.port))
    .map((s) => `${s.fd} ${s.localText} ${s.remoteText} ${s.stateName}`)
    .sort();
}

/** The same three sockets as /proc lists them. */
function truthOf(pair: TcpPair, host: string): string[] {
  const at = (port: number) => host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  return [
    `${listenerFd(pair.port)} ${at(pair.port)} - LISTEN`,
    `${tcpFd(pair.clientPort, pair.port)} ${at(pair.clientPort)} ${at(pair.port)} ESTABLISHED`,
    `${tcpFd(pair.port, pair.clientPort)} ${at(pair.port)} ${at(pair.clientPort)} ESTABLISHED`,
  ].sort();
}

describe("the sock_diag dump", { skip: noDiag }, () => {
  let v4: TcpPair;
  let v6: TcpPair | undefined;

  before(async () => {
    v4 = await tcpPair("127.0.0.1");
    try {
      v6 = await tcpPair("::1");
    } catch {
      console.log("!!! sock_diag: no IPv6 loopback here; the IPv6 half of the dump is not checked !!!");
    }
  });

  after(async () => {
    usePerFamilyDumps(false);
    await v4.close();
    await v6?.close();
  });

  it("lists IPv4 and IPv6 sockets in one walk of the kernel's tables", () => {
    usePerFamilyDumps(false);
    assert.deepEqual(rowsOf(v4), truthOf(v4, "127.0.0.1"));
    if (v6 !== undefined) assert.deepEqual(rowsOf(v6), truthOf(v6, "::1"));
    assert.equal(dumpWay(), "one walk");
  });

  it("lists the same sockets once per family where the kernel refuses the one-walk request", () => {
    usePerFamilyDumps(true);
    try {
      assert.deepEqual(rowsOf(v4), truthOf(v4, "127.0.0.1"));
      if (v6 !== undefined) assert.deepEqual(rowsOf(v6), truthOf(v6, "::1"));
      assert.equal(dumpWay(), "per family");
    } finally {
      usePerFamilyDumps(false);
    }
  });
});
