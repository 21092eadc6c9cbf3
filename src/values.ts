/**
 * Checks a caller's value and converts it to the kernel's unit, before any system call.
 * Durations arrive in milliseconds; options the kernel keeps in seconds round up, never down,
 * so a small positive value never becomes 0 (which Linux rejects and BSDs read as "default").
 *
 * @module
 */
import type { OptionConstant } from "../platforms/types.ts";
import { label } from "./sys/libc.ts";

type IsProxy = (value: unknown) => boolean;

let proxyCheck: IsProxy | undefined;

/**
 * Whether `value` is a Proxy, asked without running any of its traps: node:util's
 * `types.isProxy`, which Deno, Bun and Node all provide (through `process.getBuiltinModule`, so
 * nothing is imported). Where it is missing, false: a Proxy then reads as the object it wraps.
 */
export function isProxy(value: unknown): boolean {
  if (proxyCheck === undefined) {
    let found: unknown;
    try {
      const load = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
        ?.getBuiltinModule;
      found = (load?.("node:util") as { types?: { isProxy?: unknown } } | undefined)?.types?.isProxy;
    } catch {
      found = undefined;
    }
    proxyCheck = typeof found === "function" ? found as IsProxy : () => false;
  }
  return proxyCheck(value);
}

/**
 * A caller's value, described for a message without running any of the caller's code: no
 * `toString`, no getters (not even `Symbol.toStringTag`), no Proxy trap, no `JSON.stringify`
 * (which throws on a bigint).
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case "string":
      return `string ${JSON.stringify(value)}`;
    case "bigint":
      return `bigint ${value}n`;
    case "symbol":
      return "a symbol";
    case "function":
      return "a function";
    case "undefined":
      return "undefined";
    case "number":
    case "boolean":
      return `${typeof value} ${value}`;
  }
  if (value === null) return "null";
  // Before Array.isArray, which throws for a revoked Proxy.
  if (isProxy(value)) return "an object (a proxy)";
  if (Array.isArray(value)) return "an array";
  return `an object (${objectKind(value as object)})`;
}

// Built-in kinds told by their internal slots: each of these throws for any other object, and
// none reads a property of it (so no getter or `Symbol.toStringTag` of the caller's runs).
const typedArrayTag = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype),
  Symbol.toStringTag,
)!.get!;
const BRANDS: readonly (readonly [string, (value: object) => unknown])[] = [
  ["Number", (v) => Number.prototype.valueOf.call(v)],
  ["String", (v) => String.prototype.valueOf.call(v)],
  ["Boolean", (v) => Boolean.prototype.valueOf.call(v)],
  ["BigInt", (v) => BigInt.prototype.valueOf.call(v)],
  ["Symbol", (v) => Symbol.prototype.valueOf.call(v)],
  ["Date", (v) => Date.prototype.getTime.call(v)],
  ["Map", (v) => Map.prototype.has.call(v, undefined)],
  ["Set", (v) => Set.prototype.has.call(v, undefined)],
  ["ArrayBuffer", (v) => Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, "byteLength")!.get!.call(v)],
];

// The caller's object is no Proxy here, so reading its prototype runs nothing of the caller's.
function objectKind(value: object): string {
  const proto = Object.getPrototypeOf(value);
  if (proto === null || proto === Object.prototype) return "a plain object";
  const typed = typedArrayTag.call(value);
  if (typeof typed === "string") return typed;
  for (const [name, test] of BRANDS) {
    try {
      test(value);
      return name;
    } catch {
      // not this kind
    }
  }
  return "a class instance";
}

const show = describeValue;

/**
 * A caller's options object, copied once: every own property read exactly once (a getter runs
 * once, here), so what is checked afterwards is what is used. Only a plain object (prototype
 * `Object.prototype` or `null`, not a Proxy) whose own keys are enumerable strings among `fields`
 * is taken; `undefined` is an empty object.
 *
 * @param action The start of any message, such as `Cannot set keep-alive`.
 * @param what What the object is, for messages (`an options object`, `a filter object`).
 * @param value The caller's value.
 * @param fields The keys allowed.
 * @param noun What a key is called in messages (`option`, `filter field`).
 * @returns A copy holding the fields given.
 * @throws {TypeError} for anything else, before any system call.
 */
export function copyOptions(
  action: string,
  what: string,
  value: unknown,
  fields: readonly string[],
  noun = "option",
): Record<string, unknown> {
  const copy: Record<string, unknown> = {}; // only keys from `fields` are ever set
  if (value === undefined) return copy;
  if (typeof value !== "object" || value === null) {
    throw new TypeError(`${action}: expected ${what}, got ${show(value)}`);
  }
  if (isProxy(value)) throw new TypeError(`${action}: expected ${what} (a plain object), got ${show(value)}`);
  if (Array.isArray(value)) throw new TypeError(`${action}: expected ${what}, got ${show(value)}`);
  // Not a Proxy: reading its prototype and keys runs none of the caller's code.
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new TypeError(`${action}: expected ${what} (a plain object), got ${show(value)}`);
  }
  const expected = () => `(expected ${fields.join(", ")})`;
  // Names and symbols are listed apart, and no property descriptors are built: Reflect.ownKeys
  // and descriptors cost microseconds in V8, and this runs on every setKeepAlive call.
  const symbols = Object.getOwnPropertySymbols(value);
  if (symbols.length !== 0) {
    throw new TypeError(`${action}: unexpected symbol key ${String(symbols[0])} ${expected()}`);
  }
  const keys = Object.keys(value);
  const names = Object.getOwnPropertyNames(value);
  if (names.length !== keys.length) {
    const hidden = names.find((name) => !keys.includes(name))!;
    const what = fields.includes(hidden) ? `${noun} "${hidden}" is not enumerable` : `unknown ${noun} "${hidden}"`;
    throw new TypeError(`${action}: ${what} ${expected()}`);
  }
  for (const key of keys) {
    if (!fields.includes(key)) throw new TypeError(`${action}: unknown ${noun} "${key}" ${expected()}`);
    copy[key] = (value as Record<string, unknown>)[key]; // a getter runs here, once
  }
  return copy;
}

function rangeText(constant: OptionConstant): string {
  if (constant.unit === "seconds") {
    const zero = constant.zero === undefined ? "" : `, where 0 means ${constant.zero}`;
    // The smallest whole ms that rounds up to `min` seconds.
    const lowest = constant.min === 0 ? 0 : (constant.min - 1) * 1000 + 1;
    return `${lowest}..${constant.max * 1000} ms (the kernel keeps whole seconds, ` +
      `${constant.min}..${constant.max}, so milliseconds round up${zero})`;
  }
  const unit = constant.unit === "ms" ? " ms" : constant.unit === "bytes" ? " bytes" : "";
  const zero = constant.zero === undefined ? "" : ` (0 means ${constant.zero})`;
  const zeroToo = constant.zero !== undefined && constant.min > 0 ? "0 or " : "";
  return `${zeroToo}${constant.min}..${constant.max}${unit}${zero}`;
}

/** Within `min..max`, or 0 where the option gives 0 a meaning of its own (Linux TCP_MAXSEG: 0 or 88..32767). */
function inRange(constant: OptionConstant, value: number): boolean {
  return (value >= constant.min && value <= constant.max) || (value === 0 && constant.zero !== undefined);
}

/**
 * Milliseconds to the kernel's unit: seconds round up, milliseconds round up to whole ones.
 *
 * A duration above 0 and under one second is refused unless `subSecond` says it is meant: it is
 * almost always seconds written where milliseconds belong (`idle: 30`, `setUserTimeout(s, 2.5)`,
 * as Go, Rust, sysctl and PostgreSQL spell them). The kernel keeps keep-alive times in whole
 * seconds, so no sub-second keep-alive time exists (1000 is the shortest), and a user timeout
 * under a second drops a connection at its first stall.
 *
 * @param subSecond The caller asked for a sub-second value on purpose (`setUserTimeout`'s option).
 */
export function toKernelDuration(option: string, constant: OptionConstant, ms: unknown, subSecond = false): number {
  const name = label(option, constant);
  if (typeof ms !== "number") {
    throw new TypeError(`Cannot set ${name}: expected a duration in milliseconds, got ${show(ms)}`);
  }
  if (!Number.isFinite(ms)) {
    throw new RangeError(`Cannot set ${name}: ${ms} is not a finite number of milliseconds`);
  }
  if (ms > 0 && ms < 1000 && !subSecond) throw new RangeError(likelySeconds(name, option, constant, ms));
  const value = Math.ceil(constant.unit === "seconds" ? ms / 1000 : ms);
  if (ms < 0 || value < constant.min || value > constant.max) {
    throw new RangeError(`Cannot set ${name}: ${ms} ms is outside ${rangeText(constant)}`);
  }
  return value;
}

// "Cannot set TCP_KEEPIDLE: 30 ms: values are milliseconds; did you mean 30_000?"
function likelySeconds(name: string, option: string, constant: OptionConstant, ms: number): string {
  const meant = Math.round(ms * 1e6) / 1e3; // 1.1 s is 1100 ms, not 1100.0000000000002
  const written = Number.isInteger(meant) ? String(meant).replace(/\B(?=(\d{3})+$)/g, "_") : String(meant);
  const deliberate = constant.unit === "seconds"
    ? "the kernel counts whole seconds here, so 1000 is the shortest"
    : option === "TCP_USER_TIMEOUT"
    ? `for a sub-second timeout on purpose, setUserTimeout(socket, ${ms}, { subSecond: true })`
    : "";
  return `Cannot set ${name}: ${ms} ms: values are milliseconds; did you mean ${written}?` +
    (deliberate === "" ? "" : ` (${deliberate})`);
}

/** The kernel's duration back to milliseconds. */
export function fromKernelDuration(constant: OptionConstant, value: number): number {
  return constant.unit === "seconds" ? value * 1000 : value;
}

/** A whole count, such as the number of keep-alive probes. */
export function toKernelCount(option: string, constant: OptionConstant, count: unknown): number {
  const name = label(option, constant);
  if (typeof count !== "number") {
    throw new TypeError(`Cannot set ${name}: expected a whole number, got ${show(count)}`);
  }
  if (!Number.isInteger(count)) {
    throw new RangeError(`Cannot set ${name}: ${count} is not a whole number`);
  }
  if (!inRange(constant, count)) {
    throw new RangeError(`Cannot set ${name}: ${count} is outside ${rangeText(constant)}`);
  }
  return count;
}

/** A boolean flag, as 0 or 1; `field` names it inside a larger value (`enable`). */
export function toKernelBool(option: string, constant: OptionConstant, flag: unknown, field?: string): number {
  if (typeof flag !== "boolean") {
    const of = field === undefined ? "" : ` for ${field}`;
    throw new TypeError(`Cannot set ${label(option, constant)}: expected a boolean${of}, got ${show(flag)}`);
  }
  return flag ? 1 : 0;
}

/**
 * A name such as a congestion-control algorithm: printable ASCII without spaces, of
 * `min`..`max` characters (the kernel would silently cut a longer one).
 */
export function toKernelString(option: string, constant: OptionConstant, text: unknown): string {
  const name = label(option, constant);
  if (typeof text !== "string") throw new TypeError(`Cannot set ${name}: expected a string, got ${show(text)}`);
  if (!/^[\x21-\x7e]*$/.test(text)) {
    throw new RangeError(`Cannot set ${name}: ${JSON.stringify(text)} is not a name of printable ASCII characters`);
  }
  if (text.length < constant.min || text.length > constant.max) {
    throw new RangeError(
      `Cannot set ${name}: ${
        JSON.stringify(text)
      } has ${text.length} characters, outside ${constant.min}..${constant.max}`,
    );
  }
  return text;
}

const LINGER_FIELDS = ["enable", "seconds"];

/** SO_LINGER's `{ enable, seconds }`, checked: `enable` a boolean, `seconds` whole and in range. */
export function toKernelLinger(
  option: string,
  constant: OptionConstant,
  value: unknown,
): { readonly onoff: number; readonly seconds: number } {
  const name = label(option, constant);
  if (value === undefined) throw new TypeError(`Cannot set ${name}: expected { enable, seconds }, got undefined`);
  const { enable, seconds } = copyOptions(`Cannot set ${name}`, "{ enable, seconds }", value, LINGER_FIELDS, "field");
  const onoff = toKernelBool(option, constant, enable, "enable");
  if (typeof seconds !== "number") {
    throw new TypeError(`Cannot set ${name}: expected a whole number of seconds, got ${show(seconds)}`);
  }
  if (!Number.isInteger(seconds)) throw new RangeError(`Cannot set ${name}: ${seconds} seconds is not a whole number`);
  if (!inRange(constant, seconds)) {
    throw new RangeError(`Cannot set ${name}: ${seconds} seconds is outside ${constant.min}..${constant.max}`);
  }
  return { onoff, seconds };
}
