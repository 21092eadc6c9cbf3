/**
 * keepConfigured: a policy that keeps every matching TCP socket of this process configured, its
 * arguments checked before anything runs (policy.ts holds the running policy).
 *
 * @module
 */
import { checkPolicyOptions } from "./policy_options.ts";
import type { PolicyOptions, SocketPolicy } from "./policy_types.ts";
import { checkFilter, checkSettings, type SocketFilter, type SocketSettings } from "./socket_filter.ts";
import { Policy } from "./policy.ts";

/**
 * Keeps every TCP socket of this process that matches `filter` configured with `settings`, for as
 * long as the policy runs: sockets that appear later (a pool growing, a driver reconnecting) are
 * configured on the next tick, a socket still connecting is configured at once and again once
 * established, each is checked by every tick of its first second established (a driver's connect
 * handler may have set its own keep-alive) and set again if it was, and with `reassert` values a
 * driver overwrote at any time are set again. A socket is known by the kernel's identity (Linux:
 * its cookie; elsewhere fd and addresses), so a reused fd number is a new socket. The first tick
 * runs before this returns; then a timer that never keeps the process alive ticks every `period`
 * ms, and {@link SocketPolicy.refresh} ticks on demand. A timer tick shares the event loop: its
 * work (tens of ms of system calls at 20,000 fds) runs in slices of about 2 ms with a turn of the
 * loop between two; the first tick and `refresh()` run theirs at once, since their callers wait
 * for the report. Like an interval, a policy runs until `stop()`: its timer holds it, so one whose
 * value is dropped keeps configuring sockets (one that stopped when garbage-collected would stop
 * at a moment nobody chose, leaving the sockets opened after it unconfigured without a word).
 *
 * @param filter Which sockets, as {@link configureSockets} takes it.
 * @param settings What to apply, as {@link configureSockets} takes it (`{ detectWithin }` is the usual choice).
 * @param options `{ period?, reassert?, onReport? }`.
 * @returns The running policy: `refresh()`, `report`, `stats`, `sockets`, `stop()`, and `using`.
 * @throws {TypeError} for a filter, setting or option of the wrong type, before any system call.
 * @throws {RangeError} for a value out of range, before any system call.
 * @throws {UnsupportedError} on an OS or runtime sockopts cannot drive.
 *
 * @example Every PostgreSQL connection of a growing pool notices a dead server within 30 s
 * ```ts
 * import { keepConfigured } from "jsr:@sockopts/sockopts";
 *
 * using policy = keepConfigured({ remotePort: 5432 }, { detectWithin: 30_000 }, {
 *   onReport: (r) => r.failed.forEach((f) => console.warn(f.detail)),
 * });
 * // … the pool opens, grows and reconnects; each new socket is configured within one period.
 * console.log(policy.stats);
 * ```
 */
export function keepConfigured(
  filter: SocketFilter,
  settings: SocketSettings,
  options?: PolicyOptions,
): SocketPolicy {
  const f = checkFilter(filter);
  const s = checkSettings(settings);
  const o = checkPolicyOptions(options === undefined ? {} : options);
  return new Policy(f, s, o.period, o.reassert, o.onReport);
}
