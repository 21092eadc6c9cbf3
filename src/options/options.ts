/**
 * The option table: every option of the schema (option_schema.ts) with what each OS calls it,
 * and {@link getOption} and {@link setOption} typed from it.
 *
 * @module
 */
import { darwin, darwinCore } from "../../platforms/darwin/constants.ts";
import { freebsd, freebsdCore } from "../../platforms/freebsd/constants.ts";
import { linux, linuxCore } from "../../platforms/linux/constants.ts";
import { windows, windowsCore } from "../../platforms/windows/constants.ts";
import { OPTION_NOTES } from "../../platforms/notes.ts";
import type { OptionConstant, OptionName, OsName, PlatformConstants, PlatformTable } from "../../platforms/types.ts";
import { resolveFd, type SocketHandle } from "../handles/resolve.ts";
import { encodeOption, readOption, writeOption } from "./option_values.ts";
import {
  type OptionInfo,
  optionSchema,
  type OptionTable,
  type OptionValue,
  type WritableOptionName,
} from "./option_schema.ts";

import { currentHost, optionConstant } from "../sys/host.ts";
import { describeValue } from "../values.ts";

const SCHEMA = optionSchema;
const PLATFORMS: readonly PlatformTable[] = [linux, darwin, freebsd, windows];

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

// The OS tables hold no prose (so every set and get need not carry it): the notes join here.
function noted(platform: PlatformTable, name: OptionName): OptionConstant | null {
  const constant = platform.options[name];
  const note = OPTION_NOTES[platform.os][name];
  return constant === null || note === undefined ? constant : { ...constant, note };
}

function buildTable(): OptionTable {
  const table: Record<string, OptionInfo> = {};
  for (const name of Object.keys(SCHEMA) as OptionName[]) {
    const entry = SCHEMA[name];
    const os = {
      linux: noted(linux, name),
      darwin: noted(darwin, name),
      freebsd: noted(freebsd, name),
      windows: noted(windows, name),
    };
    table[name] = {
      name,
      level: entry.level,
      type: entry.type,
      readOnly: entry.readOnly,
      summary: entry.summary,
      supportedOn: PLATFORMS.filter((p) => p.options[name] !== null).map((p) => p.os),
      os,
    };
  }
  return deepFreeze(table as unknown as OptionTable);
}

/**
 * Every option sockopts can read or set, on every OS it knows: level, value type, read-only or
 * not, which OSes have it, and per OS its native name, level, optname, kernel unit and accepted
 * range. Frozen, so tools can list it but not change it.
 *
 * @example Listing the options this OS supports
 * ```ts
 * import { options } from "jsr:@sockopts/sockopts";
 *
 * const here = Object.values(options).filter((o) => o.supportedOn.includes("linux"));
 * console.log(here.map((o) => `${o.name}: ${o.type}${o.readOnly ? " (read-only)" : ""}`).join("\n"));
 * ```
 */
// Pure: a bundle that never reads `options` drops the table (and buildTable) altogether.
export const options: OptionTable = /* @__PURE__ */ buildTable();

const NAMES = /* @__PURE__ */ Object.keys(SCHEMA);

function checkName(name: unknown, action: "get" | "set"): OptionName {
  if (typeof name !== "string" || !NAMES.includes(name)) {
    const shown = typeof name === "string" ? JSON.stringify(name) : describeValue(name);
    throw new TypeError(`Cannot ${action} option ${shown}: unknown option (expected one of ${NAMES.join(", ")})`);
  }
  return name as OptionName;
}

const CORES: Readonly<Record<OsName, PlatformConstants>> = {
  linux: linuxCore,
  darwin: darwinCore,
  freebsd: freebsdCore,
  windows: windowsCore,
};
const TABLES: Readonly<Record<OsName, PlatformTable>> = { linux, darwin, freebsd, windows };

/**
 * Any option's constants on this OS, from its full table: the host runs on its OS's core table;
 * a host that tests put in place holds a full table, used as it is.
 * @throws {UnsupportedError} naming the OS where it lacks the option.
 */
function anyHostOption(name: OptionName): OptionConstant {
  const { platform } = currentHost();
  return optionConstant(platform === CORES[platform.os] ? TABLES[platform.os] : platform as PlatformTable, name);
}

/**
 * Reads one socket option, by its canonical (Linux) name, on the current OS. The value's type
 * comes from the option table: booleans for flags, milliseconds for durations, a string for
 * TCP_CONGESTION, `{ enable, seconds }` for SO_LINGER, a bigint for SO_COOKIE. See
 * {@link options} for each option's type, and docs/options.md for what each OS reads back.
 *
 * @param socket A socket handle ({@link SocketHandle}): a file descriptor, or a Deno, Bun or `node:net` socket, listener or server.
 * @param name The option, such as `"TCP_NODELAY"`.
 * @returns The option's value, converted from the kernel's unit.
 * @throws {TypeError} for an unknown option or socket.
 * @throws {UnsupportedError} where this OS lacks the option, naming the OS.
 * @throws {SockoptError} when the kernel refuses.
 *
 * @example Reading a few options of a connection
 * ```ts
 * import { getOption } from "jsr:@sockopts/sockopts";
 *
 * export function describe(fd: number): string {
 *   const noDelay: boolean = getOption(fd, "TCP_NODELAY");
 *   const rcvbuf: number = getOption(fd, "SO_RCVBUF");
 *   return `nodelay=${noDelay} rcvbuf=${rcvbuf} cc=${getOption(fd, "TCP_CONGESTION")}`;
 * }
 * ```
 */
export function getOption<N extends OptionName>(socket: SocketHandle, name: N): OptionValue<N> {
  const option = checkName(name, "get");
  const fd = resolveFd(socket, `Cannot get ${option}`);
  return readOption(fd, name, anyHostOption(option)) as OptionValue<N>;
}

/**
 * Sets one socket option, by its canonical (Linux) name, on the current OS. The value is checked
 * against the option's type and this OS's kernel range before any system call; durations are
 * milliseconds and round up to whole seconds where the kernel keeps seconds. Read-only options
 * (SO_ERROR, SO_TYPE, SO_ACCEPTCONN, SO_COOKIE) are not accepted, by the types or at run time.
 *
 * @param socket A socket handle ({@link SocketHandle}): a file descriptor, or a Deno, Bun or `node:net` socket, listener or server.
 * @param name The option, such as `"TCP_NODELAY"`.
 * @param value The value, of the option's type.
 * @returns Nothing: once it returns, the kernel holds the value ({@link getOption} reads it back).
 * @throws {TypeError} for an unknown or read-only option, an unknown socket, or a value of the wrong type.
 * @throws {RangeError} for a value outside the kernel's range, naming the option, the value and the range.
 * @throws {UnsupportedError} where this OS lacks the option, naming the OS.
 * @throws {SockoptError} when the kernel refuses (TCP_CONGESTION with an unknown algorithm: ENOENT on Linux).
 *
 * @example Tuning a connection for small, latency-sensitive messages
 * ```ts
 * import { setOption } from "jsr:@sockopts/sockopts";
 *
 * export function tune(fd: number): void {
 *   setOption(fd, "TCP_NODELAY", true);
 *   setOption(fd, "SO_SNDBUF", 256 * 1024);
 *   setOption(fd, "SO_LINGER", { enable: true, seconds: 5 });
 *   setOption(fd, "TCP_CONGESTION", "cubic");
 * }
 * ```
 */
export function setOption<N extends WritableOptionName>(socket: SocketHandle, name: N, value: OptionValue<N>): void {
  const option = checkName(name, "set");
  if (SCHEMA[option].readOnly) throw new TypeError(`Cannot set ${option}: it is read-only`);
  const constant = anyHostOption(option);
  const encoded = encodeOption(name, constant, value);
  writeOption(resolveFd(socket, `Cannot set ${option}`), name, constant, encoded);
}
