/**
 * The option table: every option sockopts knows, what its value is, and what each OS calls it,
 * with {@link getOption} and {@link setOption} typed from it. The per-OS numbers, ranges and units
 * live in `platforms/*.ts`; this module adds what is the same everywhere (level, value type,
 * read-only) and the functions.
 *
 * @module
 */
import { darwin, darwinCore } from "../platforms/darwin.ts";
import { freebsd, freebsdCore } from "../platforms/freebsd.ts";
import { linux, linuxCore } from "../platforms/linux.ts";
import { OPTION_NOTES } from "../platforms/notes.ts";
import type { OptionConstant, OptionName, OsName, PlatformConstants, PlatformTable } from "../platforms/types.ts";
import { resolveFd, type SocketHandle } from "./handle.ts";
import { encodeOption, type Linger, readOption, writeOption } from "./option_values.ts";
import { currentHost, optionConstant } from "./platform.ts";

/**
 * What an option's value is, as the caller sees it:
 *
 * - `bool`: a boolean;
 * - `int`: a whole number (a count, a flag or a type code);
 * - `bytes`: a whole number of bytes;
 * - `ms`: milliseconds; where the kernel keeps whole seconds (its `unit` is `seconds`), values
 *   round up to the next second and read back as multiples of 1000;
 * - `string`: a name, such as `"cubic"`;
 * - `struct`: SO_LINGER's `{ enable, seconds }`;
 * - `bigint`: a 64-bit unsigned integer (SO_COOKIE).
 *
 * @example Listing the options that take milliseconds
 * ```ts
 * import { options, type OptionType } from "jsr:@sockopts/sockopts";
 *
 * const wanted: OptionType = "ms";
 * console.log(Object.values(options).filter((o) => o.type === wanted).map((o) => o.name));
 * ```
 */
export type OptionType = "bool" | "int" | "bytes" | "ms" | "string" | "struct" | "bigint";

/**
 * The option level, named: the number differs between OSes (`SOL_SOCKET` is 1 on Linux, 0xffff on BSDs).
 *
 * @example The TCP-level options
 * ```ts
 * import { type OptionLevel, options } from "jsr:@sockopts/sockopts";
 *
 * const level: OptionLevel = "IPPROTO_TCP";
 * console.log(Object.values(options).filter((o) => o.level === level).map((o) => o.name));
 * ```
 */
export type OptionLevel = "SOL_SOCKET" | "IPPROTO_TCP";

/**
 * What {@link optionSchema} says about one option.
 *
 * @example Describing an option
 * ```ts
 * import { optionSchema, type OptionSchemaEntry } from "jsr:@sockopts/sockopts";
 *
 * const entry: OptionSchemaEntry = optionSchema.SO_RCVBUF;
 * console.log(`${entry.level} ${entry.type}: ${entry.summary}`);
 * ```
 */
export interface OptionSchemaEntry {
  /** The level it is set at. */
  readonly level: OptionLevel;
  /** The caller's type for its value. */
  readonly type: OptionType;
  /** Only getOption can be used. */
  readonly readOnly: boolean;
  /** What it does, in a few words. */
  readonly summary: string;
}

/**
 * What is the same about each option on every OS: level, value type, read-only or not. The
 * literal types of this constant are what {@link getOption} and {@link setOption} derive their
 * signatures from; {@link options} adds each OS's numbers and ranges.
 *
 * @example Finding the options that take milliseconds
 * ```ts
 * import { optionSchema } from "jsr:@sockopts/sockopts";
 *
 * const durations = Object.entries(optionSchema).filter(([, o]) => o.type === "ms").map(([name]) => name);
 * console.log(durations); // TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_USER_TIMEOUT
 * ```
 */
export const optionSchema = {
  SO_KEEPALIVE: {
    level: "SOL_SOCKET",
    type: "bool",
    readOnly: false,
    summary: "Send keep-alive probes on an idle connection",
  },
  SO_REUSEADDR: {
    level: "SOL_SOCKET",
    type: "bool",
    readOnly: false,
    summary: "Allow binding an address in TIME_WAIT",
  },
  SO_REUSEPORT: {
    level: "SOL_SOCKET",
    type: "bool",
    readOnly: false,
    summary: "Allow several sockets to bind one port",
  },
  SO_RCVBUF: { level: "SOL_SOCKET", type: "bytes", readOnly: false, summary: "Receive buffer size" },
  SO_SNDBUF: { level: "SOL_SOCKET", type: "bytes", readOnly: false, summary: "Send buffer size" },
  SO_LINGER: { level: "SOL_SOCKET", type: "struct", readOnly: false, summary: "How close() treats unsent data" },
  SO_ERROR: { level: "SOL_SOCKET", type: "int", readOnly: true, summary: "Pending socket error (an errno number)" },
  SO_TYPE: { level: "SOL_SOCKET", type: "int", readOnly: true, summary: "Socket type (SOCK_STREAM, SOCK_DGRAM, …)" },
  SO_ACCEPTCONN: { level: "SOL_SOCKET", type: "bool", readOnly: true, summary: "The socket is listening" },
  SO_COOKIE: { level: "SOL_SOCKET", type: "bigint", readOnly: true, summary: "Unique socket identifier" },
  TCP_NODELAY: {
    level: "IPPROTO_TCP",
    type: "bool",
    readOnly: false,
    summary: "Send small segments at once (no Nagle)",
  },
  TCP_KEEPIDLE: {
    level: "IPPROTO_TCP",
    type: "ms",
    readOnly: false,
    summary: "Idle time before the first keep-alive probe",
  },
  TCP_KEEPINTVL: {
    level: "IPPROTO_TCP",
    type: "ms",
    readOnly: false,
    summary: "Time between unanswered keep-alive probes",
  },
  TCP_KEEPCNT: {
    level: "IPPROTO_TCP",
    type: "int",
    readOnly: false,
    summary: "Unanswered probes before the connection drops",
  },
  TCP_USER_TIMEOUT: {
    level: "IPPROTO_TCP",
    type: "ms",
    readOnly: false,
    summary: "How long sent data may stay unacknowledged",
  },
  TCP_MAXSEG: { level: "IPPROTO_TCP", type: "bytes", readOnly: false, summary: "Largest segment to send (MSS)" },
  TCP_QUICKACK: {
    level: "IPPROTO_TCP",
    type: "bool",
    readOnly: false,
    summary: "Acknowledge at once instead of delaying ACKs",
  },
  TCP_CONGESTION: { level: "IPPROTO_TCP", type: "string", readOnly: false, summary: "Congestion-control algorithm" },
  TCP_FASTOPEN: { level: "IPPROTO_TCP", type: "int", readOnly: false, summary: "TCP Fast Open on a listener" },
  TCP_NOTSENT_LOWAT: {
    level: "IPPROTO_TCP",
    type: "bytes",
    readOnly: false,
    summary: "Unsent bytes at which the socket is writable",
  },
} as const satisfies { readonly [N in OptionName]: OptionSchemaEntry };
// `satisfies` makes a missing or extra option a type error.
const SCHEMA = optionSchema;

/**
 * The JavaScript type of each {@link OptionType}.
 *
 * @example The type of a millisecond option's value
 * ```ts
 * import type { OptionTypeValues } from "jsr:@sockopts/sockopts";
 *
 * const idle: OptionTypeValues["ms"] = 30_000;
 * const linger: OptionTypeValues["struct"] = { enable: true, seconds: 5 };
 * console.log(idle, linger);
 * ```
 */
export interface OptionTypeValues {
  /** `bool` options. */
  bool: boolean;
  /** `int` options. */
  int: number;
  /** `bytes` options. */
  bytes: number;
  /** `ms` options. */
  ms: number;
  /** `string` options. */
  string: string;
  /** `struct` options: SO_LINGER is the only one. */
  struct: Linger;
  /** `bigint` options. */
  bigint: bigint;
}

/**
 * The value of option `N`: `getOption` returns it and `setOption` takes it.
 *
 * @example A typed wrapper around getOption
 * ```ts
 * import { getOption, type OptionName, type OptionValue } from "jsr:@sockopts/sockopts";
 *
 * export function read<N extends OptionName>(fd: number, name: N): OptionValue<N> {
 *   return getOption(fd, name);
 * }
 *
 * export function congestion(fd: number): string {
 *   const name: OptionValue<"TCP_CONGESTION"> = read(fd, "TCP_CONGESTION");
 *   return name; // "cubic"
 * }
 * ```
 */
export type OptionValue<N extends OptionName> = OptionTypeValues[(typeof optionSchema)[N]["type"]];

/**
 * The options `setOption` accepts: every option but the read-only ones.
 *
 * @example Listing the options that can be set
 * ```ts
 * import { type OptionName, options, type WritableOptionName } from "jsr:@sockopts/sockopts";
 *
 * const names = Object.keys(options) as OptionName[];
 * const writable: WritableOptionName[] = names.filter((n): n is WritableOptionName => !options[n].readOnly);
 * console.log(writable); // every option but SO_ERROR, SO_TYPE, SO_ACCEPTCONN and SO_COOKIE
 * ```
 */
export type WritableOptionName = {
  [N in OptionName]: (typeof optionSchema)[N]["readOnly"] extends true ? never : N;
}[OptionName];

/**
 * One option, as the public table describes it.
 *
 * @example A line per option for this OS
 * ```ts
 * import { type OptionInfo, options } from "jsr:@sockopts/sockopts";
 *
 * export function line(info: OptionInfo): string {
 *   const linux = info.os.linux;
 *   return linux === null ? `${info.name}: not on Linux` : `${info.name}: ${linux.min}..${linux.max} ${linux.unit}`;
 * }
 *
 * console.log(line(options.TCP_KEEPCNT)); // TCP_KEEPCNT: 1..127 int
 * ```
 */
export interface OptionInfo<N extends OptionName = OptionName> {
  /** The canonical (Linux) name. */
  readonly name: N;
  /** The level it is set at. */
  readonly level: OptionLevel;
  /** The caller's type for its value. */
  readonly type: (typeof optionSchema)[N]["type"];
  /** `true` where only getOption can be used. */
  readonly readOnly: (typeof optionSchema)[N]["readOnly"];
  /** What it does, in a few words. */
  readonly summary: string;
  /** The OSes that have it. */
  readonly supportedOn: readonly OsName[];
  /** Each OS's name, numbers, kernel unit and range for it, or `null` where the OS lacks it. */
  readonly os: { readonly [O in OsName]: OptionConstant | null };
}

/**
 * The whole table, one {@link OptionInfo} per option.
 *
 * @example Counting the options each OS has
 * ```ts
 * import { type OptionTable, options } from "jsr:@sockopts/sockopts";
 *
 * const table: OptionTable = options;
 * for (const os of ["linux", "darwin", "freebsd"] as const) {
 *   console.log(os, Object.values(table).filter((o) => o.os[os] !== null).length);
 * }
 * ```
 */
export type OptionTable = { readonly [N in OptionName]: OptionInfo<N> };

const PLATFORMS: readonly PlatformTable[] = [linux, darwin, freebsd];

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
    const os = { linux: noted(linux, name), darwin: noted(darwin, name), freebsd: noted(freebsd, name) };
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
    const shown = typeof name === "string" ? JSON.stringify(name) : `${typeof name} ${String(name)}`;
    throw new TypeError(`Cannot ${action} option ${shown}: unknown option (expected one of ${NAMES.join(", ")})`);
  }
  return name as OptionName;
}

const CORES: Readonly<Record<OsName, PlatformConstants>> = {
  linux: linuxCore,
  darwin: darwinCore,
  freebsd: freebsdCore,
};
const TABLES: Readonly<Record<OsName, PlatformTable>> = { linux, darwin, freebsd };

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
  const fd = resolveFd(socket, `Cannot set ${option}`);
  const constant = anyHostOption(option);
  writeOption(fd, name, constant, encodeOption(name, constant, value));
}
