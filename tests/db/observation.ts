/** What the driver scenarios report to tests/db.test.ts. */
import type { DriverName } from "./drivers.ts";
import { SERVER_START_LIMIT_MS } from "./servers.ts";

/**
 * How long tests/db/child.ts may take before it gives up and names the scenarios still running:
 * the servers' start-up, then every scenario of every client at once. About 8 s at nice -10
 * (tests/db/namespace.ts), idle or with two busy loops per core beside it; at normal priority,
 * with those loops beside other jobs, it took up to 63 s, past the 60 s this once was. Its own
 * waits are bounded by 30 s each.
 */
export const CHILD_WATCHDOG_MS: number = SERVER_START_LIMIT_MS + 90_000;

/** What tests/db/child.ts prints, as its last stdout line, after this prefix. */
export const DB_RESULT_PREFIX = "DB-RESULT ";

/** A scenario's name. */
export type DbScenario = "follows" | "idle" | "in-flight" | "unix";

/** One scenario's measurement for one client, with the policy (`library`) or without (the control). */
export interface DbObservation {
  readonly driver: DriverName;
  readonly scenario: DbScenario;
  readonly library: boolean;
  readonly facts: Record<string, unknown>;
  /** Set when the scenario itself threw, instead of measuring. */
  readonly error?: string;
}
