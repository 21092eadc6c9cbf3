/**
 * Kernel-level proof for issue 14, in private network namespaces (tests/e2e/policy_child.ts):
 * `detectWithin` bounds dead-peer detection both for an idle connection and for one with a write
 * in flight, where keep-alive alone does nothing; and the policy configures a socket still in
 * SYN_SENT and again once it is established.
 *
 * Needs Linux, root, `unshare`, `ip`, `ss` and `nft`; anywhere else it is skipped with one line.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { namespaceUnavailable, runInNamespace, runtimeCommand } from "./e2e/namespace.ts";
import { type Observation, RESULT_PREFIX } from "./e2e/observation.ts";
import { runtimeName } from "./support/runtime.ts";

const CHILD = join(dirname(fileURLToPath(import.meta.url)), "e2e", "policy_child.ts");
const LIMIT = 60_000;
const WAIT = { timeout: LIMIT + 10_000 };
const BOUND = 5_000;

const unavailable = namespaceUnavailable();
if (unavailable) console.warn(`!!! dead-peer e2e (${runtimeName}): SKIPPED the kernel-level tests: ${unavailable} !!!`);

const runs = new Map<string, Promise<Observation[]>>();

function scenario(name: string): Promise<Observation[]> {
  let run = runs.get(name);
  if (run === undefined) {
    run = runInNamespace(runtimeCommand(CHILD, [name]), LIMIT).then((r) => {
      const line = r.stdout.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
      if (line === undefined || r.code !== 0) {
        throw new Error(`scenario ${name} failed (exit ${r.code ?? r.signal})\n${r.stdout}\n${r.stderr}`);
      }
      return JSON.parse(line.slice(RESULT_PREFIX.length)) as Observation[];
    });
    run.catch(() => {});
    runs.set(name, run);
  }
  return run;
}

async function observed(name: string, handle: string): Promise<Observation> {
  const found = (await scenario(name)).find((o) => o.handle === handle);
  assert.ok(found, `${name} reported nothing for ${handle}`);
  if (found.error !== undefined) assert.fail(`${handle} threw: ${found.error}`);
  console.log(`${name} / ${handle}: ${found.code ?? "still open"} at ${found.ms} ms ${JSON.stringify(found.facts)}`);
  return found;
}

describe(`detectWithin and the policy on the wire under ${runtimeName}`, { skip: unavailable }, () => {
  it(
    "idle: a silent peer is noticed within detectWithin (5 s); without it the connection still looks open at 8 s",
    WAIT,
    async () => {
      const configured = await observed("detect-within", "idle detectWithin");
      assert.equal(configured.code, "ETIMEDOUT");
      assert.ok(configured.ms <= BOUND, `noticed after ${configured.ms} ms, bound ${BOUND} ms`);
      assert.ok(configured.ms >= 3_000, `not before keep-alive could have acted (${configured.ms} ms)`);
      const control = await observed("detect-within", "idle nothing");
      assert.equal(control.code, null, "the control is still open");
    },
  );

  it(
    "in flight: a write to a silent peer fails within detectWithin; keep-alive alone does not end it at 8 s",
    WAIT,
    async () => {
      const configured = await observed("detect-within", "in-flight detectWithin");
      assert.equal(configured.code, "ETIMEDOUT");
      assert.ok(configured.ms <= BOUND, `failed ${configured.ms} ms after the write, bound ${BOUND} ms`);
      const keepAliveOnly = await observed("detect-within", "in-flight keepAliveOnly");
      assert.equal(keepAliveOnly.code, null, "keep-alive does not run while data is in flight");
    },
  );

  it(
    "policy: a connecting socket is configured in SYN_SENT by its remote port, and again once established",
    WAIT,
    async () => {
      const run = await observed("syn-sent", "syn-sent");
      const facts = run.facts as {
        connecting: { state: string; remote: string; idle: number }[];
        established: { state: string; idle: number }[];
        idleAfterDriver: number;
        idleNow: number;
        planIdle: number;
      };
      assert.equal(facts.connecting.length, 1, "the connecting socket matched { remotePort }");
      assert.equal(facts.connecting[0].state, "SYN_SENT");
      assert.match(facts.connecting[0].remote, /^127\.0\.0\.1:\d+$/);
      assert.equal(facts.connecting[0].idle, facts.planIdle);
      assert.equal(facts.idleAfterDriver, 60_000, "the driver overwrote the idle time on connect");
      assert.deepEqual(facts.established, [{ state: "ESTABLISHED", idle: facts.planIdle }]);
      assert.equal(facts.idleNow, facts.planIdle);
    },
  );
});
