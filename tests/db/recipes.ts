/**
 * The driver recipes in examples/recipes/, what each must print when run against real servers,
 * and those servers: PostgreSQL and Redis on 127.0.0.1, on free ports, handed to the recipes as
 * DATABASE_URL and REDIS_URL.
 */
import assert from "node:assert/strict";
import { deadPeerPlan } from "../../mod.ts";
import { startLoopbackServers } from "./servers.ts";

/** How a recipe is run and checked. */
export interface Recipe {
  readonly runtimes: readonly ("deno" | "bun" | "node")[];
  check(stdout: string): void;
  /** The lines the README's recipe shows, which the program must hold word for word. */
  readonly readme: readonly string[];
}

/** The settings `{ detectWithin: 10_000 }` leaves on a socket, as a recipe prints them. */
function detectWithin10s(): string {
  const { idle, interval, count, userTimeout } = deadPeerPlan(10_000);
  return `${JSON.stringify({ enable: true, idle, interval, count })} userTimeout ${userTimeout}`;
}

/** The local ports of the lines `<prefix>connection :PORT <settings>`, each checked. */
function connections(stdout: string, prefix = ""): number[] {
  const settings = detectWithin10s();
  const ports: number[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.startsWith(`${prefix}connection :`)) continue;
    const m = /^.*connection :(\d+) (.*)$/.exec(line);
    assert.ok(m, line);
    assert.equal(m[2], settings, `the settings read back: ${line}`);
    ports.push(Number(m[1]));
  }
  return ports;
}

/** Three pool connections, all configured. */
function pool(stdout: string): void {
  const ports = connections(stdout);
  assert.equal(new Set(ports).size, 3, `three connections configured:\n${stdout}`);
}

/** One connection before and a different one after the reconnect, both configured. */
function reconnect(stdout: string): void {
  const first = connections(stdout, "first: ");
  const again = connections(stdout, "reconnected: ");
  assert.equal(first.length, 1, stdout);
  assert.equal(again.length, 1, stdout);
  assert.notEqual(first[0], again[0], "the reconnection is a new socket");
}

/**
 * The policy recipe: three pool connections to one port and two Redis connections (before and
 * after the reconnect) to the other configured, and every connection left at the end configured.
 */
function policy(stdout: string): void {
  const settings = detectWithin10s();
  const byRemote = new Map<string, Set<string>>();
  for (const line of stdout.split("\n").filter((l) => l.startsWith("configured "))) {
    const m = /^configured :(\d+) -> :(\d+) (.*)$/.exec(line);
    assert.ok(m, line);
    assert.equal(m[3], settings, `the settings read back: ${line}`);
    byRemote.set(m[2], (byRemote.get(m[2]) ?? new Set()).add(m[1]));
  }
  const sizes = [...byRemote.values()].map((ports) => ports.size).sort();
  assert.deepEqual(sizes, [2, 3], `two Redis connections and three pool connections configured:\n${stdout}`);
  // At the end, the three pool connections and the Redis client's second one hold them still.
  const holds = stdout.split("\n").filter((l) => l.startsWith("holds "));
  assert.equal(holds.length, 4, stdout);
  for (const line of holds) assert.equal(line.replace(/^holds :\d+ -> :\d+ /, ""), settings, line);
}

/** Every recipe in examples/recipes/. */
export const RECIPES: Record<string, Recipe> = {
  "pg_pool.ts": {
    runtimes: ["deno", "bun", "node"],
    check: pool,
    readme: [
      'pool.on("connect", (client) => setKeepAlive(client.connection.stream as Socket, { detectWithin: 10_000 }));',
    ],
  },
  "postgres.ts": {
    runtimes: ["deno", "bun", "node"],
    check: pool,
    readme: ["keep_alive: null,", "setKeepAlive(socket, { detectWithin: 10_000 });"],
  },
  "ioredis.ts": {
    runtimes: ["deno", "bun", "node"],
    check: reconnect,
    readme: ['redis.on("ready", () => setKeepAlive(redis.stream, { detectWithin: 10_000 }));'],
  },
  "bun_sql.ts": { runtimes: ["bun"], check: pool, readme: ["onconnect: () => void db.refresh(),"] },
  "bun_redis.ts": { runtimes: ["bun"], check: reconnect, readme: ["redis.onconnect = () => void cache.refresh();"] },
  "policy.ts": { runtimes: ["deno", "bun", "node"], check: policy, readme: [] },
};

/** Servers the recipes run against. */
export interface RecipeServers {
  /** DATABASE_URL and REDIS_URL. */
  readonly env: Record<string, string>;
  /** How long the servers took to start, in ms. */
  readonly startupMs: number;
  stop(): Promise<void>;
}

/** Starts PostgreSQL and Redis on 127.0.0.1. */
export async function startRecipeServers(): Promise<RecipeServers> {
  const servers = await startLoopbackServers();
  return {
    env: {
      DATABASE_URL: `postgres://${servers.pgUser}@127.0.0.1:${servers.pgPort}/postgres`,
      REDIS_URL: `redis://127.0.0.1:${servers.redisPort}`,
    },
    startupMs: servers.startupMs,
    stop: servers.stop,
  };
}
