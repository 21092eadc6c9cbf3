/**
 * Draws docs/timeline.svg from docs/timeline.json: an idle connection whose peer dies, with the
 * kernel's default keep-alive timers and with a sockopts profile. Pure and deterministic, so
 * tests/timeline.test.ts can redraw the picture and compare it with the committed file.
 */

/** Keep-alive timers, in milliseconds (count: probes). */
export interface KeepAliveTimers {
  readonly idle: number;
  readonly interval: number;
  readonly count: number;
}

/** What scripts/timeline.ts measured, as docs/timeline.json holds it. */
export interface TimelineData {
  /** The day of the run, `YYYY-MM-DD`. */
  readonly measuredOn: string;
  /** `linux <release> <arch>`. */
  readonly system: string;
  /** The runtime that ran the scenario, `deno 2.9.5`. */
  readonly runtime: string;
  /** The handle kind configured, `Deno.Conn`. */
  readonly handle: string;
  /** The sockopts profile, and what the kernel did with it, in ms from the moment the peer died. */
  readonly sockopts: KeepAliveTimers & {
    readonly probesSentAtMs: readonly number[];
    readonly failedAtMs: number;
    readonly code: string;
  };
  /**
   * The namespace's default timers (`net.ipv4.tcp_keepalive_*`), and what the control connection
   * (SO_KEEPALIVE alone) showed while it was watched: its first `ss` timer and any probe.
   */
  readonly defaults: KeepAliveTimers & {
    readonly firstTimerMs: number | null;
    readonly probesSentAtMs: readonly number[];
    readonly watchedMs: number;
  };
}

const WIDTH = 880;
const LEFT = 40;
const RIGHT = 830;
const FONT = "font-family=\"-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif\"";
const IDLE = "#d0d7de";
const PROBE = "#0969da";
const FAIL = "#cf222e";
const INK = "#1f2328";
const MUTED = "#59636e";

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function text(x: number, y: number, body: string, attrs = ""): string {
  return `<text x="${x.toFixed(1)}" y="${y}" ${attrs}>${esc(body)}</text>`;
}

/** 7875000 → "2 h 11 min 15 s"; 9107 → "9.1 s". */
export function humanDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  const parts: [number, string][] = [[Math.floor(s / 3600), "h"], [Math.floor((s % 3600) / 60), "min"], [s % 60, "s"]];
  return parts.filter(([n]) => n > 0).map(([n, unit]) => `${n} ${unit}`).join(" ");
}

/** A lane: the idle stretch, each probe, the failure, and an axis in the lane's own scale. */
function lane(
  top: number,
  title: string,
  scaleMs: number,
  ticks: readonly { ms: number; label: string }[],
  probes: readonly number[],
  failedAtMs: number,
  failLabel: string,
  probeLabels: boolean,
): string[] {
  const x = (ms: number) => LEFT + (ms / scaleMs) * (RIGHT - LEFT);
  const bar = top + 44;
  const out = [text(LEFT, top + 12, title, `font-size="14" font-weight="600" fill="${INK}"`)];
  out.push(
    `<rect x="${LEFT}" y="${bar - 7}" width="${
      (x(probes[0] ?? failedAtMs) - LEFT).toFixed(1)
    }" height="14" rx="3" fill="${IDLE}"/>`,
  );
  out.push(
    text(
      LEFT + 6,
      bar + 4,
      `idle: nothing sent for ${humanDuration(probes[0] ?? failedAtMs)}`,
      `font-size="11" fill="${INK}"`,
    ),
  );
  probes.forEach((ms, i) => {
    out.push(
      `<line x1="${x(ms).toFixed(1)}" y1="${bar - 9}" x2="${x(ms).toFixed(1)}" y2="${
        bar + 9
      }" stroke="${PROBE}" stroke-width="2.5"/>`,
    );
    if (probeLabels) {
      out.push(
        text(
          x(ms),
          bar - 13,
          `probe ${i + 1}: ${(ms / 1000).toFixed(2)} s`,
          `font-size="11" text-anchor="middle" fill="${PROBE}"`,
        ),
      );
    }
  });
  if (!probeLabels && probes.length > 0) {
    out.push(
      text(
        x(probes[0]) - 6,
        bar - 13,
        `${probes.length} unanswered probes`,
        `font-size="11" text-anchor="end" fill="${PROBE}"`,
      ),
    );
  }
  const fx = x(failedAtMs);
  out.push(
    `<path d="M${(fx - 6).toFixed(1)} ${bar - 6}L${(fx + 6).toFixed(1)} ${bar + 6}M${(fx - 6).toFixed(1)} ${bar + 6}L${
      (fx + 6).toFixed(1)
    } ${bar - 6}" stroke="${FAIL}" stroke-width="3"/>`,
  );
  out.push(text(fx, bar + 24, failLabel, `font-size="12" font-weight="600" text-anchor="end" fill="${FAIL}"`));
  const axis = bar + 40;
  out.push(`<line x1="${LEFT}" y1="${axis}" x2="${RIGHT}" y2="${axis}" stroke="${MUTED}"/>`);
  for (const tick of ticks) {
    out.push(
      `<line x1="${x(tick.ms).toFixed(1)}" y1="${axis}" x2="${x(tick.ms).toFixed(1)}" y2="${
        axis + 4
      }" stroke="${MUTED}"/>`,
    );
    out.push(text(x(tick.ms), axis + 16, tick.label, `font-size="10" text-anchor="middle" fill="${MUTED}"`));
  }
  return out;
}

/** The SVG text of the picture, the same bytes for the same data. */
export function renderTimeline(data: TimelineData): string {
  const d = data.defaults;
  const defaultProbes = Array.from({ length: d.count }, (_, i) => d.idle + i * d.interval);
  const defaultFail = d.idle + d.count * d.interval;
  const s = data.sockopts;
  const half = 30 * 60_000;
  const defaultTicks = Array.from({ length: Math.floor(defaultFail / half) + 1 }, (_, i) => ({
    ms: i * half,
    label: i === 0 ? "0" : humanDuration(i * half),
  }));
  const sockoptsScale = Math.ceil(s.failedAtMs / 1000) * 1000 + 1000;
  const sockoptsTicks = Array.from({ length: sockoptsScale / 1000 + 1 }, (_, i) => ({ ms: i * 1000, label: `${i} s` }));
  const profile = `{ idle: ${s.idle}, interval: ${s.interval}, count: ${s.count} }`;
  const watched = d.firstTimerMs === null
    ? ""
    : ` (its control: an ss timer of ${humanDuration(d.firstTimerMs)}, no probe in ${humanDuration(d.watchedMs)})`;
  const body = [
    `<rect width="${WIDTH}" height="330" fill="#ffffff"/>`,
    text(
      LEFT,
      28,
      "An idle connection whose peer dies at 0: when does the pending read fail?",
      `font-size="16" font-weight="700" fill="${INK}"`,
    ),
    ...lane(
      48,
      // Keep-alive is off by default (then the read never fails); this row is it turned on alone.
      `Keep-alive on, the kernel's times: ${d.idle / 1000} s idle, then ${d.count} probes ${
        d.interval / 1000
      } s apart (off by default: never)`,
      Math.ceil(defaultFail / half) * half,
      defaultTicks,
      defaultProbes,
      defaultFail,
      `read fails after ${humanDuration(defaultFail)}`,
      false,
    ),
    ...lane(
      168,
      `sockopts: setKeepAlive(${data.handle === "Deno.Conn" ? "conn" : "socket"}, ${profile}), measured`,
      sockoptsScale,
      sockoptsTicks,
      s.probesSentAtMs,
      s.failedAtMs,
      `read fails (${s.code}) after ${humanDuration(s.failedAtMs)}`,
      true,
    ),
    text(
      LEFT,
      296,
      `Measured ${data.measuredOn}: ${data.handle} under ${data.runtime}, ${data.system}, packets dropped by nftables in a private network namespace.`,
      `font-size="10.5" fill="${MUTED}"`,
    ),
    text(
      LEFT,
      312,
      `Probe times from ss -tno timers. Upper row computed from net.ipv4.tcp_keepalive_*${watched}.`,
      `font-size="10.5" fill="${MUTED}"`,
    ),
  ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="330" viewBox="0 0 ${WIDTH} 330" ${FONT} role="img">`,
    `<title>Dead peer noticed after ${humanDuration(defaultFail)} with keep-alive on at the kernel's times, ${
      humanDuration(s.failedAtMs)
    } with sockopts</title>`,
    ...body.map((line) => `  ${line}`),
    "</svg>",
    "",
  ].join("\n");
}
