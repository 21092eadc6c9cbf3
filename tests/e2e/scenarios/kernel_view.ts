/**
 * Scenario 5, the kernel's view: `ss -tno` shows the keep-alive timer sockopts configured. Right
 * after setKeepAlive it counts down from the idle time; once packets are dropped and probes go
 * unanswered, it counts down from the interval, with the probes sent in its last field.
 */
import { setKeepAlive } from "../../../mod.ts";
import { CLIENT_KINDS, type ClientKind, connect, echoServer } from "../connections.ts";
import { dropPort } from "../nft.ts";
import { type Observation, roundTrip, sleep, variant } from "../observation.ts";
import { ssConnection, type SsTimer } from "../ss_timer.ts";

// Values no runtime or kernel default uses (Linux 7200 s / 75 s, Bun 1 s interval).
export const VIEW_PROFILE = { idle: 3_000, interval: 2_000, count: 5 } as const;
const SAMPLE_EVERY_MS = 100;
const SAMPLE_FOR_MS = 9_000;

/**
 * A timer as sampled, `atMs` after keep-alive was set; for a probe, `sentAtMs` is when it went
 * out, worked back from the time left on the interval timer it started, so that sampling's own
 * delays do not count.
 */
export interface TimerSample extends SsTimer {
  readonly atMs: number;
  readonly sentAtMs?: number;
}

function kernelView(kind: ClientKind, library: boolean): Promise<Observation> {
  return variant(kind, library, async () => {
    const server = await echoServer();
    const client = await connect(kind, server.port);
    try {
      await roundTrip(client);
      const set = performance.now();
      if (library) setKeepAlive(client.handle, VIEW_PROFILE);
      const first = await ssConnection(client.localPort, server.port);
      const initial: TimerSample | null = first.timer
        ? { ...first.timer, atMs: Math.round(performance.now() - set) }
        : null;
      if (!library) return { code: null, ms: 0, facts: { line: first.line, initial } };
      // Unanswered probes: the timer then restarts from the interval and counts the probes.
      await dropPort(server.port);
      const firstWithProbes: Record<number, TimerSample> = {};
      while (performance.now() - set < SAMPLE_FOR_MS && firstWithProbes[2] === undefined) {
        await sleep(SAMPLE_EVERY_MS);
        const { timer } = await ssConnection(client.localPort, server.port);
        if (timer?.name === "keepalive" && timer.count > 0 && firstWithProbes[timer.count] === undefined) {
          const atMs = Math.round(performance.now() - set);
          const sentAtMs = atMs - (VIEW_PROFILE.interval - timer.remainingMs);
          firstWithProbes[timer.count] = { ...timer, atMs, sentAtMs };
        }
      }
      return {
        code: null,
        ms: Math.round(performance.now() - set),
        facts: { line: first.line, initial, probe1: firstWithProbes[1] ?? null, probe2: firstWithProbes[2] ?? null },
      };
    } finally {
      client.close();
      server.close();
    }
  });
}

/** Every client kind of this runtime, with sockopts and without. */
export function run(): Promise<Observation[]> {
  return Promise.all(CLIENT_KINDS.flatMap((kind) => [kernelView(kind, true), kernelView(kind, false)]));
}
