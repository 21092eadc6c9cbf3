/**
 * What the driver tests measure, each for one client against the real servers of this private
 * namespace. Every scenario talks to its own server address (127.0.0.N: the servers listen on
 * the namespace's whole loopback), so they run together and a scenario's dropped packets touch
 * no other. A scenario only measures; tests/db.test.ts holds the expectations.
 */
import {
  configureSockets,
  deadPeerPlan,
  getKeepAlive,
  getUserTimeout,
  keepConfigured,
  type SocketPolicy,
} from "../../mod.ts";
import { codeOf, endingSignal } from "../e2e/ending.ts";
import { nft } from "../e2e/nft.ts";
import { sleep, watch } from "../e2e/observation.ts";
import { type DriverName, openDriver, serverOf } from "./drivers.ts";
import { connectionsTo, unixConnectionsTo } from "./oracle.ts";

/** The dead-peer bound every scenario asks for, in ms. */
export const BOUND = 3_000;
/** The policies' period in these tests, in ms. */
export const PERIOD = 200;
/** How long a control is watched: twice the bound. */
export const CONTROL_WATCH = 2 * BOUND;
/** How long a command sent after the driver noticed is watched. */
export const AFTER_WATCH = 3_000;
/**
 * How long a scenario waits, at most, for what no test times: a driver to reconnect after the
 * server ended its sessions, a policy to tick twice more. Both take well under a second on an idle
 * machine; this leaves a saturated one room.
 */
const SETTLE_LIMIT_MS = 30_000;

/** The servers, as seen from inside the namespace. */
export interface Setup {
  readonly pgPort: number;
  readonly pgSocketDir: string;
  readonly pgUser: string;
  readonly redisPort: number;
  readonly redisSocket: string;
  /** A fresh loopback address for one scenario: 127.0.0.2, 127.0.0.3, … */
  address(): string;
  /** Ends, from the server's side, every session of the client tagged `tag` at `address`. */
  kill(driver: DriverName, address: string, tag: string): Promise<void>;
}

/** A connection's settings as getsockopt reads them. */
export interface HeldSettings {
  readonly localPort: number;
  readonly state: string;
  readonly keepAlive: unknown;
  readonly userTimeout: number;
}

function held(address: string, port: number): HeldSettings[] {
  return connectionsTo(address, port).map(({ fd, localPort, state }) => {
    try {
      return { localPort, state, keepAlive: getKeepAlive(fd), userTimeout: getUserTimeout(fd) };
    } catch (error) {
      return { localPort, state, keepAlive: `unreadable: ${codeOf(error)}`, userTimeout: -1 };
    }
  });
}

function portOf(setup: Setup, name: DriverName): number {
  return serverOf(name) === "redis" ? setup.redisPort : setup.pgPort;
}

/** Drops every packet to or from `address` on this namespace's loopback, as if its host died. */
function dropAddress(address: string): Promise<void> {
  const table = `drop_${address.replaceAll(".", "_")}`;
  return nft(`
table ip ${table} {
  chain input {
    type filter hook input priority filter; policy accept;
    ip daddr ${address} counter drop
    ip saddr ${address} counter drop
  }
}
`);
}

/**
 * Retries `work` until it succeeds, for at most `limitMs`: a driver reconnecting may first fail
 * commands on connections the server ended.
 */
async function until(work: () => Promise<unknown>, limitMs: number): Promise<void> {
  const end = performance.now() + limitMs;
  for (;;) {
    try {
      await work();
      return;
    } catch (error) {
      if (performance.now() > end) throw error;
      await sleep(100);
    }
  }
}

/** How a promise settled within `limitMs` of `start`: `resolved`, `rejected CODE` or `pending`. */
async function settle(
  promise: Promise<unknown>,
  start: number,
  limitMs: number,
): Promise<{ outcome: string; ms: number }> {
  const { ended, end } = endingSignal();
  promise.then(() => end("resolved"), (error) => end(`rejected ${codeOf(error)}`));
  const { code, ms } = await watch(ended, start, limitMs);
  return { outcome: code ?? "pending", ms };
}

/**
 * Waits for two more ticks of `policy` (one that finds a new socket, one that checks it again),
 * however late a busy event loop runs them, and at least as long as two periods; without a
 * policy, the same wall-clock time.
 */
async function settled(policy: SocketPolicy | undefined): Promise<void> {
  const from = policy?.stats.ticks ?? 0;
  await sleep(2 * PERIOD + 100);
  const end = performance.now() + SETTLE_LIMIT_MS;
  while (policy !== undefined && policy.stats.ticks < from + 2 && performance.now() < end) await sleep(PERIOD / 2);
}

/**
 * Waits (at most {@link SETTLE_LIMIT_MS}) until the driver has closed its end of every connection
 * in `before` that the server ended: none is ESTABLISHED or CLOSE_WAIT any more. A command sent
 * before that can sit in the driver's write buffer when the close arrives, and postgres 3.4.9
 * then never flushes that connection again (teardown cancels its pending write without clearing
 * it), so every reconnect of it hangs until CONNECT_TIMEOUT: seen under Bun, with the client's
 * socket ESTABLISHED and nothing sent.
 */
async function sessionsEnded(address: string, port: number, before: readonly HeldSettings[]): Promise<void> {
  const old = new Set(before.map((s) => s.localPort));
  const end = performance.now() + SETTLE_LIMIT_MS;
  const open = () => connectionsTo(address, port).some((c) => old.has(c.localPort) && ["01", "08"].includes(c.state));
  while (open() && performance.now() < end) await sleep(20);
}

/**
 * A pool that grows and a client that reconnects: with the policy (`library`), every connection
 * the driver opens, first or later, should hold the bound's settings; without it, the driver's own.
 * The policy runs as users run it, without `reassert`: drivers that set keep-alive in their own
 * connect handler (postgres, ioredis, Bun SQL) overwrite values the policy set if it ticked between
 * the kernel's handshake and that handler (postgres: two connections of three in one run), and the
 * policy's checks of each new socket in the ticks after it configured it must set them again.
 */
export async function follows(setup: Setup, name: DriverName, library: boolean): Promise<Record<string, unknown>> {
  const address = setup.address();
  const port = portOf(setup, name);
  const tag = `follows-${address}`;
  using policy = library
    ? keepConfigured({ remoteHost: address, remotePort: port }, { detectWithin: BOUND }, { period: PERIOD })
    : undefined;
  const driver = openDriver(name, { host: address, port }, { user: setup.pgUser, pool: 3, tag });
  try {
    await driver.command();
    await driver.busy(3);
    await settled(policy);
    const grown = held(address, port);
    await setup.kill(name, address, tag);
    await sessionsEnded(address, port, grown);
    await until(() => driver.busy(3), SETTLE_LIMIT_MS);
    await settled(policy);
    const reconnected = held(address, port);
    return { grown, reconnected, stats: policy?.stats, driver: driver.facts() };
  } finally {
    driver.close();
  }
}

/**
 * A dead peer on an idle connection: packets to and from the server are dropped; how long until
 * the driver shows it, and what a command sent then does.
 */
export async function idle(setup: Setup, name: DriverName, library: boolean): Promise<Record<string, unknown>> {
  const address = setup.address();
  const port = portOf(setup, name);
  using policy = library
    ? keepConfigured({ remoteHost: address, remotePort: port }, { detectWithin: BOUND }, { period: 0 })
    : undefined;
  const driver = openDriver(name, { host: address, port }, { user: setup.pgUser, pool: 1, tag: "idle" });
  try {
    await driver.command();
    policy?.refresh(); // what a connect hook does
    const settings = held(address, port);
    await sleep(300); // the last ACKs cross before the cut
    await dropAddress(address);
    const start = performance.now();
    const lost = await watch(driver.lost, start, library ? BOUND + 3_000 : CONTROL_WATCH);
    let after: { outcome: string; ms: number } | undefined;
    if (lost.code !== null) {
      const sent = performance.now();
      after = await settle(driver.command(), sent, AFTER_WATCH);
    }
    return { settings, lost, after, driver: driver.facts() };
  } finally {
    driver.close();
  }
}

/**
 * A command in flight when the peer dies: packets are dropped, then a command is sent; how long
 * until the driver shows it, and how the command ends. Only a command sent before the first
 * keep-alive probe (the plan's idle time after the last reply) tests that: on a machine slow enough
 * to go quiet that long between the last reply and the send (every scenario shares one event loop),
 * the attempt is repeated on a new connection, at most three times, and the facts say how many.
 */
export async function inFlight(setup: Setup, name: DriverName, library: boolean): Promise<Record<string, unknown>> {
  const quietLimit = deadPeerPlan(BOUND).idle;
  const quiet: number[] = [];
  for (;;) {
    const facts = await inFlightOnce(setup, name, library);
    quiet.push(facts.quietMs as number);
    if (quiet.at(-1)! < quietLimit || quiet.length === 3) return { ...facts, quietMs: quiet };
  }
}

async function inFlightOnce(setup: Setup, name: DriverName, library: boolean): Promise<Record<string, unknown>> {
  const address = setup.address();
  const port = portOf(setup, name);
  using policy = library
    ? keepConfigured({ remoteHost: address, remotePort: port }, { detectWithin: BOUND }, { period: 0 })
    : undefined;
  const driver = openDriver(name, { host: address, port }, { user: setup.pgUser, pool: 1, tag: "in-flight" });
  try {
    await driver.command();
    policy?.refresh();
    const settings = held(address, port);
    // The last reply before the cut: keep-alive's idle clock starts here.
    await driver.command();
    const replied = performance.now();
    await dropAddress(address);
    await sleep(100);
    const sent = performance.now();
    const limit = library ? BOUND + 3_000 : CONTROL_WATCH;
    const [lost, command] = await Promise.all([watch(driver.lost, sent, limit), settle(driver.command(), sent, limit)]);
    return { settings, quietMs: Math.round(sent - replied), lost, command, driver: driver.facts() };
  } finally {
    driver.close();
  }
}

/**
 * A driver connected over a Unix socket: configureSockets and the policy should name its socket
 * among the ones they skipped, and why, rather than return nothing. Runs alone, after the other
 * scenarios: its filter names only the port, as a user would, so it matches their connections too.
 */
export async function unix(setup: Setup, name: DriverName): Promise<Record<string, unknown>> {
  const port = portOf(setup, name);
  const path = serverOf(name) === "redis" ? setup.redisSocket : `${setup.pgSocketDir}/.s.PGSQL.${port}`;
  const endpoint = serverOf(name) === "redis" ? { path, port } : { path: setup.pgSocketDir, port };
  const driver = openDriver(name, endpoint, { user: setup.pgUser, pool: 1, tag: "unix" });
  try {
    // By inode: a connection another scenario just closed may leave its fd number to this one.
    const before = new Set(unixConnectionsTo(path).map((c) => c.inode));
    await driver.command();
    const fds = unixConnectionsTo(path).filter((c) => !before.has(c.inode)).map((c) => c.fd);
    const result = configureSockets({ remotePort: port }, { detectWithin: BOUND });
    // The policy's first tick looks at every socket; later ticks look for non-TCP ones only every
    // so often, so the policy starts after the driver has connected.
    using policy = keepConfigured({ remotePort: port }, { detectWithin: BOUND }, { period: 0 });
    const report = policy.report;
    const mine = (skipped: readonly { fd: number; kind: string; reason: string; detail: string }[]) =>
      skipped.filter((s) => fds.includes(s.fd)).map(({ fd, kind, reason, detail }) => ({ fd, kind, reason, detail }));
    return {
      fds,
      configured: result.length,
      configureSkipped: mine(result.skipped),
      policySkipped: mine(report.skipped),
    };
  } finally {
    driver.close();
  }
}
