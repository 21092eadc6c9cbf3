/**
 * Measures the README's picture: runs tests/e2e/scenarios/timeline.ts in a private network
 * namespace (root, `unshare`, `nft` and `ss` needed) and shapes what it reports as docs/timeline.json.
 */
import { arch, release } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runInNamespace, runtimeCommand } from "../tests/e2e/namespace.ts";
import { type Observation, RESULT_PREFIX } from "../tests/e2e/observation.ts";
import { TIMELINE_PROFILE } from "../tests/e2e/scenarios/timeline.ts";
import type { KeepAliveTimers, TimelineData } from "./timeline_svg.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The JSON the picture is drawn from, and the picture. */
export const TIMELINE_JSON: string = join(ROOT, "docs", "timeline.json");
export const TIMELINE_SVG: string = join(ROOT, "docs", "timeline.svg");
const CHILD = join(ROOT, "tests", "e2e", "child.ts");

function runtime(): string {
  const versions = process.versions as Record<string, string | undefined>;
  if (versions.bun !== undefined) return `bun ${versions.bun}`;
  return versions.deno !== undefined ? `deno ${versions.deno}` : `node ${versions.node}`;
}

/** One fresh run of the scenario under this runtime: about 12 s. */
export async function measureTimeline(): Promise<TimelineData> {
  const run = await runInNamespace(runtimeCommand(CHILD, ["timeline"]), 60_000);
  const line = run.stdout.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
  if (line === undefined || run.code !== 0) {
    throw new Error(`Cannot measure the timeline: exit ${run.code ?? run.signal}\n${run.stdout}\n${run.stderr}`);
  }
  const observations: Observation[] = JSON.parse(line.slice(RESULT_PREFIX.length));
  const withLibrary = observations.find((o) => o.library);
  const control = observations.find((o) => !o.library);
  for (const o of [withLibrary, control]) {
    if (o === undefined || o.error !== undefined) {
      throw new Error(`Cannot measure the timeline: ${o?.error ?? "no result"}`);
    }
  }
  const facts = (o: Observation) =>
    o.facts as { firstTimerMs: number | null; probesSentAtMs: number[]; watchedMs: number; defaults: KeepAliveTimers };
  if (withLibrary!.code === null) throw new Error("Cannot measure the timeline: the read never failed with sockopts");
  return {
    measuredOn: new Date().toISOString().slice(0, 10),
    system: `linux ${release()} ${arch() === "x64" ? "x86_64" : arch()}`,
    runtime: runtime(),
    handle: withLibrary!.handle,
    sockopts: {
      ...TIMELINE_PROFILE,
      probesSentAtMs: facts(withLibrary!).probesSentAtMs,
      failedAtMs: withLibrary!.ms,
      code: withLibrary!.code,
    },
    defaults: {
      ...facts(control!).defaults,
      firstTimerMs: facts(control!).firstTimerMs,
      probesSentAtMs: facts(control!).probesSentAtMs,
      watchedMs: facts(control!).watchedMs,
    },
  };
}
