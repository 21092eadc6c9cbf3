/**
 * Scenario 1, dead peer: an idle connection whose every packet is then dropped. With keep-alive
 * { idle 1 s, interval 1 s, count 2 } the client's pending read fails after about 3 s; left
 * alone, the connection still looks open after 10 s (the kernel would wait 2 h 11 min).
 */
import { setKeepAlive } from "../../../mod.ts";
import { CLIENT_KINDS, type ClientKind, connect, echoServer } from "../connections.ts";
import { dropPort } from "../nft.ts";
import { type Observation, roundTrip, variant, watch } from "../observation.ts";
import { ssState } from "../ss_timer.ts";

export const DEAD_PEER_PROFILE = { idle: 1_000, interval: 1_000, count: 2 } as const;
export const DEAD_PEER_WATCH_MS = 10_000;

/** One connection of `kind`, cut off after it is configured (or not); ms counts from the cut. */
export function deadPeer(kind: ClientKind, library: boolean, watchMs = DEAD_PEER_WATCH_MS): Promise<Observation> {
  return variant(kind, library, async () => {
    const server = await echoServer();
    const client = await connect(kind, server.port);
    try {
      await roundTrip(client);
      if (library) setKeepAlive(client.handle, DEAD_PEER_PROFILE);
      await dropPort(server.port);
      const cut = performance.now();
      const { code, ms } = await watch(client.ended, cut, watchMs);
      // The kernel's verdict, read apart from the runtime: gone from its table, or still there.
      const stateAfter = await ssState(client.localPort, server.port);
      return { code, ms, facts: { stateAfter } };
    } finally {
      client.close();
      server.close();
    }
  });
}

/** Every client kind of this runtime, with sockopts and without. */
export function run(): Promise<Observation[]> {
  return Promise.all(CLIENT_KINDS.flatMap((kind) => [deadPeer(kind, true), deadPeer(kind, false)]));
}
