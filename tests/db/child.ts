/**
 * Starts PostgreSQL and Redis inside this private namespace, runs every driver scenario for every
 * client this runtime has, all at once, stops the servers and prints the observations as one
 * `DB-RESULT {json}` line. tests/db.test.ts starts it through runIsolated; it refuses to run
 * anywhere else, since it binds the servers to the whole loopback and loads nftables rules.
 */
import pg from "pg";
import { Redis } from "ioredis";
import { assertPrivateNamespace } from "../e2e/namespace.ts";
import { type DriverName, DRIVERS, serverOf } from "./drivers.ts";
import { follows, idle, inFlight, type Setup, unix } from "./scenarios.ts";
import {
  CHILD_WATCHDOG_MS as WATCHDOG_MS,
  DB_RESULT_PREFIX,
  type DbObservation,
  type DbScenario,
} from "./observation.ts";
import { startPostgres, startRedis } from "./servers.ts";
const PG_PORT = 5432;
const REDIS_PORT = 6379;

assertPrivateNamespace();
/** The scenarios not finished yet, named for the watchdog's message. */
const pending = new Set<string>(["starting the servers"]);
setTimeout(() => {
  console.error(`driver scenarios still running after ${WATCHDOG_MS} ms: ${[...pending].join(", ")}`);
  process.exit(3);
}, WATCHDOG_MS).unref?.();
// This namespace has only loopback: the wildcard lets each scenario use its own 127.0.0.N.
const begun = performance.now();
const [postgres, redis] = await Promise.all([startPostgres(PG_PORT, "0.0.0.0"), startRedis(REDIS_PORT, "0.0.0.0")]);
console.log(`PostgreSQL and Redis started in ${Math.round(performance.now() - begun)} ms`);
pending.delete("starting the servers");
// The scenarios' clients reach the servers over TCP; the test's own admin sessions over Unix sockets.
const admin = new pg.Client({ host: postgres.socketDir, port: PG_PORT, user: postgres.user, database: "postgres" });
await admin.connect();
const redisAdmin = new Redis({ path: redis.socketPath });
let next = 2;
let kills: Promise<unknown> = Promise.resolve();
const setup: Setup = {
  pgPort: PG_PORT,
  pgSocketDir: postgres.socketDir,
  pgUser: postgres.user,
  redisPort: REDIS_PORT,
  redisSocket: redis.socketPath,
  address: () => `127.0.0.${next++}`,
  kill(driver, address, tag) {
    // One admin session runs one query at a time: the scenarios' kills queue behind each other.
    const kill = () =>
      serverOf(driver) === "redis"
        ? redisAdmin.call("CLIENT", "KILL", "LADDR", `${address}:${REDIS_PORT}`)
        : admin.query("select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1", [tag]);
    const done = kills.then(kill);
    kills = done.catch(() => {});
    return done.then(() => {});
  },
};
/** Runs one scenario; a scenario that throws is reported, not fatal. */
function measure(
  driver: DriverName,
  scenario: DbScenario,
  library: boolean,
  run: () => Promise<Record<string, unknown>>,
): Promise<DbObservation> {
  const name = `${driver} ${scenario}${library ? "" : " (control)"}`;
  pending.add(name);
  return run().then(
    (facts) => ({ driver, scenario, library, facts }),
    (error) => ({ driver, scenario, library, facts: {}, error: String(error?.stack ?? error) }),
  ).finally(() => pending.delete(name));
}

const runs: Promise<DbObservation>[] = [];
for (const driver of DRIVERS) {
  for (const library of [true, false]) {
    runs.push(measure(driver, "follows", library, () => follows(setup, driver, library)));
    runs.push(measure(driver, "idle", library, () => idle(setup, driver, library)));
    runs.push(measure(driver, "in-flight", library, () => inFlight(setup, driver, library)));
  }
}
const observations = await Promise.all(runs);
// The Unix-socket scenarios filter by port alone, so they run once the others are done.
for (const driver of DRIVERS) observations.push(await measure(driver, "unix", true, () => unix(setup, driver)));
redisAdmin.disconnect();
await admin.end().catch(() => {});
await Promise.all([postgres.stop(), redis.stop()]);
// Exit once the line is written: clients of dead peers would otherwise keep the process alive.
process.stdout.write(`${DB_RESULT_PREFIX}${JSON.stringify(observations)}\n`, () => process.exit(0));
