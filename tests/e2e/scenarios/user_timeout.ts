/**
 * Scenario 2, user timeout: data is written to a connection whose packets are all dropped, so it
 * stays unacknowledged and the kernel retransmits it. With setUserTimeout(2000) the connection
 * fails about 2 s after the write; left alone, it retransmits for ~15 min (tcp_retries2) and is
 * still open after 10 s.
 */
import { setUserTimeout } from "../../../mod.ts";
import { CLIENT_KINDS, type ClientKind, connect, echoServer } from "../connections.ts";
import { dropPort } from "../nft.ts";
import { type Observation, roundTrip, sleep, variant, watch } from "../observation.ts";
import { ssConnection } from "../ss_timer.ts";

export const USER_TIMEOUT_MS = 2_000;
const WATCH_MS = 10_000;

function userTimeout(kind: ClientKind, library: boolean): Promise<Observation> {
  return variant(kind, library, async () => {
    const server = await echoServer();
    const client = await connect(kind, server.port);
    try {
      await roundTrip(client);
      if (library) setUserTimeout(client.handle, USER_TIMEOUT_MS);
      await dropPort(server.port);
      const written = performance.now();
      client.write("x".repeat(1_000));
      // The kernel's view half a second in: the retransmission timer ("on") runs, so the data
      // did leave the socket and is waiting for an ACK.
      await sleep(500);
      const { timer } = await ssConnection(client.localPort, server.port).catch(() => ({ timer: undefined }));
      const { code, ms } = await watch(client.ended, written, WATCH_MS);
      return { code, ms, facts: { timerAfter500ms: timer ?? null } };
    } finally {
      client.close();
      server.close();
    }
  });
}

/** Every client kind of this runtime, with sockopts and without. */
export function run(): Promise<Observation[]> {
  return Promise.all(CLIENT_KINDS.flatMap((kind) => [userTimeout(kind, true), userTimeout(kind, false)]));
}
