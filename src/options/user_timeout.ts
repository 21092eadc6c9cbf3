/**
 * The user timeout: how long sent data may stay unacknowledged before the connection is dropped,
 * as a named use of the option table.
 *
 * @module
 */
import { resolveFd, type SocketHandle } from "../handles/resolve.ts";
import { applyOption, hostOption, prepareOption, readOptionOf } from "./core_options.ts";

/**
 * Bounds how long transmitted data may stay unacknowledged (and, on Linux, how long keep-alive
 * probes may go unanswered) before the kernel drops the connection with ETIMEDOUT.
 *
 * Linux sets TCP_USER_TIMEOUT in ms (fractions round up). macOS sets TCP_RXT_CONNDROPTIME and
 * FreeBSD TCP_MAXUNACKTIME (the time within which at least one byte must be acknowledged), which
 * count seconds, so the value rounds up to whole seconds. 0 restores the system default (on
 * FreeBSD: no limit).
 *
 * @param socket A socket handle ({@link SocketHandle}): a file descriptor, or a Deno, Bun or `node:net` socket, listener or server.
 * @param ms The timeout in ms (Linux: 0..2147483647; macOS: 0..2147483647000; FreeBSD: 0..4294967000).
 * @returns Nothing: once it returns, the kernel holds the timeout ({@link getUserTimeout} reads it back).
 * @throws {RangeError} for a value outside the kernel's range.
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
export function setUserTimeout(socket: SocketHandle, ms: number): void {
  const constant = hostOption("TCP_USER_TIMEOUT");
  const value = prepareOption("TCP_USER_TIMEOUT", constant, ms);
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
