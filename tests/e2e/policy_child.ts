/**
 * Issue 14's kernel-level scenarios, run by tests/dead_peer_e2e.test.ts inside a private network
 * namespace through runInNamespace (nftables refuses to load anywhere else). Prints one
 * `E2E-RESULT {json}` line.
 *
 * - `detect-within`: `detectWithin: 5000` on an idle connection and on one with a write in
 *   flight, each cut off by dropping every packet; and the controls (nothing set; keep-alive alone
 *   with the same idle/interval/count and no user timeout, for the write in flight).
 * - `syn-sent`: a connect whose SYNs are dropped is configured by the policy while still in
 *   SYN_SENT, matched by the address it is connecting to; once the drop is lifted it connects, a
 *   "driver" overwrites the idle time in its connect handler, and the next tick configures it again.
 *
 * Usage: <runtime> tests/e2e/policy_child.ts detect-within|syn-sent
 */
import net from "node:net";
import { configureSockets, deadPeerPlan, getKeepAlive, keepConfigured, setKeepAlive } from "../../mod.ts";
import { connect, echoServer } from "./connections.ts";
import { assertPrivateNamespace } from "./namespace.ts";
import { dropPort, nft } from "./nft.ts";
import { type Observation, RESULT_PREFIX, roundTrip, sleep, variant, watch } from "./observation.ts";

const BOUND = 5_000;
const WATCH_MS = 8_000;
type Mode = "detectWithin" | "keepAliveOnly" | "nothing";

function cutOff(path: "idle" | "in-flight", mode: Mode): Promise<Observation> {
  return variant(`${path} ${mode}`, mode === "detectWithin", async () => {
    const server = await echoServer();
    const client = await connect("node:net", server.port);
    try {
      await roundTrip(client);
      if (mode === "detectWithin") {
        const done = configureSockets({ remotePort: server.port }, { detectWithin: BOUND }, { atLeast: 1 });
        if (done.length !== 1) throw new Error(`configured ${done.length} sockets`);
      } else if (mode === "keepAliveOnly") {
        const { idle, interval, count } = deadPeerPlan(BOUND);
        setKeepAlive(client.handle, { idle, interval, count });
      }
      await dropPort(server.port);
      let start = performance.now();
      if (path === "in-flight") {
        // Sent half a second after the peer went silent, as in the measurement.
        await sleep(500);
        start = performance.now();
        client.write("x".repeat(1_000));
      }
      const { code, ms } = await watch(client.ended, start, WATCH_MS);
      return { code, ms, facts: { plan: deadPeerPlan(BOUND) } };
    } finally {
      client.close();
      server.close();
    }
  });
}

function detectWithin(): Promise<Observation[]> {
  return Promise.all([
    cutOff("idle", "detectWithin"),
    cutOff("idle", "nothing"),
    cutOff("in-flight", "detectWithin"),
    cutOff("in-flight", "keepAliveOnly"),
  ]);
}

function synSent(): Promise<Observation[]> {
  return Promise.all([variant("syn-sent", true, async () => {
    const server = net.createServer((s) => s.on("error", () => {}));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    await nft(`
table inet syn_${port} {
  chain input {
    type filter hook input priority filter; policy accept;
    tcp dport ${port} tcp flags syn counter drop
  }
}
`);
    const plan = deadPeerPlan(20_000);
    using policy = keepConfigured({ remotePort: port }, { detectWithin: 20_000 }, { period: 0 });
    const client = net.connect(port, "127.0.0.1");
    client.on("error", () => {});
    const connected = new Promise<void>((resolve) =>
      client.once("connect", () => {
        // A driver's own keep-alive call on connect (ioredis does this), after the policy's.
        client.setKeepAlive(true, 60_000);
        resolve();
      })
    );
    try {
      await sleep(300);
      const connecting = policy.refresh().configured.map((s) => ({
        state: s.state,
        remote: s.remoteText,
        idle: s.keepAlive?.idle,
      }));
      await nft(`delete table inet syn_${port}`);
      const start = performance.now();
      await connected; // the SYN is retransmitted after 1 s, 3 s, …
      const connectMs = Math.round(performance.now() - start);
      const fd = policy.sockets[0]?.fd ?? -1;
      const idleAfterDriver = getKeepAlive(fd).idle;
      const established = policy.refresh().configured.map((s) => ({ state: s.state, idle: s.keepAlive?.idle }));
      return {
        code: null,
        ms: connectMs,
        facts: { connecting, idleAfterDriver, established, idleNow: getKeepAlive(fd).idle, planIdle: plan.idle },
      };
    } finally {
      client.destroy();
      server.close();
    }
  })]);
}

const SCENARIOS: Record<string, () => Promise<Observation[]>> = { "detect-within": detectWithin, "syn-sent": synSent };
const scenario = SCENARIOS[process.argv[2]];
if (scenario === undefined) {
  console.error(`unknown scenario ${JSON.stringify(process.argv[2])}; expected ${Object.keys(SCENARIOS).join(", ")}`);
  process.exit(2);
}
assertPrivateNamespace();
setTimeout(() => {
  console.error("scenario still running after 40 s");
  process.exit(3);
}, 40_000);
const observations = await scenario();
process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(observations)}\n`, () => process.exit(0));
