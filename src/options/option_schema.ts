/**
 * The option schema: every option sockopts knows, with what is the same on every OS (level,
 * value type, read-only), and the types derived from it. The per-OS numbers, ranges and units live
 * in `platforms/`; the table and the calls that use it are options.ts's.
 *
 * @module
 */
import type { OptionConstant, OptionName, OsName } from "../../platforms/types.ts";
import type { OptionSchema } from "./option_schema_type.ts";
import type { Linger } from "./option_values.ts";

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
export const optionSchema: OptionSchema = {
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
