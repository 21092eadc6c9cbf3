/**
 * The worker side of the benchmark protocol, shared by the Bun, Deno and Node workers: one JSON
 * line per request on stdin, one per answer on stdout, so the orchestrator can run round k of
 * every implementation in turn while each runtime keeps its JIT warm and its sockets open.
 */
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import process from "node:process";

/** One benchmarked operation. */
export interface Op {
  /** Throws unless the fd this op works on is, right now, the intended connected socket. */
  check(): void;
  /** Makes `calls` calls; throws as soon as one fails or returns something unexpected. */
  loop(calls: number): void;
  /** Throws unless the kernel holds what the loop set. */
  after?(): void;
}

/** Operations by name; a string instead of an op says why it cannot run yet ("pending: …"). */
export type Ops = Record<string, Op | string>;

/** What the orchestrator sends. */
export interface Request {
  readonly op: string;
  readonly calls: number;
  /** Report RSS before and after instead of time. */
  readonly memory?: boolean;
}

/** What a worker answers. */
export type Answer =
  | { readonly ns: number; readonly waited: number }
  | { readonly rssBefore: number; readonly rssAfter: number }
  | { readonly error: string };

// Enough calls for the JIT to settle on the loop before anything is timed.
const WARMUP = 100_000;

/**
 * Nanoseconds this thread has spent runnable but off the CPU (the second field of Linux's
 * schedstat): how long other processes held it off during a timed loop.
 */
function waitedNs(): number {
  return Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[1]);
}

function collectGarbage(): void {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  if (bun !== undefined) return bun.gc(true);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("no gc(): run Deno with --v8-flags=--expose-gc, Node with --expose-gc");
  gc();
}

function answer(ops: Ops, warmed: Set<string>, request: Request): Answer {
  const op = ops[request.op];
  if (op === undefined) throw new Error(`unknown op ${request.op}`);
  if (typeof op === "string") throw new Error(`op ${request.op} is ${op}`);
  op.check();
  if (!warmed.has(request.op)) {
    op.loop(WARMUP);
    warmed.add(request.op);
  }
  if (request.memory) {
    collectGarbage();
    const rssBefore = process.memoryUsage().rss;
    op.loop(request.calls);
    collectGarbage();
    const rssAfter = process.memoryUsage().rss;
    op.after?.();
    return { rssBefore, rssAfter };
  }
  const waitedBefore = waitedNs();
  const start = performance.now();
  op.loop(request.calls);
  const elapsed = performance.now() - start;
  const waited = waitedNs() - waitedBefore;
  op.after?.();
  op.check();
  return { ns: (elapsed * 1e6) / request.calls, waited: waited / (elapsed * 1e6) };
}

/**
 * Announces the worker (its ops and any facts worth reporting), then answers requests until
 * stdin closes.
 */
export async function serve(
  ops: Ops,
  facts: Record<string, unknown>,
  close: () => void | Promise<void>,
): Promise<void> {
  const available = Object.fromEntries(
    Object.entries(ops).map(([name, op]) => [name, typeof op === "string" ? op : "ok"]),
  );
  process.stdout.write(JSON.stringify({ ready: true, ops: available, ...facts }) + "\n");
  const warmed = new Set<string>();
  for await (const line of createInterface({ input: process.stdin })) {
    let reply: Answer;
    try {
      reply = answer(ops, warmed, JSON.parse(line) as Request);
    } catch (error) {
      reply = { error: (error as Error).stack ?? String(error) };
    }
    process.stdout.write(JSON.stringify(reply) + "\n");
  }
  await close();
}
