/**
 * Brand checks: telling a runtime's real handle objects from look-alikes (`{ fd: 7 }`, a Proxy,
 * an object of another class) without a system call. A getter defined by the runtime's own
 * class checks its receiver (a native getter's brand check, a private field's `#` check), so
 * calling it on anything else throws; reading through it proves the object is a real instance.
 *
 * @module
 */

// How JavaScriptCore prints a native (C++) getter; a JavaScript function, a bound function or
// a Proxy prints otherwise. V8 spells builtin getters `function get fd()`.
const NATIVE_GETTER = /^function (?:get )?(\w+)\(\) \{\s*\[native code\]\s*\}$/;

// Native getters already checked, by the prototype that holds them (a handful per process).
const nativeGetters = new WeakMap<object, Map<string, () => unknown>>();

/** The prototype's own native getter `key`, or undefined when it has none. */
export function nativeGetter(proto: object, key: string): (() => unknown) | undefined {
  let known = nativeGetters.get(proto);
  const cached = known?.get(key);
  if (cached !== undefined) return cached;
  const descriptor = Object.getOwnPropertyDescriptor(proto, key);
  const get = descriptor?.get;
  // A non-configurable accessor cannot be swapped afterwards, so it is checked once.
  if (get === undefined || descriptor!.configurable) return undefined;
  const match = NATIVE_GETTER.exec(Function.prototype.toString.call(get));
  if (match === null || match[1] !== key) return undefined;
  if (known === undefined) nativeGetters.set(proto, known = new Map());
  known.set(key, get);
  return get;
}

const NOT_NATIVE: unique symbol = Symbol("not native");

/**
 * `handle[key]` read through the native getter on its prototype, or NOT_NATIVE when `handle` is
 * not a real instance of a native class with that getter (the getter's brand check throws).
 */
export function readNative(handle: object, key: string): unknown {
  let proto: object | null;
  try {
    proto = Object.getPrototypeOf(handle);
  } catch {
    return NOT_NATIVE; // a Proxy whose trap throws
  }
  const get = proto === null ? undefined : nativeGetter(proto, key);
  if (get === undefined) return NOT_NATIVE;
  try {
    return get.call(handle);
  } catch {
    return NOT_NATIVE;
  }
}

/** Whether {@link readNative} found no native getter for the handle. */
export function isNotNative(value: unknown): value is typeof NOT_NATIVE {
  return value === NOT_NATIVE;
}

// Deno's Conn and Listener classes keep their addresses in private fields; their getters are
// `get localAddr(){return this.#localAddr}` and `get addr(){return this.#addr}`.
const PRIVATE_GETTER = /^get (\w+)\(\)\s*\{\s*return this\.#(\w+);?\s*\}$/;

/**
 * `handle[key]` read through a getter on its prototype chain that returns the private field of
 * the same name, or NOT_NATIVE for a plain object, a Proxy or an object of another class.
 * (The class itself is not exposed by Deno, so a class written to copy it is not told apart.)
 */
export function readPrivate(handle: object, key: string): unknown {
  try {
    let proto = Object.getPrototypeOf(handle);
    for (let depth = 0; proto !== null && depth < 4; depth++, proto = Object.getPrototypeOf(proto)) {
      const get = Object.getOwnPropertyDescriptor(proto, key)?.get;
      if (get === undefined) continue;
      const match = PRIVATE_GETTER.exec(Function.prototype.toString.call(get));
      if (match === null || match[1] !== key || match[2] !== key) return NOT_NATIVE;
      return get.call(handle);
    }
  } catch {
    // a Proxy (no private fields of its own) or a trap that throws
  }
  return NOT_NATIVE;
}
