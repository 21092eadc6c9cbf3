/**
 * Real databases: PostgreSQL and Redis servers from Debian, and the clients services use with
 * them (npm `pg`, `postgres` and `ioredis` under Deno and Bun; Bun's `SQL` and `RedisClient`
 * under Bun). A child of this runtime starts the servers inside its own network and PID
 * namespaces, where nftables can drop their packets, runs every scenario for every client at
 * once (about 10 s), and reports; the namespace, servers included, dies with it.
 *
 * For each client: the policy configures a pool as it grows and a client as it reconnects; a dead
 * peer is noticed through the driver within the `detectWithin` bound, idle and with a command in
 * flight (controls without the policy notice nothing in twice the bound); a connection over a Unix
 * socket is reported as skipped, not passed over in silence. What each driver does after it
 * noticed is pinned here too, since the README's recipes and docs/drivers.md promise it.
 *
 * Needs Linux, root, `unshare`, `ip`, `nft`, `ss`, PostgreSQL's server and `redis-server`
 * (`.ci/run` installs them); anywhere else the suite is skipped with one line saying why.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { deadPeerPlan } from "../mod.ts";
import { type DriverName, DRIVERS, serverOf } from "./db/drivers.ts";
import { runIsolated } from "./db/namespace.ts";
import { CHILD_WATCHDOG_MS, DB_RESULT_PREFIX, type DbObservation, type DbScenario } from "./db/observation.ts";
import { AFTER_WATCH, BOUND, CONTROL_WATCH, type HeldSettings } from "./db/scenarios.ts";
import { serversUnavailable } from "./db/servers.ts";
import { namespaceUnavailable, runtimeCommand } from "./e2e/namespace.ts";
import { runtimeName } from "./support/runtime.ts";

const CHILD = join(dirname(fileURLToPath(import.meta.url)), "db", "child.ts");
// The child stops itself at its watchdog and says why; this kill is for a child that cannot.
const CHILD_LIMIT_MS = CHILD_WATCHDOG_MS + 10_000;
// Every test waits for the one child run; each runtime's own per-test default (bun test --timeout,
// node --test --test-timeout: 180 s; deno test: none) is replaced by this one.
const WAIT = { timeout: CHILD_LIMIT_MS + 10_000 };

const unavailable = namespaceUnavailable() || serversUnavailable();
if (unavailable) {
  console.warn(`!!! db (${runtimeName}): SKIPPED the real-database driver tests: ${unavailable} !!!`);
}

/**
 * What each driver does once the kernel has failed its connection, as docs/drivers.md says:
 * how a command in flight ends, and how the driver shows the loss when idle.
 */
const BEHAVIOUR: Record<DriverName, { own: Record<string, unknown>; inFlight: string; idle: RegExp }> = {
  "pg": { own: { enable: false }, inFlight: "rejected ETIMEDOUT", idle: /^pool "error" ETIMEDOUT$/ },
  "postgres": { own: { enable: true, idle: 60_000 }, inFlight: "rejected ETIMEDOUT", idle: /^onclose$/ },
  "ioredis": { own: { enable: true, idle: 30_000 }, inFlight: "pending", idle: /^"close" after error ETIMEDOUT$/ },
  "Bun SQL": {
    own: { enable: true, idle: 60_000 },
    inFlight: "rejected ERR_POSTGRES_CONNECTION_CLOSED",
    idle: /^onclose ERR_POSTGRES_CONNECTION_CLOSED$/,
  },
  "Bun RedisClient": {
    own: { enable: false },
    inFlight: "rejected ERR_REDIS_CONNECTION_CLOSED",
    idle: /^connected became false$/,
  },
};

let started: Promise<DbObservation[]> | undefined;

async function runChild(): Promise<DbObservation[]> {
  const begun = performance.now();
  const run = await runIsolated(runtimeCommand(CHILD, []), CHILD_LIMIT_MS);
  // What a busy machine needs, in the log of every run: the servers' start-up and the whole run.
  const startup = run.stdout.split("\n").find((l) => l.startsWith("PostgreSQL and Redis started in"));
  console.log(
    `db (${runtimeName}): ${startup ?? "servers not started"}; child done in ${
      Math.round(performance.now() - begun)
    } ms`,
  );
  const line = run.stdout.split("\n").find((l) => l.startsWith(DB_RESULT_PREFIX));
  if (line === undefined || run.code !== 0) {
    const why = run.timedOut ? `killed after ${CHILD_LIMIT_MS} ms` : `exit ${run.code ?? run.signal}`;
    throw new Error(`the driver scenarios failed (${why})\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`);
  }
  return JSON.parse(line.slice(DB_RESULT_PREFIX.length));
}

/** One observation; the first call starts the child. */
async function observed(driver: DriverName, scenario: DbScenario, library: boolean): Promise<DbObservation> {
  started ??= runChild();
  const found = (await started).find((o) => o.driver === driver && o.scenario === scenario && o.library === library);
  assert.ok(found, `nothing reported for ${driver} ${scenario}`);
  if (found.error !== undefined) assert.fail(`${driver} ${scenario} threw: ${found.error}`);
  const { settings: _, grown: __, reconnected: ___, ...shown } = found.facts;
  console.log(`${driver} ${scenario}${library ? "" : " (control)"}: ${JSON.stringify(shown)}`);
  return found;
}

const plan = deadPeerPlan(BOUND);
const planned = {
  keepAlive: { enable: true, idle: plan.idle, interval: plan.interval, count: plan.count },
  userTimeout: plan.userTimeout,
};

function assertPlanned(sockets: HeldSettings[], what: string): void {
  assert.ok(sockets.length > 0, `${what}: no connection found`);
  for (const s of sockets) {
    assert.deepEqual({ keepAlive: s.keepAlive, userTimeout: s.userTimeout }, planned, `${what}: port ${s.localPort}`);
  }
}

/**
 * The connections in ESTABLISHED (/proc/net/tcp state 01): a connection the server just ended may
 * linger a moment in CLOSE_WAIT until the driver closes it.
 */
function established(sockets: unknown): HeldSettings[] {
  return (sockets as HeldSettings[]).filter((s) => s.state === "01");
}

type Timed = { code: string | null; ms: number };

describe(`real databases under ${runtimeName}: drivers in private namespaces`, { skip: unavailable }, () => {
  for (const driver of DRIVERS) {
    const pool = serverOf(driver) === "postgres";
    describe(driver, () => {
      it(
        `the policy configures ${pool ? "every connection as the pool grows to 3 and " : ""}the new connection${
          pool ? "s" : ""
        } after the server ends the session${pool ? "s" : ""}`,
        WAIT,
        async () => {
          const { facts } = await observed(driver, "follows", true);
          const grown = established(facts.grown);
          const reconnected = established(facts.reconnected);
          assert.equal(grown.length, pool ? 3 : 1, "connections after growing");
          assertPlanned(grown, "after growing");
          const before = new Set(grown.map((s) => s.localPort));
          assert.ok(reconnected.every((s) => !before.has(s.localPort)), "every connection after the kill is new");
          assertPlanned(reconnected, "after reconnecting");
        },
      );
      const own = JSON.stringify(BEHAVIOUR[driver].own);
      it(`control: without the policy, every connection keeps the driver's own ${own}`, WAIT, async () => {
        const { facts } = await observed(driver, "follows", false);
        const sockets = [...established(facts.grown), ...established(facts.reconnected)];
        assert.ok(sockets.length >= 2);
        for (const s of sockets) {
          const keepAlive = s.keepAlive as Record<string, unknown>;
          for (const [key, value] of Object.entries(BEHAVIOUR[driver].own)) assert.equal(keepAlive[key], value, key);
          assert.equal(s.userTimeout, 0, "no user timeout");
        }
      });

      it(`idle: the driver shows a dead peer within detectWithin ${BOUND} ms`, WAIT, async () => {
        const { facts } = await observed(driver, "idle", true);
        assertPlanned(facts.settings as HeldSettings[], "before the cut");
        const lost = facts.lost as Timed;
        assert.notEqual(lost.code, null, `nothing after ${lost.ms} ms`);
        assert.match(lost.code!, BEHAVIOUR[driver].idle);
        assert.ok(lost.ms <= BOUND, `noticed after ${lost.ms} ms`);
        // What docs/drivers.md promises about the next command: it waits on a reconnect that cannot succeed.
        const after = facts.after as { outcome: string; ms: number };
        assert.equal(after.outcome, "pending", `a command sent after the loss: ${after.outcome} at ${after.ms} ms`);
        assert.ok(after.ms >= AFTER_WATCH);
        if (driver === "ioredis") {
          assert.ok((facts.driver as { events: string[] }).events.includes("reconnecting"), "ioredis reconnects");
        }
        if (driver === "Bun RedisClient") {
          assert.deepEqual((facts.driver as { onclose: string[] }).onclose, [], "RedisClient never calls onclose");
        }
      });
      it(`idle control: without the policy the driver shows nothing in ${CONTROL_WATCH} ms`, WAIT, async () => {
        const { facts } = await observed(driver, "idle", false);
        assert.equal((facts.lost as Timed).code, null);
      });

      it(`in flight: the driver shows a dead peer within ${BOUND} ms of sending`, WAIT, async () => {
        const { facts } = await observed(driver, "in-flight", true);
        assertPlanned(facts.settings as HeldSettings[], "before the cut");
        const quiet = facts.quietMs as number[];
        assert.ok(
          quiet.at(-1)! < plan.idle,
          `each attempt sent its command too late to be in flight before the first keep-alive probe (quiet ${
            quiet.join(", ")
          } ms after the last reply; the probe is due at ${plan.idle} ms)`,
        );
        const lost = facts.lost as Timed;
        const command = facts.command as { outcome: string; ms: number };
        assert.equal(command.outcome, BEHAVIOUR[driver].inFlight, `the command in flight at ${command.ms} ms`);
        const noticed = Math.min(
          lost.code === null ? Infinity : lost.ms,
          command.outcome === "pending" ? Infinity : command.ms,
        );
        assert.ok(noticed <= BOUND, `noticed after ${noticed} ms`);
      });
      it(`in-flight control: without the policy nothing is noticed in ${CONTROL_WATCH} ms`, WAIT, async () => {
        const { facts } = await observed(driver, "in-flight", false);
        assert.equal((facts.lost as Timed).code, null);
        assert.equal((facts.command as { outcome: string }).outcome, "pending");
      });

      it("over a Unix socket: configureSockets and the policy report the connection as skipped", WAIT, async () => {
        const { facts } = await observed(driver, "unix", true);
        const fds = facts.fds as number[];
        assert.equal(fds.length, 1, `the driver's Unix-socket connections: ${JSON.stringify(fds)}`);
        for (const key of ["configureSkipped", "policySkipped"]) {
          const skipped = facts[key] as { fd: number; kind: string; reason: string; detail: string }[];
          assert.equal(skipped.length, 1, `${key}: ${JSON.stringify(skipped)}`);
          assert.equal(skipped[0].kind, "unix", key);
          assert.equal(skipped[0].reason, "not-tcp", key);
        }
      });
    });
  }
});
