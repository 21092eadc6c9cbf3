/**
 * Telling a runtime's real handle from a look-alike without running the caller's code. A Proxy
 * anywhere on a handle's prototype chain is refused on sight (node:util's `types.isProxy`, asked of
 * each object before its prototype is read, so none of the caller's traps runs). An object that
 * inherits from a real handle, or is built on a handle class's prototype, is caught by what only
 * the runtime sets up: a `node:net` object holds its native handle as its own property, and that
 * handle names the object as its owner; Deno.serve's server has its whole shape as its own data.
 * Own properties are read through their descriptors, so no getter of the caller's runs.
 *
 * @module
 */
import { describeValue, isProxy } from "../values.ts";
import { isNotNative, readNative } from "./brand.ts";

// Deeper than any runtime's handle class (a TLSSocket sits 7 deep) with room for subclasses.
const CHAIN = 32;

// Objects whose chain was found free of Proxies, with the prototype they had then: a handle is
// checked on every call (Bun's and Node's sockets are not looked up, so nothing else is kept),
// and the walk is then one lookup here. An object is never a Proxy if it once was not.
const clean = new WeakMap<object, object | null>();

/**
 * Whether `value` or anything on its prototype chain is a Proxy (or the chain is absurdly long).
 * Each object is asked before its prototype is read, so no `getPrototypeOf` trap runs. An object
 * found clean before, still on the same prototype, is not walked again.
 *
 * @param value The caller's object.
 * @returns True for anything that is not an ordinary object chain.
 */
export function proxied(value: object): boolean {
  const proto = clean.get(value);
  if (proto !== undefined && Object.getPrototypeOf(value) === proto) return false;
  let object: object | null = value;
  for (let depth = 0; object !== null; depth++) {
    if (depth === CHAIN || isProxy(object)) return true;
    object = Object.getPrototypeOf(object);
  }
  clean.set(value, Object.getPrototypeOf(value));
  return false;
}

/** What {@link ownData} returns for a property that is missing or an accessor. */
export const ABSENT: unique symbol = Symbol("absent");

/**
 * `value`'s own data property `key`, or {@link ABSENT} when it has none or it is an accessor: no
 * getter runs, and nothing inherited is read. `value` must not be a Proxy.
 */
export function ownData(value: object, key: PropertyKey): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(value, key);
  return descriptor === undefined || !("value" in descriptor) ? ABSENT : descriptor.value;
}

// The runtimes' internal symbols, found once by their descriptions and kept: they are the same
// symbol for every object of a runtime, and a kept one spares listing an object's symbols.
const found = new Map<string, symbol>();

/**
 * `value`'s own data property under the symbol described by one of `descriptions` (a
 * runtime-internal symbol such as `kHandle`), or {@link ABSENT}.
 */
export function ownSymbolData(value: object, ...descriptions: string[]): unknown {
  for (const description of descriptions) {
    const known = found.get(description);
    if (known === undefined) continue;
    const data = ownData(value, known);
    if (data !== ABSENT) return data;
  }
  for (const symbol of Object.getOwnPropertySymbols(value)) {
    const description = symbol.description;
    if (description === undefined || !descriptions.includes(description)) continue;
    found.set(description, symbol);
    return ownData(value, symbol);
  }
  return ABSENT;
}

// Handles shown to be their object's own, by object: sockets are recognised on every call.
const owned = new WeakMap<object, object>();

/**
 * The native handle a `node:net` Socket or Server holds as its own, when the handle names this
 * very object as its owner (`owner_symbol` in Node and Bun, `ownerSymbol` in Deno's node:net);
 * `null` when the object holds none (closed, or not connected or listening yet); `undefined` when
 * the object is no real instance: it holds no handle slot of its own (built on the prototype, or
 * inheriting from a real socket), or the handle it holds is another object's.
 *
 * @param value A `node:net` object, already known to be no Proxy.
 * @returns The handle, null, or undefined.
 */
export function ownedHandle(value: object): object | null | undefined {
  // Shown before: the same handle, read through the runtime's own `_handle`, needs no new proof.
  const known = owned.get(value);
  if (known !== undefined && (value as { _handle?: unknown })._handle === known) return known;
  // Servers (and Bun's sockets) keep `_handle` as their own; Node's and Deno's sockets keep it
  // under the symbol kHandle, behind a `_handle` accessor on the prototype.
  let handle = ownData(value, "_handle");
  if (handle === ABSENT) handle = ownSymbolData(value, "kHandle");
  if (handle === ABSENT) return undefined;
  if (handle === null || handle === undefined) return null;
  if (typeof handle !== "object" || proxied(handle)) return undefined;
  if (ownSymbolData(handle, "owner_symbol", "ownerSymbol") !== value) return undefined;
  owned.set(value, handle);
  return handle;
}

/**
 * The native handle a socket the class itself constructed (it has its own stream state) holds but
 * does not own: put there by someone else (net-keepalive's own tests set `_handle = { fd: -99999 }`).
 * Undefined for an owned handle, no handle, or an object the class never constructed (a look-alike).
 */
export function foreignHandle(value: object): object | undefined {
  if (ownData(value, "_readableState") === ABSENT) return undefined;
  let handle = ownData(value, "_handle");
  if (handle === ABSENT) handle = ownSymbolData(value, "kHandle");
  if (typeof handle !== "object" || handle === null || proxied(handle)) return undefined;
  return ownSymbolData(handle, "owner_symbol", "ownerSymbol") === value ? undefined : handle;
}

const AsyncFunction = Object.getPrototypeOf(async function () {});

/**
 * The `addr` of a server `Deno.serve()` returned, or undefined for anything else. Deno's server
 * is a plain object made of closures, with no class to check it against, so its shape is what is
 * checked, in full and as its own data: `addr`, a `finished` Promise, an async `shutdown`, `ref`,
 * `unref` and `[Symbol.asyncDispose]` (a `{ addr, shutdown, finished }` is not one). An object
 * built to copy every one of those is not told apart.
 *
 * @param value The caller's object, already known to be no Proxy.
 * @returns Its `addr`, unread beyond being an own data property.
 */
export function denoServeAddr(value: object): unknown {
  if (Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  const shutdown = ownData(value, "shutdown");
  const finished = ownData(value, "finished");
  if (typeof shutdown !== "function" || proxied(shutdown) || Object.getPrototypeOf(shutdown) !== AsyncFunction) {
    return undefined;
  }
  if (typeof finished !== "object" || finished === null || proxied(finished) || !(finished instanceof Promise)) {
    return undefined;
  }
  for (const key of ["ref", "unref", Symbol.asyncDispose]) {
    if (typeof ownData(value, key) !== "function") return undefined;
  }
  const addr = ownData(value, "addr");
  return typeof addr === "object" && addr !== null && !proxied(addr) ? addr : undefined;
}

/**
 * A caller's value for a message, read without running its code: an object is named by its
 * class (the prototype's own `constructor` and that function's own `name`, as data), a Proxy
 * says so, anything else as {@link describeValue} puts it.
 *
 * @param value What the caller passed.
 * @returns Words such as `a Socket`, `an object`, `a proxy`, `string "7"`.
 */
export function describeHandle(value: unknown): string {
  if (typeof value !== "object" || value === null) return describeValue(value);
  if (proxied(value)) return "a proxy";
  const proto = Object.getPrototypeOf(value);
  const ctor = proto === null ? undefined : ownData(proto, "constructor");
  const name = typeof ctor === "function" && !proxied(ctor) ? ownData(ctor, "name") : undefined;
  if (typeof name !== "string" || name === "" || name === "Object") return "an object";
  return `${/^[AEIOU]/.test(name) ? "an" : "a"} ${name}`;
}

/** The `address` method the server class itself defines (or inherits from node:net's Server). */
export function genuineAddress(ctor: abstract new (...args: never[]) => object): (() => unknown) | undefined {
  for (let proto = ctor.prototype as object | null; proto !== null; proto = Object.getPrototypeOf(proto)) {
    const method = ownData(proto, "address");
    if (typeof method === "function") return method as () => unknown;
  }
  return undefined;
}

// Bun's node:http and node:https Server (not built on node:net) keeps its Bun.serve server under
// this symbol, as its own property from construction on (undefined until it listens).
const BUN_SERVER = "::bunternal::";

/**
 * Whether `handle` holds a Bun node:http server's slot as its own, with nothing or a real
 * Bun.serve server in it. That server names no owner, so another server's, moved here, is not
 * told apart.
 */
export function bunHttpServer(handle: object): boolean {
  const inner = ownSymbolData(handle, BUN_SERVER);
  if (inner === ABSENT) return false;
  return inner === undefined || inner === null ||
    (typeof inner === "object" && !isNotNative(readNative(inner, "port")));
}

/**
 * Whether a TLS socket's native handle runs over a JavaScript stream (`tls.connect({ socket })` or
 * `new tls.TLSSocket(duplex)` with a Duplex that is no node:net socket): Deno's node:tls then
 * wraps the Duplex in a JSStreamSocket, which its TLSWrap keeps as `_parentWrap`, holding the
 * Duplex as `stream`. (Bun's native handle says so itself: src/handles/bun.ts.)
 */
export function overAStream(native: object): boolean {
  const wrap = ownData(native, "_parentWrap");
  if (typeof wrap !== "object" || wrap === null || proxied(wrap)) return false;
  const stream = ownData(wrap, "stream");
  return typeof stream === "object" && stream !== null;
}
