/** Which runtime runs the suite, for tests that belong to one of them. */
/// <reference types="npm:@types/bun@1.4.4" />

export const isBun: boolean = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
export const isDeno: boolean = !isBun && typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
export const runtimeName: string = isBun ? "bun" : "deno";

/** Skip reason for a test that needs Bun, or `false` under Bun. */
export const bunOnly: string | false = isBun ? false : "Bun-only handle";
/** Skip reason for a test that needs Deno, or `false` under Deno. */
export const denoOnly: string | false = isDeno ? false : "Deno-only behaviour";
