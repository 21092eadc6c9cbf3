/**
 * Real PostgreSQL and Redis servers for the driver tests, started from the binaries Debian
 * installs (`.ci/run` installs them as root), each into a fresh temporary directory, listening on
 * the addresses a test names and on a Unix socket, and stopped again by the test.
 *
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` user Debian's package
 * creates (through `setpriv`); as anyone else it runs as that user.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PG_ROOT = "/usr/lib/postgresql";
const PG_USER = "postgres";

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
    child.once("exit", (code, signal) => fail(`exited with ${code ?? signal}`));
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
 */
export async function startPostgres(port: number, addresses: string): Promise<PostgresServer> {
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
  try {
    const initdb = ["-D", data, "-A", "trust", "-U", superuser, "-E", "UTF8", "--no-sync", "--no-instructions"];
    const [program, ...args] = asUser(join(bin, "initdb"), initdb);
    execFileSync(program, args, { stdio: "pipe" });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = String((error as { stderr?: unknown }).stderr ?? error);
    throw new Error(`Cannot initialise a PostgreSQL data directory: ${stderr.trim()}`);
  }
  const settings = {
    listen_addresses: addresses,
    unix_socket_directories: dir,
    fsync: "off",
    synchronous_commit: "off",
    full_page_writes: "off",
    max_connections: "100",
    shared_buffers: "16MB",
    logging_collector: "off",
  };
  const args = ["-D", data, "-p", String(port)];
  for (const [key, value] of Object.entries(settings)) args.push("-c", `${key}=${value}`);
  const argv = asUser(join(bin, "postgres"), args);
  let server: Process;
  try {
    server = await startUntil(argv, dir, /ready to accept connections/, 20_000);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  // SIGINT is PostgreSQL's fast shutdown: it ends every session and exits without waiting.
  return { port, socketDir: dir, user: superuser, stop: () => stopProcess(server, "SIGINT") };
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
    server = await startUntil(argv, dir, /Ready to accept connections/, 20_000);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { port, socketPath, stop: () => stopProcess(server, "SIGTERM") };
}
