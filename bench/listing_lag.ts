/**
 * The event-loop side of bench/listing.ts (issue 20): how long a keepConfigured policy's timer
 * ticks hold the event loop at about 20,000 fds. A probe timer asks for 1 ms over and over; how
 * late it runs is how long the loop was blocked. Three windows:
 *
 * - baseline: the probe alone, no policy (what the runtime's own pauses, such as garbage
 *   collection of the process's 10,000 sockets, cost);
 * - quiet: the policy's own timer every second for 33 s, which takes in a full scan (every fd
 *   read again, at most every 30 s) besides the ticks that find nothing new (the adaptive period
 *   would be about 1.2 s here, but starts near 10 s after the first tick's full scan);
 * - new connections: rounds of 100 new connections to the peer, each found and configured by a
 *   timer tick and checked by the next; the probe's samples while this process opens or closes
 *   the connections (its own node:net work) are left out.
 *
 * The first tick, which runs before keepConfigured returns, is not in any window.
 */
import type net from "node:net";
import * as sockopts from "../mod.ts";
import { threadCpuMs } from "../tests/support/thread_cpu.ts";

/**
 * The probe: a 1 ms timer asked for over and over, noting how late it ran (wall time) and how much
 * CPU the main thread spent meanwhile, the longest of each while `counting` is true. Wall time
 * also holds the scheduler's pauses on a busy machine; the CPU time is what held the loop.
 */
class Probe {
  #lateMs = 0;
  #blockMs = 0;
  #samples = 0;
  #running = true;
  #done: Promise<void>;
  counting = true;

  constructor() {
    this.#done = new Promise((resolve) => {
      const next = () => {
        if (!this.#running) return resolve();
        const asked = performance.now();
        const cpu = threadCpuMs();
        const counting = this.counting;
        setTimeout(() => {
          const late = performance.now() - asked - 1;
          const block = threadCpuMs() - cpu;
          // Counted only when counting from start to end: the caller's own work stays out.
          if (counting && this.counting) {
            this.#samples++;
            this.#lateMs = Math.max(this.#lateMs, late);
            this.#blockMs = Math.max(this.#blockMs, block);
          }
          next();
        }, 1);
      };
      next();
    });
  }

  async stop(): Promise<{ lateMs: number; blockMs: number; samples: number }> {
    this.#running = false;
    await this.#done;
    return { lateMs: this.#lateMs, blockMs: this.#blockMs, samples: this.#samples };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the lag windows measured, in ms: the longest block (main-thread CPU) and lateness (wall) of each. */
export interface Lag {
  baselineBlockMs: number;
  baselineLateMs: number;
  quietBlockMs: number;
  quietLateMs: number;
  quietTicks: number;
  /** Ticks in the quiet window that read every fd (their work stands out). */
  quietFullScans: number;
  newBlockMs: number;
  newLateMs: number;
  newConfigured: number;
  /** The most work one tick did (all its slices), for comparison with the blocks. */
  longestTickMs: number;
  periodMs: number;
}

/**
 * Runs the three windows.
 * @param open Opens `count` connections to `port` and resolves them once the server accepted them.
 * @param peerPort The port of the peer process's server: the policy's filter.
 * @param settings The policy's settings.
 * @param collect A full garbage collection, run before each window.
 */
export async function measureLag(
  open: (count: number, port: number) => Promise<net.Socket[]>,
  peerPort: number,
  settings: sockopts.SocketSettings,
  collect: () => void,
): Promise<Lag> {
  collect();
  let probe = new Probe();
  await sleep(5_000);
  const baseline = await probe.stop();

  const quietMs = 33_000;
  let longestTickMs = 0;
  let fullScans = 0;
  let quietTicks = 0;
  const policy = sockopts.keepConfigured({ remotePort: peerPort }, settings, {
    period: 1_000,
    onReport: (r) => longestTickMs = Math.max(longestTickMs, r.duration),
  });
  collect();
  probe = new Probe();
  const ticksAtStart = policy.stats.ticks;
  const started = performance.now();
  let last = policy.report;
  const durations: number[] = [];
  while (performance.now() - started < quietMs) {
    await sleep(50);
    if (policy.report !== last) {
      last = policy.report;
      durations.push(last.duration);
    }
  }
  quietTicks = policy.stats.ticks - ticksAtStart;
  // A full scan reads every fd: its tick is the one whose work stands out.
  const typical = [...durations].sort((a, b) => a - b)[Math.floor(durations.length / 2)];
  fullScans = durations.filter((d) => d > 2.5 * typical).length;
  longestTickMs = Math.max(longestTickMs, ...durations);
  const quiet = await probe.stop();

  collect();
  probe = new Probe();
  let configured = 0;
  for (let round = 0; round < 8; round++) {
    probe.counting = false;
    const batch = await open(100, peerPort);
    await sleep(20);
    probe.counting = true;
    const before = policy.stats.configured;
    // The tick that finds them, then the one that checks them once more.
    const ticks = policy.stats.ticks;
    while (policy.stats.ticks < ticks + 2) await sleep(20);
    configured += policy.stats.configured - before;
    probe.counting = false;
    for (const s of batch) s.destroy();
    await sleep(50);
    probe.counting = true;
    const after = policy.stats.ticks;
    while (policy.stats.ticks < after + 1) await sleep(20);
  }
  const fresh = await probe.stop();
  const periodMs = policy.stats.period;
  policy.stop();
  return {
    baselineBlockMs: baseline.blockMs,
    baselineLateMs: baseline.lateMs,
    quietBlockMs: quiet.blockMs,
    quietLateMs: quiet.lateMs,
    quietTicks,
    quietFullScans: fullScans,
    newBlockMs: fresh.blockMs,
    newLateMs: fresh.lateMs,
    newConfigured: configured,
    longestTickMs,
    periodMs,
  };
}
