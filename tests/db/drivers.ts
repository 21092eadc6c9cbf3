/**
 * The real database clients the driver tests exercise, behind one shape: npm `pg` (Pool),
 * `postgres` and `ioredis` under both runtimes, and Bun's built-in `SQL` and `RedisClient` under
 * Bun. Each reports the first sign it gives of a lost connection through its own API (an event,
 * a callback, or a flag a service would poll), since that is what an application sees.
 */
/// <reference types="npm:@types/bun@1.4.4" />
import pg from "pg";
import postgres from "postgres";
import { Redis } from "ioredis";
import { codeOf, type Ending, endingSignal } from "../e2e/ending.ts";
import { isBun } from "../support/runtime.ts";

/** A client library. */
export type DriverName = "pg" | "postgres" | "ioredis" | "Bun SQL" | "Bun RedisClient";

/** The clients this runtime has. */
export const DRIVERS: readonly DriverName[] = isBun
  ? ["pg", "postgres", "ioredis", "Bun SQL", "Bun RedisClient"]
  : ["pg", "postgres", "ioredis"];

/** Which server a client talks to. */
export function serverOf(name: DriverName): "postgres" | "redis" {
  return name === "ioredis" || name === "Bun RedisClient" ? "redis" : "postgres";
}

/** Where to connect: TCP, or a Unix socket (PostgreSQL: its directory; Redis: the socket file). */
export type Endpoint =
  | { readonly host: string; readonly port: number }
  | { readonly path: string; readonly port: number };

/** What every client is opened with. */
export interface DriverOptions {
  /** PostgreSQL's superuser. */
  readonly user: string;
  /** Pool size for the SQL clients (the Redis clients hold one connection). */
  readonly pool: number;
  /** PostgreSQL `application_name`, so a test can end exactly this client's sessions. */
  readonly tag: string;
}

/** An open client. */
export interface Driver {
  readonly name: DriverName;
  /** One round trip: `select 1` or `PING`. */
  command(): Promise<unknown>;
  /** `n` slow commands at once, so that a pool opens `n` connections. */
  busy(n: number): Promise<void>;
  /** The driver's first sign that a connection is gone (never rejects). */
  readonly lost: Promise<Ending>;
  /** What the driver's callbacks saw, for the report. */
  facts(): Record<string, unknown>;
  /** Closes without waiting: a dead peer would make a graceful close hang. */
  close(): void;
}

const SLOW_SQL = "select pg_sleep(0.3)";

/**
 * How long a client may take to connect, in ms, where a driver lets it be set: no scenario times
 * a connect, and on a busy machine (every scenario of every client at once, beside other jobs)
 * the drivers' defaults (ioredis and Bun's RedisClient 10 s, postgres and Bun's SQL 30 s) are
 * too short; pg waits without a limit by default.
 */
const CONNECT_LIMIT_MS = 60_000;

function openPg(endpoint: Endpoint, options: DriverOptions): Driver {
  const { ended, end } = endingSignal();
  const host = "path" in endpoint ? endpoint.path : endpoint.host;
  const pool = new pg.Pool({
    host,
    port: endpoint.port,
    user: options.user,
    database: "postgres",
    max: options.pool,
    application_name: options.tag,
    idleTimeoutMillis: 0,
    connectionTimeoutMillis: CONNECT_LIMIT_MS,
  });
  // An idle client's failure reaches the pool's "error" event (unhandled, it would crash).
  pool.on("error", (error) => end(`pool "error" ${codeOf(error)}`));
  return {
    name: "pg",
    command: () => pool.query("select 1"),
    busy: async (n) => void await Promise.all(Array.from({ length: n }, () => pool.query(SLOW_SQL))),
    lost: ended,
    facts: () => ({ totalCount: pool.totalCount, idleCount: pool.idleCount }),
    close: () => void pool.end().catch(() => {}),
  };
}

function openPostgres(endpoint: Endpoint, options: DriverOptions): Driver {
  const { ended, end } = endingSignal();
  const closes: string[] = [];
  const sql = postgres({
    host: "path" in endpoint ? endpoint.path : endpoint.host,
    port: endpoint.port,
    user: options.user,
    database: "postgres",
    max: options.pool,
    connect_timeout: CONNECT_LIMIT_MS / 1000,
    connection: { application_name: options.tag },
    onnotice: () => {},
    onclose: (id: number) => {
      closes.push(String(id));
      end("onclose");
    },
  });
  return {
    name: "postgres",
    command: () => sql`select 1`,
    busy: async (n) => void await Promise.all(Array.from({ length: n }, () => sql.unsafe(SLOW_SQL))),
    lost: ended,
    facts: () => ({ oncloseCalls: closes.length }),
    close: () => void sql.end({ timeout: 0 }).catch(() => {}),
  };
}

function openIoredis(endpoint: Endpoint): Driver {
  const { ended, end } = endingSignal();
  const events: string[] = [];
  const connectTimeout = CONNECT_LIMIT_MS;
  const redis = "path" in endpoint
    ? new Redis({ path: endpoint.path, connectTimeout })
    : new Redis({ host: endpoint.host, port: endpoint.port, connectTimeout });
  redis.on("error", (error) => events.push(`error ${codeOf(error)}`));
  redis.on("close", () => {
    events.push("close");
    end(`"close"${events.length > 1 ? ` after ${events[events.length - 2]}` : ""}`);
  });
  redis.on("reconnecting", () => events.push("reconnecting"));
  redis.on("ready", () => events.push("ready"));
  return {
    name: "ioredis",
    command: () => redis.ping(),
    busy: async (n) => void await Promise.all(Array.from({ length: n }, () => redis.ping())),
    lost: ended,
    facts: () => ({ status: redis.status, events: events.slice(0, 8) }),
    close: () => redis.disconnect(),
  };
}

function openBunSql(endpoint: Endpoint, options: DriverOptions): Driver {
  const { ended, end } = endingSignal();
  const closes: string[] = [];
  const sql = new Bun.SQL({
    adapter: "postgres",
    ...("path" in endpoint ? { path: endpoint.path } : { hostname: endpoint.host }),
    port: endpoint.port,
    username: options.user,
    database: "postgres",
    max: options.pool,
    idleTimeout: 0,
    connectionTimeout: CONNECT_LIMIT_MS / 1000,
    connection: { application_name: options.tag },
    onclose: (error) => {
      closes.push(codeOf(error));
      end(`onclose ${codeOf(error)}`);
    },
  });
  return {
    name: "Bun SQL",
    command: () => sql`select 1`,
    busy: async (n) => void await Promise.all(Array.from({ length: n }, () => sql.unsafe(SLOW_SQL))),
    lost: ended,
    facts: () => ({ onclose: closes.slice(0, 4) }),
    close: () => void sql.close({ timeout: 0 }).catch(() => {}),
  };
}

function openBunRedis(endpoint: Endpoint): Driver {
  const { ended, end } = endingSignal();
  const url = "path" in endpoint ? `redis+unix://${endpoint.path}` : `redis://${endpoint.host}:${endpoint.port}`;
  const client = new Bun.RedisClient(url, { connectionTimeout: CONNECT_LIMIT_MS });
  const closes: string[] = [];
  client.onclose = (error) => {
    closes.push(codeOf(error));
    end(`onclose ${codeOf(error)}`);
  };
  // RedisClient has no event for a connection it lost and is retrying: a service polls `connected`.
  let wasConnected = false;
  const poll = setInterval(() => {
    if (client.connected) wasConnected = true;
    else if (wasConnected) end("connected became false");
  }, 20);
  return {
    name: "Bun RedisClient",
    command: () => client.send("PING", []),
    busy: async (n) => void await Promise.all(Array.from({ length: n }, () => client.send("PING", []))),
    lost: ended,
    facts: () => ({ connected: client.connected, onclose: closes.slice(0, 4) }),
    close: () => {
      clearInterval(poll);
      client.close();
    },
  };
}

/** Opens a client of `name` to `endpoint`; it connects on its first command. */
export function openDriver(name: DriverName, endpoint: Endpoint, options: DriverOptions): Driver {
  switch (name) {
    case "pg":
      return openPg(endpoint, options);
    case "postgres":
      return openPostgres(endpoint, options);
    case "ioredis":
      return openIoredis(endpoint);
    case "Bun SQL":
      return openBunSql(endpoint, options);
    case "Bun RedisClient":
      return openBunRedis(endpoint);
  }
}
