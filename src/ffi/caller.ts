/**
 * Which sockopts function the application called, for the one message that needs it: libc could
 * not be loaded. Loading happens on the first system call, deep inside whichever lookup comes
 * first (`statx` for a Deno handle, `setsockopt` for an fd), so the C function's name says nothing
 * to the user; the stack does. Read once per process, when libc is first loaded.
 *
 * @module
 */

// The functions of mod.ts that can reach libc (tests/libc_loading.test.ts keeps this list equal
// to mod.ts's exports). Matching names, not "the outermost sockopts frame", keeps a timer's tick
// or an internal helper from being named.
const PUBLIC = new Set([
  "configureSockets",
  "fdOf",
  "getKeepAlive",
  "getKeepAliveInterval",
  "getKeepAliveProbes",
  "getOption",
  "getTcpInfo",
  "getUserTimeout",
  "getsockoptRaw",
  "keepConfigured",
  "setKeepAlive",
  "setKeepAliveInterval",
  "setKeepAliveProbes",
  "setOption",
  "setUserTimeout",
  "setsockoptRaw",
  "tcpSockets",
]);

/** The names of {@link PUBLIC}, for the test that keeps it equal to mod.ts's exports. */
export const PUBLIC_CALLS: readonly string[] = [...PUBLIC];

/**
 * The outermost sockopts function on the stack that the application can call, or `fallback`.
 * @param fallback What to name when no public function is found (the C call about to be made).
 * @returns A name such as `setKeepAlive`.
 */
export function publicCall(fallback: string): string {
  const error = Error as { stackTraceLimit?: number };
  const limit = error.stackTraceLimit;
  error.stackTraceLimit = 200; // V8 keeps 10 frames by default; a Deno handle's lookup is deeper
  const stack = new Error().stack ?? "";
  error.stackTraceLimit = limit;
  // sockopts' src/ folder (this file is in src/ffi/), as a URL (V8's frames) and a path (Bun's).
  const root = new URL("../", import.meta.url);
  const own = [root.href, decodeURIComponent(root.pathname)];
  let found = fallback;
  // V8 writes `at setKeepAlive (file:///…/src/keepalive.ts:95:3)` or `at Module.setKeepAlive (…)`,
  // JavaScriptCore `at setKeepAlive (/…/src/keepalive.ts:95:3)`. Only sockopts' own frames count,
  // so an application function that happens to share a name is not taken for ours.
  for (const line of stack.split("\n")) {
    const name = /^\s*at (?:[\w$]+\.)?([\w$]+) \(/.exec(line)?.[1];
    if (name !== undefined && PUBLIC.has(name) && own.some((prefix) => line.includes(prefix))) found = name;
  }
  return found;
}
