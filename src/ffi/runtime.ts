/**
 * Picks the running runtime's adapter. Bun is asked first: it installs Deno shims of its own,
 * and those cannot open libraries.
 *
 * @module
 */
import type { RuntimeAdapter } from "./adapter.ts";
import { bunAdapter, bunOs } from "./bun.ts";
import { denoAdapter, denoOs } from "./deno.ts";
import { nodeAdapter, nodeOs, nodeUnsupportedReason } from "./node.ts";

/** The adapter for this runtime, or `undefined` under a runtime sockopts cannot drive (old Node, browsers). */
export function currentRuntime(): RuntimeAdapter | undefined {
  return bunAdapter() ?? denoAdapter() ?? nodeAdapter();
}

/**
 * The OS of a runtime sockopts can drive, or `undefined`: what `currentRuntime()?.os` gives, asked
 * without reaching the adapters' binding code (a bundle of `isSupported` alone stays small). Every
 * adapter must have its line here; tests/keepalive.test.ts checks `isSupported()` in each runtime.
 */
export function runtimeOs(): string | undefined {
  return bunOs() ?? denoOs() ?? nodeOs();
}

/** A short description of an unsupported runtime, and why, for error messages. */
export function describeOtherRuntime(): { name: string; os: string; reason?: string } {
  const proc = (globalThis as { process?: { platform?: string; versions?: { node?: string } } }).process;
  const node = proc?.versions?.node;
  return {
    name: node === undefined ? "this runtime" : `Node.js ${node}`,
    os: proc?.platform ?? "unknown",
    reason: nodeUnsupportedReason(),
  };
}
