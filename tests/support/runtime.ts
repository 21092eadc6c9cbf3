/** Which runtime runs the suite, for tests that belong to one of them. */
/// <reference types="npm:@types/bun@1.4.4" />

export const isBun: boolean = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
export const isDeno: boolean = !isBun && typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
/** Node.js itself (26.9+, through node:ffi), not Bun's or Deno's node compatibility. */
export const isNode: boolean = !isBun && !isDeno;
export const runtimeName: "deno" | "bun" | "node" = isBun ? "bun" : isDeno ? "deno" : "node";

/** Skip reason for a test that needs Bun, or `false` under Bun. */
export const bunOnly: string | false = isBun ? false : "Bun-only handle";
/** Skip reason for a test that needs Deno, or `false` under Deno. */
export const denoOnly: string | false = isDeno ? false : "Deno-only behaviour";
/** Skip reason for a test that needs Node.js, or `false` under Node.js. */
export const nodeOnly: string | false = isNode ? false : "Node.js-only behaviour";

/**
 * The arguments that make this runtime (`process.execPath`) run a TypeScript file: Deno gets the
 * permissions named, Bun and Node (which strips types itself) need none.
 */
export function scriptArgs(script: string, args: readonly string[], permissions: readonly string[] = ["-A"]): string[] {
  return isDeno ? ["run", ...permissions, script, ...args] : [script, ...args];
}
