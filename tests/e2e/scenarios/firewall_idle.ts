/**
 * Scenario 3, NAT / firewall idle timeout: a connection-tracking firewall forgets a TCP flow after
 * 4 s without packets and drops whatever belongs to no flow it knows. After 15 s idle, a
 * connection probing every second still carries data; one left alone is dead: what it sends
 * never arrives.
 */
import { setKeepAlive } from "../../../mod.ts";
import { CLIENT_KINDS, type ClientKind, connect, echoServer } from "../connections.ts";
import { conntrackFirewall } from "../nft.ts";
import { type Observation, roundTrip, sleep, variant } from "../observation.ts";

export const FIREWALL_TIMEOUT_S = 4;
export const IDLE_MS = 15_000;
const PROFILE = { idle: 1_000, interval: 1_000, count: 5 };
// Long enough for a lost segment's first retransmissions (0.2 s, 0.6 s, 1.4 s) to be lost too.
const REPLY_WAIT_MS = 3_000;

function firewallIdle(kind: ClientKind, library: boolean): Promise<Observation> {
  return variant(kind, library, async () => {
    const server = await echoServer();
    const client = await connect(kind, server.port);
    try {
      await roundTrip(client);
      if (library) setKeepAlive(client.handle, PROFILE);
      await sleep(IDLE_MS);
      const sent = performance.now();
      client.write("after idle");
      const echo = await client.nextData(REPLY_WAIT_MS);
      const ms = Math.round(performance.now() - sent);
      return {
        code: null,
        ms,
        facts: {
          echoed: echo ?? null,
          serverReceived: server.received(client.localPort),
        },
      };
    } finally {
      client.close();
      server.close();
    }
  });
}

/** Installs the firewall, then every client kind of this runtime, with sockopts and without. */
export async function run(): Promise<Observation[]> {
  await conntrackFirewall(FIREWALL_TIMEOUT_S);
  return Promise.all(CLIENT_KINDS.flatMap((kind) => [firewallIdle(kind, true), firewallIdle(kind, false)]));
}
