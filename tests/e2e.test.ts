/**
 * Proof on the wire: the kernel acts on what sockopts sets. Each scenario runs in a child process
 * of this runtime inside its own private network namespace (`unshare --net`, loopback only),
 * where nftables drops packets; nothing leaves the namespace. The five scenarios start together
 * and run concurrently (about 20 s in all); each test below waits for its scenario and checks one
 * handle kind, with sockopts and in a control without it.
 *
 * Needs Linux, root, `unshare`, `ip`, `ss` and `nft`; anywhere else the suite is skipped with one
 * line saying why.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CLIENT_KINDS } from "./e2e/connections.ts";
import { namespaceUnavailable, runInNamespace, runtimeCommand } from "./e2e/namespace.ts";
import { type Observation, RESULT_PREFIX } from "./e2e/observation.ts";
import { SERVER_KINDS } from "./e2e/servers.ts";
import type { SsTimer } from "./e2e/ss_timer.ts";
import { runtimeName } from "./support/runtime.ts";

const SCENARIOS = ["dead-peer", "user-timeout", "firewall-idle", "listener", "kernel-view"] as const;
type Scenario = typeof SCENARIOS[number];

const CHILD = join(dirname(fileURLToPath(import.meta.url)), "e2e", "child.ts");
// A scenario takes at most ~20 s; its child is killed after this however it is doing.
const CHILD_LIMIT_MS = 60_000;
// Each test may wait for its scenario's child. Bun's node:test applies a 5 s default unless the
// command line (--timeout) or the test sets one, and bunfig.toml's timeout does not reach it: set
// here, so that `bun test tests/e2e.test.ts` works on its own.
const WAIT = { timeout: CHILD_LIMIT_MS + 10_000 };

const unavailable = namespaceUnavailable();
if (unavailable) {
  console.warn(`!!! e2e (${runtimeName}): SKIPPED the kernel-level end-to-end tests: ${unavailable} !!!`);
}

let started: Map<Scenario, Promise<Observation[]>> | undefined;

async function runScenario(scenario: Scenario): Promise<Observation[]> {
  const run = await runInNamespace(runtimeCommand(CHILD, [scenario]), CHILD_LIMIT_MS);
  const line = run.stdout.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
  if (line === undefined || run.code !== 0) {
    const why = run.timedOut ? `killed after ${CHILD_LIMIT_MS} ms` : `exit ${run.code ?? run.signal}`;
    throw new Error(`scenario ${scenario} failed (${why})\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`);
  }
  return JSON.parse(line.slice(RESULT_PREFIX.length));
}

/** One variant's observation; the first call starts every scenario at once. */
async function observed(scenario: Scenario, handle: string, library: boolean): Promise<Observation> {
  started ??= new Map(SCENARIOS.map((name) => {
    const run = runScenario(name);
    run.catch(() => {}); // reported by the tests that await it
    return [name, run];
  }));
  const found = (await started.get(scenario)!).find((o) => o.handle === handle && o.library === library);
  assert.ok(found, `scenario ${scenario} reported nothing for ${handle}`);
  const what = `${scenario}, ${handle} ${library ? "with sockopts" : "(control)"}`;
  if (found.error !== undefined) assert.fail(`${what} threw: ${found.error}`);
  console.log(`${what}: ${found.code ?? "no error"} at ${found.ms} ms ${JSON.stringify(found.facts)}`);
  return found;
}

function assertWithin(ms: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(ms - expected) <= tolerance,
    `${what} after ${ms} ms, expected ${expected} ms ± ${tolerance} ms`,
  );
}

const timer = (facts: Record<string, unknown>, key: string) => facts[key] as (SsTimer & { sentAtMs?: number }) | null;

describe(`on the wire under ${runtimeName}: kernel-level tests in private network namespaces`, {
  skip: unavailable,
}, () => {
  describe("1. dead peer: every packet dropped after connecting", () => {
    for (const kind of CLIENT_KINDS) {
      it(
        `${kind}: keep-alive { idle 1 s, interval 1 s, count 2 } fails the pending read with ETIMEDOUT in 3 s ± 1 s`,
        WAIT,
        async () => {
          const o = await observed("dead-peer", kind, true);
          assert.equal(o.code, "ETIMEDOUT");
          assertWithin(o.ms, 3_000, 1_000, "the read failed");
          assert.equal(o.facts.stateAfter, null, "the kernel no longer lists the connection");
        },
      );
      it(`${kind} control: without sockopts the connection still looks open after 10 s`, WAIT, async () => {
        const o = await observed("dead-peer", kind, false);
        assert.equal(o.code, null, `the connection ended with ${o.code} after ${o.ms} ms`);
        assert.ok(o.ms >= 10_000);
        assert.equal(o.facts.stateAfter, "ESTAB");
      });
    }
  });

  describe("2. user timeout: data unacknowledged, packets dropped", () => {
    for (const kind of CLIENT_KINDS) {
      it(`${kind}: setUserTimeout(2000) fails the connection with ETIMEDOUT in 2 s ± 1 s`, WAIT, async () => {
        const o = await observed("user-timeout", kind, true);
        assert.equal(timer(o.facts, "timerAfter500ms")?.name, "on", "the data was in flight (retransmission timer)");
        assert.equal(o.code, "ETIMEDOUT");
        assertWithin(o.ms, 2_000, 1_000, "the connection failed");
      });
      it(`${kind} control: without sockopts the connection has not failed after 10 s`, WAIT, async () => {
        const o = await observed("user-timeout", kind, false);
        assert.equal(timer(o.facts, "timerAfter500ms")?.name, "on", "the data was in flight (retransmission timer)");
        assert.equal(o.code, null, `the connection ended with ${o.code} after ${o.ms} ms`);
        assert.ok(o.ms >= 10_000);
      });
    }
  });

  describe("3. NAT / firewall idle timeout: conntrack forgets a flow after 4 s idle", () => {
    for (const kind of CLIENT_KINDS) {
      it(`${kind}: keep-alive every 1 s survives 15 s idle and still carries data`, WAIT, async () => {
        const o = await observed("firewall-idle", kind, true);
        assert.equal(o.facts.echoed, "after idle", "the echo came back");
        assert.equal(o.facts.serverReceived, "helloafter idle");
      });
      it(`${kind} control: without keep-alive the connection is dead after the same 15 s`, WAIT, async () => {
        const o = await observed("firewall-idle", kind, false);
        assert.equal(o.facts.echoed, null, "no echo within 3 s");
        assert.equal(o.facts.serverReceived, "hello", "the data sent after the idle time never reached the server");
      });
    }
  });

  describe("4. listener inheritance: keep-alive set on the listener, client vanishes", () => {
    for (const kind of SERVER_KINDS) {
      const error = kind.endsWith(".serve") ? "the request ends" : "the read fails with ETIMEDOUT";
      it(`${kind}: the accepted connection inherits keep-alive and ${error} in 3 s ± 1 s`, WAIT, async () => {
        const o = await observed("listener", kind, true);
        const accepted = timer(o.facts, "acceptedTimer");
        assert.ok(accepted, "ss shows a timer on the accepted connection");
        assert.equal(accepted.name, "keepalive", "ss shows a keep-alive timer on the accepted connection");
        assert.ok(
          accepted.remainingMs <= 1_000,
          `the timer counts down from the listener's 1 s idle: ${accepted.remainingMs} ms`,
        );
        // HTTP servers report the loss their own way: Bun.serve aborts request.signal; Deno.serve
        // settles the handler's info.completed.
        if (!kind.endsWith(".serve")) assert.equal(o.code, "ETIMEDOUT");
        assert.notEqual(o.code, null, "the server noticed");
        assertWithin(o.ms, 3_000, 1_000, "the server noticed");
        assert.equal(o.facts.acceptedStateAfter, null, "the kernel no longer lists the accepted connection");
      });
      it(
        `${kind} control: a listener left alone hands out connections that still look open after 10 s`,
        WAIT,
        async () => {
          const o = await observed("listener", kind, false);
          assert.equal(timer(o.facts, "acceptedTimer"), null, "no keep-alive timer on the accepted connection");
          assert.equal(o.code, null, `the server saw ${o.code} after ${o.ms} ms`);
          assert.ok(o.ms >= 10_000);
          assert.equal(o.facts.acceptedStateAfter, "ESTAB");
        },
      );
    }
  });

  describe("5. the kernel's view: ss -tno after setKeepAlive({ idle: 3000, interval: 2000, count: 5 })", () => {
    for (const kind of CLIENT_KINDS) {
      it(
        `${kind}: the keepalive timer counts down from the idle time, then from the interval per probe`,
        WAIT,
        async () => {
          const { facts } = await observed("kernel-view", kind, true);
          const initial = timer(facts, "initial");
          const probe1 = timer(facts, "probe1");
          const probe2 = timer(facts, "probe2");
          assert.ok(initial, `ss shows a timer: ${facts.line}`);
          assert.equal(initial.name, "keepalive", `ss line: ${facts.line}`);
          assert.equal(initial.count, 0);
          assert.ok(
            initial.remainingMs > 2_000 && initial.remainingMs <= 3_000,
            `idle: ${initial.remainingMs} ms left`,
          );
          assert.ok(probe1 && probe2, "ss showed the first and second unanswered probes");
          for (const probe of [probe1, probe2]) {
            assert.equal(probe.name, "keepalive");
            assert.ok(
              probe.remainingMs > 1_000 && probe.remainingMs <= 2_000,
              `interval: ${probe.remainingMs} ms left`,
            );
          }
          assertWithin(probe1.sentAtMs!, 3_000, 500, "the first probe went out");
          assertWithin(probe2.sentAtMs! - probe1.sentAtMs!, 2_000, 500, "the second probe followed");
        },
      );
      it(`${kind} control: without sockopts ss shows no keepalive timer`, WAIT, async () => {
        const { facts } = await observed("kernel-view", kind, false);
        assert.notEqual(timer(facts, "initial")?.name, "keepalive", `ss line: ${facts.line}`);
      });
    }
  });
});
