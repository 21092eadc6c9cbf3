/**
 * `npm start`: a dead peer, noticed in seconds. Under this runtime (Deno, Bun or Node.js 26.9+),
 * two idle connections made with its own handle (`Deno.connect`, `Bun.connect`, `net.connect`) to
 * an echo server: one gets `setKeepAlive(conn, { detectWithin: 3_000 })`, the other keeps the
 * kernel's defaults. Then nftables drops every packet between them, inside a private network
 * namespace (demo/namespace.ts), and the demo measures when each connection notices.
 *
 * Where no namespace can be made (not Linux, no nftables, no root and no unprivileged user
 * namespaces), it says so, measures nothing, and shows what the kernel holds before and after.
 */
import { fileURLToPath } from "node:url";
import { getKeepAlive, getUserTimeout, setKeepAlive } from "../mod.ts";
import { type Client, type ClientKind, connect, echoServer } from "../tests/e2e/connections.ts";
import { dropPort } from "../tests/e2e/nft.ts";
import { roundTrip, sleep, watch } from "../tests/e2e/observation.ts";
import { demoNamespace, inPrivateNamespace, runInside } from "./namespace.ts";

const g = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } };
const [runtime, kind, call]: [string, ClientKind, string] = g.Bun
  ? [`Bun ${g.Bun.version}`, "Bun socket", "Bun.connect"]
  : g.Deno
  ? [`Deno ${g.Deno.version.deno}`, "Deno.Conn", "Deno.connect"]
  : [`Node.js ${process.versions.node}`, "node:net", "net.connect"];
const DETECT_WITHIN = 3_000;
const DETECT_WITHIN_TEXT = "3_000";

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
// Past a minute, whole units: 7875 s reads "2 h 11 min 15 s".
function human(ms: number): string {
  const s = Math.round(ms / 1000);
  const parts = [[Math.floor(s / 3600), "h"], [Math.floor((s % 3600) / 60), "min"], [s % 60, "s"]] as const;
  return parts.filter(([n]) => n > 0).map(([n, unit]) => `${n} ${unit}`).join(" ") || "0 s";
}

/** In the namespace: cut both connections off and time what each notices. */
async function measure(): Promise<number> {
  console.log(`\nsockopts demo under ${runtime}, in a private network namespace (${process.env.SOCKOPTS_DEMO_HOW})`);
  console.log(`Two idle ${call} connections to an echo server; then nftables drops every packet between them.\n`);
  const server = await echoServer();
  const clients: Client[] = [];
  try {
    const [configured, control] = [await connect(kind, server.port), await connect(kind, server.port)];
    clients.push(configured, control);
    await roundTrip(configured);
    await roundTrip(control);
    setKeepAlive(configured.handle, { detectWithin: DETECT_WITHIN });
    const defaults = getKeepAlive(control.handle);
    await dropPort(server.port);
    const cut = performance.now();
    const seen = await watch(configured.ended, cut, 10_000);
    // Give the control three times as long, and at least 6 s, before saying it is still open.
    await sleep(Math.max(6_000, 3 * seen.ms) - (performance.now() - cut));
    const ending = await Promise.race([control.ended, sleep(0).then(() => null)]);
    const still = ending === null
      ? { code: null, ms: performance.now() - cut }
      : { code: ending.code, ms: ending.at - cut };
    const label = `setKeepAlive(conn, { detectWithin: ${DETECT_WITHIN_TEXT} })`;
    if (seen.code === null) {
      console.log(`  ${label}: still open after ${seconds(seen.ms)}: the dead peer was NOT noticed`);
      return 1;
    }
    console.log(`  ${label}`);
    console.log(
      `      dead peer noticed after ${seconds(seen.ms)}, measured: the pending read failed with ${seen.code}`,
    );
    console.log("  the kernel's defaults");
    if (still.code === null) {
      console.log(`      still open after ${seconds(still.ms)}, measured; and it would stay open: keep-alive is off`);
    } else {
      console.log(`      ended after ${seconds(still.ms)} (${still.code}), which the kernel's defaults do not explain`);
    }
    const { idle, interval, count } = defaults;
    console.log(
      `      by default (SO_KEEPALIVE ${defaults.enable ? "on" : "off"}); turned on with the kernel's times ` +
        `(${idle / 1000} s idle, then ${count} probes ${interval / 1000} s apart): ${human(idle + count * interval)}\n`,
    );
    return still.code === null ? 0 : 1;
  } finally {
    for (const client of clients) client.close();
    server.close();
  }
}

/** No namespace: nothing can be cut off, so show the settings and say why. */
async function settingsOnly(why: string): Promise<number> {
  console.log(`\nsockopts demo under ${runtime}: cannot cut a connection off here, so nothing is measured:`);
  console.log(`  ${why}.`);
  console.log(`What the kernel holds for a ${call} connection, before and after sockopts:\n`);
  const server = await echoServer();
  const client = await connect(kind, server.port);
  try {
    const read = () => ({ ...getKeepAlive(client.handle), userTimeout: getUserTimeout(client.handle) });
    const before = read();
    setKeepAlive(client.handle, { detectWithin: DETECT_WITHIN });
    const after = read();
    const rows = [
      ["SO_KEEPALIVE", before.enable ? "on" : "off", after.enable ? "on" : "off"],
      ["TCP_KEEPIDLE", seconds(before.idle), seconds(after.idle)],
      ["TCP_KEEPINTVL", seconds(before.interval), seconds(after.interval)],
      ["TCP_KEEPCNT", String(before.count), String(after.count)],
      ["user timeout", before.userTimeout === 0 ? "none" : seconds(before.userTimeout), seconds(after.userTimeout)],
    ];
    const line = (cells: string[]) => `  ${cells[0].padEnd(14)} ${cells[1].padEnd(16)} ${cells[2]}`;
    console.log(line(["", "kernel default", `detectWithin: ${DETECT_WITHIN_TEXT}`]));
    for (const row of rows) console.log(line(row));
    console.log();
    return 0;
  } finally {
    client.close();
    server.close();
  }
}

const namespace = inPrivateNamespace() ? undefined : demoNamespace();
const code = namespace === undefined
  ? await measure()
  : namespace.ok
  ? await runInside(namespace, fileURLToPath(import.meta.url))
  : await settingsOnly(namespace.why);
process.exit(code);
