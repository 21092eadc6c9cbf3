/**
 * The README's connect hooks (`pool.on("connect", () => policy.refresh())`, Bun's `onconnect`) on
 * drivers that set their own keep-alive in their socket's connect handler: many connections open
 * at once, each hook's `refresh()` runs while other connections are established in the kernel but
 * their driver's connect handler has not run yet, and the policy must still leave every one with
 * its values. A scenario only measures; tests/db_hooks.test.ts holds the expectations.
 */
/// <reference types="npm:@types/bun@1.4.4" />
import pg from "pg";
import postgres from "postgres";
import { Redis } from "ioredis";
import { getKeepAlive, getUserTimeout, keepConfigured, MIN_AUTO_PERIOD } from "../../mod.ts";
import { sleep } from "../e2e/observation.ts";
import { connectionsTo } from "./oracle.ts";

/** The dead-peer bound the policy asks for, in ms. */
export const HOOK_BOUND = 10_000;
/** How many connections each scenario opens at once. */
export const CONNECTIONS = 30;
/** The drivers' own idle times, each unlike the policy's, so that one left in place shows. */
export const OWN_IDLE = { pg: 45_000, postgres: 60_000, ioredis: 30_000, "Bun SQL": 60_000 } as const;

/** A hook scenario's driver. */
export type HookDriver = keyof typeof OWN_IDLE;

/** Where the servers listen, on 127.0.0.1. */
export interface HookServers {
  readonly pgPort: number;
  readonly redisPort: number;
  readonly pgUser: string;
}

/** One connection's settings as getsockopt reads them at the end. */
export interface HookHeld {
  readonly localPort: number;
  readonly keepAlive: unknown;
  readonly userTimeout: number;
}

/** What a scenario saw. */
export interface HookFacts {
  /** The scenario driver's connections to the server, ESTABLISHED, with their settings. */
  readonly held: HookHeld[];
  /** refresh() calls the hooks made. */
  readonly refreshes: number;
  /** The policy's ticks and the values it set again. */
  readonly ticks: number;
  readonly reasserted: number;
  /** How long opening the connections and waiting for the two ticks took, in ms. */
  readonly openMs: number;
  readonly ticksMs: number;
}

/**
 * How the connections open: all in one go (a pool meeting a burst: Node and Bun deliver the
 * connects in one poll, each hook's refresh() runs before the next connection's handler), or one
 * every 2 ms (requests arriving: Deno hands a connection to its handler several event-loop turns
 * after the kernel established it, while earlier connections' hooks refresh the policy).
 */
export type Pattern = "at once" | "one every 2 ms";

/** A client that opens `CONNECTIONS` connections and closes them. */
interface Grower {
  /**
   * Takes a connection of its own (a pool's checkout, a reserved connection, a new client) after
   * a round trip on it; the connection stays taken until {@link close}, so the pool grows to
   * `CONNECTIONS` whatever the timing.
   */
  take(): Promise<unknown>;
  close(): Promise<void>;
}

function pgPool(servers: HookServers, refresh: () => void): Grower {
  // keepAlive: pg calls setKeepAlive(true, keepAliveInitialDelayMillis) in its socket's "connect" handler.
  const pool = new pg.Pool({
    host: "127.0.0.1",
    port: servers.pgPort,
    user: servers.pgUser,
    database: "postgres",
    max: CONNECTIONS,
    keepAlive: true,
    keepAliveInitialDelayMillis: OWN_IDLE.pg,
    connectionTimeoutMillis: 60_000,
  });
  pool.on("connect", () => refresh()); // the README's hook
  pool.on("error", () => {});
  const taken: pg.PoolClient[] = [];
  return {
    take: async () => {
      const client = await pool.connect();
      taken.push(client);
      await client.query("select 1");
    },
    close: async () => {
      for (const client of taken) client.release();
      await pool.end();
    },
  };
}

/** Opens the scenario's clients, with the README's hook where the driver has one. */
function growers(driver: HookDriver, servers: HookServers, refresh: () => void): Grower[] {
  switch (driver) {
    case "pg":
      return [pgPool(servers, refresh)];
    case "postgres": {
      // postgres has no connect hook: its connections open while a pg Pool's hook refreshes the
      // same policy (both talk to one server), which is how another client's hook reaches them.
      const sql = postgres({
        host: "127.0.0.1",
        port: servers.pgPort,
        user: servers.pgUser,
        database: "postgres",
        max: CONNECTIONS,
        keep_alive: OWN_IDLE.postgres / 1000,
        connect_timeout: 60,
        onnotice: () => {},
      });
      const taken: postgres.ReservedSql[] = [];
      const own: Grower = {
        take: async () => {
          const reserved = await sql.reserve();
          taken.push(reserved);
          await reserved`select 1`;
        },
        close: async () => {
          for (const reserved of taken) reserved.release();
          await sql.end({ timeout: 5 });
        },
      };
      return [own, pgPool(servers, refresh)];
    }
    case "ioredis": {
      // One client per connection, each with the hook; keepAlive: ioredis calls
      // setKeepAlive(true, keepAlive) in its socket's "connect" handler.
      const clients: Redis[] = [];
      return [{
        take: () => {
          const redis = new Redis({
            host: "127.0.0.1",
            port: servers.redisPort,
            keepAlive: OWN_IDLE.ioredis,
            connectTimeout: 60_000,
            lazyConnect: true,
          });
          redis.on("connect", () => refresh());
          redis.on("error", () => {});
          clients.push(redis);
          return redis.ping();
        },
        close: async () => void await Promise.all(clients.map((c) => c.quit())),
      }];
    }
    case "Bun SQL": {
      // Bun's SQL turns keep-alive on with its own idle time when it connects.
      const sql = new Bun.SQL({
        adapter: "postgres",
        hostname: "127.0.0.1",
        port: servers.pgPort,
        username: servers.pgUser,
        database: "postgres",
        max: CONNECTIONS,
        connectionTimeout: 60,
        onconnect: () => refresh(), // the README's hook
      });
      const taken: Bun.ReservedSQL[] = [];
      return [{
        take: async () => {
          const reserved = await sql.reserve();
          taken.push(reserved);
          await reserved`select 1`;
        },
        close: async () => {
          await Promise.all(taken.map((reserved) => reserved.release()));
          await sql.close({ timeout: 5 });
        },
      }];
    }
  }
}

/**
 * Opens `CONNECTIONS` connections of `driver` as `pattern` says under a policy with the README's
 * settings and hooks, waits for two more of its timer's ticks, and reads back what every
 * connection of the driver holds.
 */
export async function hooked(driver: HookDriver, servers: HookServers, pattern: Pattern): Promise<HookFacts> {
  const port = driver === "ioredis" ? servers.redisPort : servers.pgPort;
  // The README's settings; the period fixed at the shortest the default picks, so that the two
  // ticks waited for below do not stretch with the host's socket count (a tick dumps them all).
  using policy = keepConfigured({ remotePort: port }, { detectWithin: HOOK_BOUND }, { period: MIN_AUTO_PERIOD });
  let refreshes = 0;
  const clients = growers(driver, servers, () => {
    refreshes++;
    policy.refresh();
  });
  try {
    const begun = performance.now();
    const taken: Promise<unknown>[] = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      for (const client of clients) taken.push(client.take());
      if (pattern === "one every 2 ms") await sleep(2);
    }
    await Promise.all(taken);
    const opened = performance.now();
    // The timer's next ticks: the hooks ran their last refresh() already.
    const ticks = policy.stats.ticks;
    while (policy.stats.ticks < ticks + 2) await sleep(50);
    const openMs = Math.round(opened - begun);
    const ticksMs = Math.round(performance.now() - opened);
    // Every connection to the port: in the postgres scenario its pg Pool's too, whose own
    // keep-alive is as much to be overwritten.
    const held = connectionsTo("127.0.0.1", port).filter((c) => c.state === "01").map(({ fd, localPort }) => ({
      localPort,
      keepAlive: getKeepAlive(fd),
      userTimeout: getUserTimeout(fd),
    }));
    return { held, refreshes, ticks: policy.stats.ticks, reasserted: policy.stats.reasserted, openMs, ticksMs };
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
  }
}
