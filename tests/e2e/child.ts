/**
 * Runs one scenario inside a private network namespace and prints its observations as one
 * `E2E-RESULT {json}` line. tests/e2e.test.ts starts it through runInNamespace; run by hand only
 * that way too (it refuses to load nftables rules outside a private namespace).
 *
 * Usage: <runtime> tests/e2e/child.ts dead-peer|user-timeout|firewall-idle|listener|kernel-view|timeline
 */
import { assertPrivateNamespace } from "./namespace.ts";
import { type Observation, RESULT_PREFIX } from "./observation.ts";
import * as deadPeer from "./scenarios/dead_peer.ts";
import * as firewallIdle from "./scenarios/firewall_idle.ts";
import * as kernelView from "./scenarios/kernel_view.ts";
import * as listener from "./scenarios/listener.ts";
import * as timeline from "./scenarios/timeline.ts";
import * as userTimeout from "./scenarios/user_timeout.ts";

const SCENARIOS: Record<string, () => Promise<Observation[]>> = {
  "dead-peer": deadPeer.run,
  "user-timeout": userTimeout.run,
  "firewall-idle": firewallIdle.run,
  "listener": listener.run,
  "kernel-view": kernelView.run,
  "timeline": timeline.run,
};

// Every scenario bounds its own waits; this only stops a child that hangs all the same.
const WATCHDOG_MS = 45_000;

const name = process.argv[2];
const scenario = SCENARIOS[name];
if (scenario === undefined) {
  console.error(`unknown scenario ${JSON.stringify(name)}; expected one of ${Object.keys(SCENARIOS).join(", ")}`);
  process.exit(2);
}
assertPrivateNamespace();
setTimeout(() => {
  console.error(`scenario ${name} still running after ${WATCHDOG_MS} ms`);
  process.exit(3);
}, WATCHDOG_MS);
const observations = await scenario();
// Exit only once the line is written (a pipe may take it in pieces): servers and sockets the
// runtime still holds would keep it alive, and the namespace goes with it.
process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(observations)}\n`, () => process.exit(0));
