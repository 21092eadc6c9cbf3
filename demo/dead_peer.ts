/**
 * `npm run demo:dead-peer` (root, Linux, nftables): scenario 1 of the end-to-end tests, shown.
 * A connection is cut off inside a private network namespace (nftables drops its packets) and the
 * demo prints how long the kernel took to notice with sockopts' keep-alive settings, next to what
 * the kernel's defaults would take. Runs unchanged in Deno and Bun.
 */
import { fileURLToPath } from "node:url";
import { inPrivateNamespace, namespaceUnavailable, runInNamespace, runtimeCommand } from "../tests/e2e/namespace.ts";
import { DEAD_PEER_PROFILE, deadPeer } from "../tests/e2e/scenarios/dead_peer.ts";
import { keepAliveDefaults } from "../tests/support/proc.ts";

const bun = (globalThis as { Bun?: { version: string } }).Bun;
const runtime = bun ? `Bun ${bun.version}` : `Deno ${Deno.version.deno}`;

if (!inPrivateNamespace()) {
  // Everything happens in a namespace of its own: the rules cannot touch this machine's network.
  const why = namespaceUnavailable();
  if (why) {
    console.error(`demo:dead-peer under ${runtime} cannot run: it ${why}. Run it as root on Linux with nftables.`);
    process.exit(1);
  }
  const run = await runInNamespace(runtimeCommand(fileURLToPath(import.meta.url), []), 30_000, true);
  process.exit(run.code ?? 1);
}

const kind = bun ? "Bun socket" : "Deno.Conn";
console.log(`\nsockopts dead-peer demo under ${runtime}, in a private network namespace (loopback only)`);
console.log(`A ${kind} connects to an echo server; then nftables drops every packet between them.\n`);

const seen = await deadPeer(kind, true, 10_000);
if (seen.error !== undefined || seen.code === null) {
  console.error(`the dead peer was not noticed: ${seen.error ?? `still open after ${seen.ms} ms`}`);
  process.exit(1);
}

// Past an hour, seconds are noise: 7875 s reads "2 h 11 min".
const human = (ms: number) => {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(1)} s`;
  const parts = [[Math.floor(s / 3600), "h"], [Math.floor((s % 3600) / 60), "min"], [
    s < 3600 ? s % 60 : 0,
    "s",
  ]] as const;
  return parts.filter(([n]) => n > 0).map(([n, unit]) => `${n} ${unit}`).join(" ");
};
// This namespace's sysctls: what the kernel would have done with this very connection.
const kernel = keepAliveDefaults();
const { idle, interval, count } = DEAD_PEER_PROFILE;
const kernelMs = kernel.idle + kernel.interval * kernel.count;
console.log("dead peer noticed after");
console.log(
  `  ${human(seen.ms).padEnd(12)} with sockopts (idle ${idle / 1000} s, then ${count} probes ${
    interval / 1000
  } s apart): ` +
    `measured, the pending read failed with ${seen.code}`,
);
console.log(
  `  ${human(kernelMs).padEnd(12)} kernel default (idle ${kernel.idle / 1000} s, then ${kernel.count} probes ` +
    `${kernel.interval / 1000} s apart): would be ${kernelMs / 1000} s; not waited for\n`,
);
process.exit(0);
