/** What the driver scenarios report to tests/db.test.ts. */
import type { DriverName } from "./drivers.ts";

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
