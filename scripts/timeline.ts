/**
 * Draws docs/timeline.svg, the README's picture, from docs/timeline.json.
 *
 *     deno run -A scripts/timeline.ts            # redraw from the committed measurement
 *     deno run -A scripts/timeline.ts --measure  # as root: measure again (about 12 s), then draw
 */
import { readFileSync, writeFileSync } from "node:fs";
import { measureTimeline, TIMELINE_JSON, TIMELINE_SVG } from "./timeline_measure.ts";
import { renderTimeline, type TimelineData } from "./timeline_svg.ts";

let data: TimelineData;
if (process.argv.includes("--measure")) {
  data = await measureTimeline();
  writeFileSync(TIMELINE_JSON, JSON.stringify(data, null, 2) + "\n");
  console.log(`wrote ${TIMELINE_JSON}`);
} else {
  data = JSON.parse(readFileSync(TIMELINE_JSON, "utf8"));
}
writeFileSync(TIMELINE_SVG, renderTimeline(data));
console.log(`wrote ${TIMELINE_SVG}`);
