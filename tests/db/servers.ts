/**
 * Real PostgreSQL and Redis servers for the driver tests, started from the binaries Debian
 * installs (`.ci/run` installs them as root), each into a fresh temporary directory, listening on
 * the addresses a test names and on a Unix socket, and stopped again by the test.
 *
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` user Debian's package
 * creates (through `setpriv`); as anyone else it runs as that user.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PG_ROOT = "/usr/lib/postgresql";
const PG_USER = "postgres";

/**
 * How long a server may take to start, initdb included, in ms. Measured on a 2-core machine
 * (initdb and PostgreSQL with Redis beside it): 0.6 s idle, 1.7 s with two busy loops per core
 * beside it, and up to 14.5 s with those loops beside other jobs (load average 13), where the 20 s
 * this once was came close. The tests' timeouts are built on it (tests/examples.test.ts,
 * tests/db.test.ts through tests/db/observation.ts, tests/db_hooks.test.ts).
 */
export const SERVER_START_LIMIT_MS = 60_000;

/** The newest PostgreSQL's bin directory under /usr/lib/postgresql (Debian's layout), if any. */
function pgBin(): string | undefined {
  if (!existsSync(PG_ROOT)) return undefined;
  const versions = readdirSync(PG_ROOT).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  const found = versions.map((v) => join(PG_ROOT, v, "bin")).find((bin) => existsSync(join(bin, "postgres")));
  return found;
}

function onPath(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}

function postgresUser(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync("id", ["-u", PG_USER], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", PG_USER], { encoding: "utf8" }).trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

const isRoot = process.getuid?.() === 0;

/**
 * Why the real servers cannot run here, or `false` when they can: Linux, PostgreSQL's server
 * binaries under /usr/lib/postgresql, `redis-server` on PATH, and (as root) a `postgres` user and
 * `setpriv` to become it.
 */
export function serversUnavailable(): string | false {
  if (process.platform !== "linux") return `needs Linux (this is ${process.platform})`;
  if (pgBin() === undefined) return "needs PostgreSQL's server (apt-get install postgresql)";
  if (!onPath("redis-server")) return "needs redis-server on PATH (apt-get install redis-server)";
  if (isRoot && (postgresUser() === undefined || !onPath("setpriv"))) {
    return `needs a "${PG_USER}" user and setpriv to run PostgreSQL, which refuses root`;
  }
  return false;
}

/** A server process and the temporary directory that holds its data, its socket and its log. */
interface Process {
  readonly child: ChildProcess;
  readonly dir: string;
  /** Everything the server printed, for error messages. */
  output(): string;
}

/** Starts `argv` and resolves once it prints `ready`; rejects with its output if it exits first or is slow. */
function startUntil(argv: string[], dir: string, ready: RegExp, limitMs: number): Promise<Process> {
  const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  const output = () => text;
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`Cannot start ${argv[0]}: ${why}\n${text}`));
    };
    const timer = setTimeout(() => fail(`not ready after ${limitMs} ms`), limitMs);
    const onData = (chunk: Buffer) => {
      text += chunk;
      if (ready.test(text)) {
        clearTimeout(timer);
        resolve({ child, dir, output });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("error", (error) => fail(error.message));
    // "close", not "exit": the output that says why (a port taken meanwhile) may still be in the pipes.
    child.once("close", (code, signal) => fail(`exited with ${code ?? signal}`));
  });
}

/** Signals a server, waits (bounded) for it to exit, then removes its directory. */
async function stopProcess(server: Process, signal: NodeJS.Signals): Promise<void> {
  const { child } = server;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
  child.stdout?.destroy();
  child.stderr?.destroy();
  rmSync(server.dir, { recursive: true, force: true });
}

/** A running PostgreSQL server. */
export interface PostgresServer {
  readonly port: number;
  /** The directory holding its Unix socket, `.s.PGSQL.<port>`. */
  readonly socketDir: string;
  /** The superuser, who may connect without a password (trust authentication). */
  readonly user: string;
  /** Fast shutdown, then removes its files. */
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL on `port`, listening on `addresses` (comma-separated, as `listen_addresses`)
 * and on a Unix socket in its own directory, with durability off: these servers only answer.
 *
 * @param port The port, or how to pick one once the data directory is ready (initdb takes
 *   seconds on a busy machine, long enough for another process to take a port picked before).
 */
export async function startPostgres(
  port: number | (() => Promise<number>),
  addresses: string,
): Promise<PostgresServer> {
  const bin = pgBin();
  if (bin === undefined) throw new Error("Cannot start PostgreSQL: no server under /usr/lib/postgresql");
  const dir = mkdtempSync(join(tmpdir(), "sockopts-pg-"));
  const user = isRoot ? postgresUser() : undefined;
  if (user !== undefined) chownSync(dir, user.uid, user.gid);
  // As root, every PostgreSQL program runs as the postgres user.
  const asUser = (program: string, args: string[]): string[] =>
    user === undefined
      ? [program, ...args]
      : ["setpriv", `--reuid=${user.uid}`, `--regid=${user.gid}`, "--init-groups", program, ...args];
  const data = join(dir, "data");
  const superuser = user === undefined ? (process.env.USER ?? "postgres") : PG_USER;
  const started = performance.now();
  try {
    const initdb = ["-D", data, "-A", "trust", "-U", superuser, "-E", "UTF8", "--no-sync", "--no-instructions"];
    const [program, ...args] = asUser(join(bin, "initdb"), initdb);
    // Not execFileSync: on a busy machine initdb takes seconds, and the caller's timers must run meanwhile.
    await new Promise<void>((resolve, reject) => {
      execFile(program, args, { timeout: SERVER_START_LIMIT_MS, killSignal: "SIGKILL" }, (error, _out, stderr) => {
        if (error === null) resolve();
        else if (error.killed) reject(new Error(`initdb not done after ${SERVER_START_LIMIT_MS} ms`));
        else reject(new Error(String(stderr).trim() || error.message));
      });
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`Cannot initialise a PostgreSQL data directory: ${(error as Error).message}`);
  }
  const settings = {
    listen_addresses: addresses,
    unix_socket_directories: dir,
    fsync: "off",
    synchronous_commit: "off",
    full_page_writes: "off",
    max_connections: "200", // tests/db_hooks.test.ts opens 60 at once
    shared_buffers: "16MB",
    logging_collector: "off",
  };
  let chosen: number;
  try {
    chosen = typeof port === "number" ? port : await port();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const args = ["-D", data, "-p", String(chosen)];
  for (const [key, value] of Object.entries(settings)) args.push("-c", `${key}=${value}`);
  const argv = asUser(join(bin, "postgres"), args);
  let server: Process;
  try {
    const left = Math.max(1, SERVER_START_LIMIT_MS - (performance.now() - started));
    server = await startUntil(argv, dir, /ready to accept connections/, left);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  // SIGINT is PostgreSQL's fast shutdown: it ends every session and exits without waiting.
  return { port: chosen, socketDir: dir, user: superuser, stop: () => stopProcess(server, "SIGINT") };
}

/** A running Redis server. */
export interface RedisServer {
  readonly port: number;
  /** The path of its Unix socket. */
  readonly socketPath: string;
  /** Stops it (nothing is saved) and removes its files. */
  stop(): Promise<void>;
}

/**
 * Starts Redis on `port`, bound to `addresses` (space-separated, as `bind`; at most 16) and to a
 * Unix socket, keeping nothing on disk.
 */
export async function startRedis(port: number, addresses: string): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "sockopts-redis-"));
  const socketPath = join(dir, "redis.sock");
  const argv = [
    "redis-server",
    ...["--port", String(port), "--bind", ...addresses.split(" "), "--protected-mode", "no"],
    ...["--unixsocket", socketPath, "--unixsocketperm", "700", "--dir", dir],
    ...["--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "notice"],
  ];
  let server: Process;
  try {
    server = await startUntil(argv, dir, /Ready to accept connections/, SERVER_START_LIMIT_MS);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { port, socketPath, stop: () => stopProcess(server, "SIGTERM") };
}

/** PostgreSQL and Redis on 127.0.0.1, for tests that run on the host's loopback. */
export interface LoopbackServers {
  readonly pgPort: number;
  readonly redisPort: number;
  /** PostgreSQL's superuser (trust authentication). */
  readonly pgUser: string;
  /** How long both took to start, in ms: the tests print it, to show what a busy machine needs. */
  readonly startupMs: number;
  stop(): Promise<void>;
}

/** A port nothing listens on now (another process may still take it before the server does). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** How many times a server is started on new ports after another process took its port meanwhile. */
const PORT_TRIES = 3;

/**
 * Starts a server on a free port, and again on another when a process took the port between the
 * pick and the server's bind (the host's own connections draw their local ports from the same range).
 */
async function onFreePort<T>(start: (port: () => Promise<number>) => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await start(freePort);
    } catch (error) {
      if (attempt === PORT_TRIES || !/Address already in use/.test(String(error))) throw error;
    }
  }
}

/**
 * Starts PostgreSQL and Redis on 127.0.0.1, each on a free port, at once; if either fails, stops
 * the other (these run on the host, where nothing else would) and rethrows.
 */
export async function startLoopbackServers(): Promise<LoopbackServers> {
  const begun = performance.now();
  const started = await Promise.allSettled([
    onFreePort((port) => startPostgres(port, "127.0.0.1")),
    onFreePort(async (port) => startRedis(await port(), "127.0.0.1")),
  ]);
  const [pg, redis] = started;
  if (pg.status === "rejected" || redis.status === "rejected") {
    await Promise.all(started.map((s) => s.status === "fulfilled" ? s.value.stop() : undefined));
    throw pg.status === "rejected" ? pg.reason : (redis as PromiseRejectedResult).reason;
  }
  return {
    pgPort: pg.value.port,
    redisPort: redis.value.port,
    pgUser: pg.value.user,
    startupMs: Math.round(performance.now() - begun),
    stop: async () => void await Promise.all([pg.value.stop(), redis.value.stop()]),
  };
}
