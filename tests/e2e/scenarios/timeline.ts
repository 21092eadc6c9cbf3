/**
 * The README's picture, measured: an idle connection whose peer dies, once with a sockopts
 * keep-alive profile and once with keep-alive on at the kernel's default timers. `ss -tno` is
 * sampled from the moment the peer dies, so each probe's send time comes from the kernel's own
 * timer, and the pending read's failure from the runtime. scripts/timeline.ts draws docs/timeline.svg
 * from what this reports; tests/timeline.test.ts compares a fresh run with the committed one.
 */
import { readFileSync } from "node:fs";
import { setKeepAlive } from "../../../mod.ts";
import { CLIENT_KINDS, type ClientKind, connect, echoServer } from "../connections.ts";
import { dropPort } from "../nft.ts";
import { type Observation, roundTrip, sleep, variant } from "../observation.ts";
import { ssConnection } from "../ss_timer.ts";

/** Short enough to watch, long enough that each probe stands apart in the picture. */
export const TIMELINE_PROFILE = { idle: 3_000, interval: 2_000, count: 3 } as const;
const WATCH_MS = 12_000;
const SAMPLE_EVERY_MS = 50;

/** The namespace's keep-alive sysctls (a fresh namespace starts from the kernel's defaults), in ms. */
export function keepAliveSysctls(): { idle: number; interval: number; count: number } {
  const read = (name: string) => Number(readFileSync(`/proc/sys/net/ipv4/${name}`, "utf8").trim());
  return {
    idle: read("tcp_keepalive_time") * 1000,
    interval: read("tcp_keepalive_intvl") * 1000,
    count: read("tcp_keepalive_probes"),
  };
}

/**
 * One connection: keep-alive from `profile`, or (`library` false) SO_KEEPALIVE alone, which leaves
 * the kernel's default timers. Times count from the moment its packets start being dropped.
 */
function timeline(kind: ClientKind, library: boolean): Promise<Observation> {
  return variant(kind, library, async () => {
    const server = await echoServer();
    const client = await connect(kind, server.port);
    try {
      await roundTrip(client);
      setKeepAlive(client.handle, library ? TIMELINE_PROFILE : { enable: true });
      await dropPort(server.port);
      const cut = performance.now();
      let ending: { code: string; ms: number } | undefined;
      client.ended.then((e) => (ending = { code: e.code, ms: Math.round(e.at - cut) }));
      let firstTimerMs: number | null = null;
      const probesSentAtMs: number[] = [];
      while (ending === undefined && performance.now() - cut < WATCH_MS) {
        const sample = await ssConnection(client.localPort, server.port).catch(() => undefined);
        const atMs = performance.now() - cut;
        const timer = sample?.timer;
        if (timer?.name === "keepalive") {
          firstTimerMs ??= timer.remainingMs;
          // A probe restarts the timer at the interval: its send time is worked back from what is left.
          while (probesSentAtMs.length < timer.count) {
            const interval = library ? TIMELINE_PROFILE.interval : keepAliveSysctls().interval;
            probesSentAtMs.push(Math.round(atMs - (interval - timer.remainingMs)));
          }
        }
        await sleep(SAMPLE_EVERY_MS);
      }
      const watched = Math.round(performance.now() - cut);
      return {
        code: ending?.code ?? null,
        ms: ending?.ms ?? watched,
        facts: { firstTimerMs, probesSentAtMs, watchedMs: watched },
      };
    } finally {
      client.close();
      server.close();
    }
  });
}

/** This runtime's own client kind, with the profile and with the kernel's defaults, side by side. */
export async function run(): Promise<Observation[]> {
  const kind = CLIENT_KINDS[0];
  const observations = await Promise.all([timeline(kind, true), timeline(kind, false)]);
  const defaults = keepAliveSysctls();
  return observations.map((o) => ({ ...o, facts: { ...o.facts, defaults } }));
}
