/**
 * Picks the running runtime's adapter. Bun is asked first: it installs Deno shims of its own,
 * and those cannot open libraries.
 *
 * @module
 */
import type { RuntimeAdapter } from "./adapter.ts";
import { bunAdapter } from "./bun.ts";
import { denoAdapter } from "./deno.ts";
import { nodeAdapter, nodeUnsupportedReason } from "./node.ts";

/** The adapter for this runtime, or `undefined` under a runtime sockopts cannot drive (old Node, browsers). */
export function currentRuntime(): RuntimeAdapter | undefined {
  return bunAdapter() ?? denoAdapter() ?? nodeAdapter();
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
