/**
 * The README's connect hooks (`pool.on("connect", () => policy.refresh())`, Bun `SQL`'s
 * `onconnect`) against real PostgreSQL and Redis on loopback, with each driver's own keep-alive
 * on (pg `keepAlive: true`, postgres's `keep_alive`, ioredis's `keepAlive`, Bun `SQL`'s own): 30
 * connections open at once, so that hooks refresh the policy while other connections are
 * established in the kernel but their driver's connect handler, which sets the driver's own
 * keep-alive, has not run yet. Every connection must end with the policy's values.
 *
 * Needs PostgreSQL's server and `redis-server` (`.ci/run` installs them); anywhere else the suite
 * is skipped with one line saying why.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { deadPeerPlan } from "../mod.ts";
import { CONNECTIONS, HOOK_BOUND, type HookDriver, hooked, OWN_IDLE, type Pattern } from "./db/hooks.ts";
import { type LoopbackServers, SERVER_START_LIMIT_MS, serversUnavailable, startLoopbackServers } from "./db/servers.ts";
import { isBun, runtimeName } from "./support/runtime.ts";

const unavailable = serversUnavailable();
if (unavailable) {
  console.warn(
    `!!! db hooks (${runtimeName}): SKIPPED the connect-hook tests against real servers: ${unavailable} !!!`,
  );
}

const DRIVERS: readonly HookDriver[] = isBun ? ["pg", "postgres", "ioredis", "Bun SQL"] : ["pg", "postgres", "ioredis"];
const PATTERNS: readonly Pattern[] = ["at once", "one every 2 ms"];
/** The servers' start-up (first test only), then 30 connections and two ticks: a few seconds on a busy machine. */
const TIMEOUT = SERVER_START_LIMIT_MS + 60_000;

const plan = deadPeerPlan(HOOK_BOUND);
const planned = {
  keepAlive: { enable: true, idle: plan.idle, interval: plan.interval, count: plan.count },
  userTimeout: plan.userTimeout,
};

// Started by the first test rather than a `before` hook: a hook's failure reaches the report as
// "cancelled by parent" under node --test and not at all under Deno, where this shows the error.
let servers: Promise<LoopbackServers> | undefined;
function started(): Promise<LoopbackServers> {
  servers ??= startLoopbackServers().then((s) => {
    console.log(`db hooks: PostgreSQL and Redis started in ${s.startupMs} ms`);
    return s;
  });
  return servers;
}

describe(`the README's connect hooks under ${runtimeName}, drivers with their own keep-alive on`, {
  skip: unavailable,
}, () => {
  after(async () => {
    await (await servers?.catch(() => undefined))?.stop();
  });

  for (const driver of DRIVERS) {
    for (const pattern of PATTERNS) {
      const own = `its own ${OWN_IDLE[driver] / 1000} s idle`;
      const how = driver === "postgres" ? "beside a pg Pool whose connect hook refreshes the policy" : "hooked";
      it(`${driver} (${own}), ${CONNECTIONS} connections ${pattern}, ${how}: every one ends with the policy's values`, {
        timeout: TIMEOUT,
      }, async () => {
        const facts = await hooked(driver, await started(), pattern);
        const { held } = facts;
        console.log(
          `${driver}, ${pattern}: ${held.length} connections, ${facts.refreshes} refresh() calls, ${facts.ticks} ticks, ${facts.reasserted} set again; opened in ${facts.openMs} ms, two more ticks in ${facts.ticksMs} ms`,
        );
        assert.equal(held.length, driver === "postgres" ? 2 * CONNECTIONS : CONNECTIONS, "connections open");
        const wrong = held.filter((h) =>
          !isDeepStrictEqual({ keepAlive: h.keepAlive, userTimeout: h.userTimeout }, planned)
        );
        assert.deepEqual(
          wrong,
          [],
          `${wrong.length} of ${held.length} connections kept what the driver set: ${
            JSON.stringify(wrong.slice(0, 3))
          } (the policy's: ${JSON.stringify(planned)})`,
        );
      });
    }
  }
});
