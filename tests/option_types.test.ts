/**
 * Type-level tests. `npm test` runs `deno check` on this file: every `@ts-expect-error` line must
 * be a type error (TypeScript fails the check on an unused one), and every annotated `const` must
 * type-check. The function is never called, so no socket is touched; the runtime checks live in
 * options.test.ts.
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import {
  getOption,
  getTcpInfo,
  type Linger,
  type OptionName,
  options,
  type OptionValue,
  setOption,
  type TcpState,
  type WritableOptionName,
} from "../mod.ts";

export function typeChecks(s: number): unknown[] {
  // @ts-expect-error TCP_NODELAY takes a boolean, not a number
  setOption(s, "TCP_NODELAY", 5);
  // @ts-expect-error SO_TYPE is read-only
  setOption(s, "SO_TYPE", 1);
  // @ts-expect-error SO_COOKIE is read-only
  setOption(s, "SO_COOKIE", 1n);
  // @ts-expect-error SO_ERROR is read-only
  setOption(s, "SO_ERROR", 0);
  // @ts-expect-error SO_ACCEPTCONN is read-only
  setOption(s, "SO_ACCEPTCONN", true);
  // @ts-expect-error no such option
  getOption(s, "TCP_NODELAYY");
  // @ts-expect-error durations are milliseconds, as numbers
  setOption(s, "TCP_KEEPIDLE", "30s");
  // @ts-expect-error TCP_CONGESTION takes a name
  setOption(s, "TCP_CONGESTION", 13);
  // @ts-expect-error SO_LINGER needs seconds as well
  setOption(s, "SO_LINGER", { enable: true });
  // @ts-expect-error SO_LINGER is a struct, not a boolean
  setOption(s, "SO_LINGER", true);
  // @ts-expect-error SO_TYPE reads as a number
  const notBoolean: boolean = getOption(s, "SO_TYPE");
  // @ts-expect-error SO_COOKIE reads as a bigint
  const notNumber: number = getOption(s, "SO_COOKIE");
  // @ts-expect-error state is a name, not a number
  const notState: number = getTcpInfo(s).state;

  setOption(s, "TCP_NODELAY", true);
  setOption(s, "SO_LINGER", { enable: true, seconds: 5 });
  setOption(s, "TCP_CONGESTION", "cubic");
  setOption(s, "TCP_KEEPIDLE", 30_000);
  const noDelay: boolean = getOption(s, "TCP_NODELAY");
  const cookie: bigint = getOption(s, "SO_COOKIE");
  const linger: Linger = getOption(s, "SO_LINGER");
  const algorithm: string = getOption(s, "TCP_CONGESTION");
  const idle: number = getOption(s, "TCP_KEEPIDLE");
  const type: number = getOption(s, "SO_TYPE");
  const state: TcpState = getTcpInfo(s).state;
  const rto: number | null = getTcpInfo(s).rto;
  const value: OptionValue<"SO_RCVBUF"> = 65_536;
  const readOnly: true = options.SO_COOKIE.readOnly;
  const writable: false = options.TCP_NODELAY.readOnly;
  return [
    notBoolean,
    notNumber,
    notState,
    noDelay,
    cookie,
    linger,
    algorithm,
    idle,
    type,
    state,
    rto,
    value,
    readOnly,
    writable,
  ];
}

// The writable names are exactly the table's options minus the four read-only ones.
type ReadOnlyName = Exclude<OptionName, WritableOptionName>;
const readOnlyNames: Record<ReadOnlyName, true> = {
  SO_ERROR: true,
  SO_TYPE: true,
  SO_ACCEPTCONN: true,
  SO_COOKIE: true,
};

it("type-level checks are compiled by deno check (npm test)", () => {
  assert.equal(typeof typeChecks, "function");
  assert.deepEqual(
    Object.keys(readOnlyNames).sort(),
    Object.values(options).filter((o) => o.readOnly).map((o) => o.name).sort(),
  );
});
