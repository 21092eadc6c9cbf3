/**
 * The user timeout: how long sent data may stay unacknowledged before the connection is dropped,
 * as a named use of the option table.
 *
 * @module
 */
import { resolveFd, type SocketHandle } from "../handles/resolve.ts";
import { applyOption, hostOption, prepareOption, readOptionOf } from "./core_options.ts";
import { copyOptions, describeValue, toKernelDuration } from "../values.ts";

/**
 * How {@link setUserTimeout} takes its value.
 *
 * @example A deliberate 500 ms user timeout (Linux keeps milliseconds; macOS and FreeBSD round up to 1 s)
 * ```ts
 * import { setUserTimeout, type UserTimeoutOptions } from "jsr:@sockopts/sockopts";
 *
 * const FAST: UserTimeoutOptions = { subSecond: true };
 *
 * export function failWithinHalfASecond(fd: number): void {
 *   setUserTimeout(fd, 500, FAST);
 * }
 * ```
 */
export interface UserTimeoutOptions {
  /**
   * Take a value under one second as meant. Without it, 1..999 ms is refused with a RangeError
   * ("did you mean 2_500?"), because it is almost always seconds written as milliseconds.
   */
  readonly subSecond?: boolean;
}

function subSecondOf(options: unknown): boolean {
  const { subSecond } = copyOptions("Cannot set TCP_USER_TIMEOUT", "an options object", options, ["subSecond"]);
  if (subSecond === undefined || typeof subSecond === "boolean") return subSecond === true;
  throw new TypeError(`Cannot set TCP_USER_TIMEOUT: expected a boolean for subSecond, got ${describeValue(subSecond)}`);
}

/**
 * Bounds how long transmitted data may stay unacknowledged (and, on Linux, how long keep-alive
 * probes may go unanswered) before the kernel drops the connection with ETIMEDOUT.
 *
 * Linux sets TCP_USER_TIMEOUT in ms (fractions round up). macOS sets TCP_RXT_CONNDROPTIME and
 * FreeBSD TCP_MAXUNACKTIME (the time within which at least one byte must be acknowledged), which
 * count seconds, so the value rounds up to whole seconds. 0 restores the system default (on
 * FreeBSD: no limit).
 *
 * The value is in **milliseconds**: 1..999 is refused as seconds written by mistake
 * (`setUserTimeout(s, 2.5)` would drop the connection at its first 3 ms stall) unless
 * `{ subSecond: true }` says it is meant.
 *
 * @param socket A socket handle ({@link SocketHandle}): a file descriptor, or a Deno, Bun or `node:net` socket, listener or server.
 * @param ms The timeout in ms (Linux: 0 or 1000..2147483647, or 1..999 with `subSecond`; macOS: up to 2147483647000; FreeBSD: up to 4294967000).
 * @param options `{ subSecond: true }` to take a value under one second as meant.
 * @returns Nothing: once it returns, the kernel holds the timeout ({@link getUserTimeout} reads it back).
 * @throws {TypeError} for a value or option of the wrong type.
 * @throws {RangeError} for a value outside the kernel's range, or under one second without `subSecond`.
 * @throws {SockoptError} when the kernel refuses, or the socket is not TCP.
 *
 * @example Failing writes to a vanished peer after 20 seconds
 * ```ts
 * import { setUserTimeout } from "jsr:@sockopts/sockopts";
 *
 * export function failFast(fd: number): void {
 *   setUserTimeout(fd, 20_000);
 * }
 * ```
 */
export function setUserTimeout(socket: SocketHandle, ms: number, options?: UserTimeoutOptions): void {
  const subSecond = options === undefined ? false : subSecondOf(options);
  const constant = hostOption("TCP_USER_TIMEOUT");
  const value = subSecond
    ? toKernelDuration("TCP_USER_TIMEOUT", constant, ms, true)
    : prepareOption("TCP_USER_TIMEOUT", constant, ms);
  applyOption(resolveFd(socket, "Cannot set TCP_USER_TIMEOUT"), "TCP_USER_TIMEOUT", constant, value);
}

/**
 * Reads the user timeout (Linux TCP_USER_TIMEOUT, macOS TCP_RXT_CONNDROPTIME, FreeBSD
 * TCP_MAXUNACKTIME).
 *
 * @param socket A socket handle ({@link SocketHandle}): a file descriptor, or a Deno, Bun or `node:net` socket, listener or server.
 * @returns The timeout in ms; 0 means the system default (on FreeBSD: no limit).
 * @throws {SockoptError} when the kernel refuses, or the socket is not TCP.
 *
 * @example Reading the user timeout
 * ```ts
 * import { getUserTimeout } from "jsr:@sockopts/sockopts";
 *
 * export function userTimeout(fd: number): number {
 *   return getUserTimeout(fd); // 0 until set
 * }
 * ```
 */
export function getUserTimeout(socket: SocketHandle): number {
  const fd = resolveFd(socket, "Cannot get TCP_USER_TIMEOUT");
  return readOptionOf(fd, "TCP_USER_TIMEOUT", hostOption("TCP_USER_TIMEOUT"));
}
