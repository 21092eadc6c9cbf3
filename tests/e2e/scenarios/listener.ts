/**
 * Scenario 4, listener inheritance: keep-alive is set once, on the server's listening socket,
 * before any client connects. The connection the server accepts inherits it (Linux), so when the
 * client then vanishes the server notices in about 3 s; the control server, configured by nobody,
 * still holds the connection after 10 s.
 */
import { setKeepAlive } from "../../../mod.ts";
import { dropPort } from "../nft.ts";
import { type Observation, variant, watch } from "../observation.ts";
import { listen, SERVER_KINDS, type ServerKind } from "../servers.ts";
import { ssConnection, ssState } from "../ss_timer.ts";
import { DEAD_PEER_PROFILE } from "./dead_peer.ts";

const WATCH_MS = 10_000;

function listenerInheritance(kind: ServerKind, library: boolean): Promise<Observation> {
  return variant(kind, library, async () => {
    const server = await listen(kind);
    try {
      if (library) setKeepAlive(server.handle, DEAD_PEER_PROFILE);
      const client = await server.connectClient();
      // The accepted socket as the kernel lists it: its keep-alive timer came from the listener.
      const { timer } = await ssConnection(server.port, client.localPort!);
      await dropPort(server.port);
      const cut = performance.now();
      const { code, ms } = await watch(server.ended, cut, WATCH_MS);
      // Apart from what the runtime reported: is the accepted connection still in the kernel's table?
      const acceptedStateAfter = await ssState(server.port, client.localPort!);
      client.destroy();
      return { code, ms, facts: { acceptedTimer: timer ?? null, acceptedStateAfter } };
    } finally {
      server.close();
    }
  });
}

/** Every server kind of this runtime, configured through its listener and not. */
export function run(): Promise<Observation[]> {
  return Promise.all(
    SERVER_KINDS.flatMap((kind) => [listenerInheritance(kind, true), listenerInheritance(kind, false)]),
  );
}
