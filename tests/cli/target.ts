/**
 * A process for the command to work on, started by tests/cli_process.test.ts and
 * tests/cli_pg.test.ts: it holds TCP connections to two servers (`db` and `cache`) and the servers
 * themselves, a file and a Unix-domain listener (fds `set` must leave alone), then answers on stdin:
 * `report` prints `REPORT {json}`, what it sees of itself (./own_sockets.ts); `query` (pg) runs a
 * query on every pooled connection and prints `QUERY ok`; `undumpable` (Deno) makes the process
 * non-dumpable. It exits when stdin closes.
 *
 * - `deno`: `Deno.listen` servers and `Deno.connect` clients, 2 to db and 1 to cache.
 * - `bun`: `Bun.listen` servers and `Bun.connect` clients, the same.
 * - `pg` (Node): a `pg` Pool of 3 connections to PostgreSQL (db), and a `node:net` client to a
 *   `node:net` server (cache). PostgreSQL is the one at DATABASE_URL, or with
 *   SOCKOPTS_CLI_POSTGRES=1 one this process starts (tests/db/servers.ts) on 127.0.0.1:5432 of
 *   the private namespace it runs in, and stops when it exits.
 *
 * - `dead-peer` (Deno, in a private network namespace): a `Deno.connect` client to each of two
 *   echo servers, keep-alive as the kernel made it; `cut` makes a round trip on both, drops every
 *   packet of both servers (nftables) and prints `CUT {json}`: how each client ended within 8 s.
 *
 * Usage: <runtime> tests/cli/target.ts deno|bun|pg|dead-peer
 */
/// <reference types="npm:@types/bun@1.4.4" />
import net from "node:net";
import { mkdtempSync, openSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";
import { ownView } from "./own_sockets.ts";

const kind = process.argv[2];
const dir = mkdtempSync(join(tmpdir(), "sockopts-cli-target-"));
const keep: unknown[] = [openSync(join(dir, "file"), "w")];
let query: (() => Promise<void>) | undefined;
let cut: (() => Promise<unknown>) | undefined;
let ports: { db: number; cache: number };

async function deno(): Promise<{ db: number; cache: number }> {
  const listen = () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    (async () => {
      for await (const conn of listener) keep.push(conn);
    })();
    keep.push(listener);
    return listener.addr.port;
  };
  const db = listen();
  const cache = listen();
  keep.push(Deno.listen({ transport: "unix", path: join(dir, "unix.sock") }));
  for (const port of [db, db, cache]) keep.push(await Deno.connect({ hostname: "127.0.0.1", port }));
  return { db, cache };
}

async function bun(): Promise<{ db: number; cache: number }> {
  const listen = () => {
    const listener = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data() {},
        open(s) {
          keep.push(s);
        },
      },
    });
    keep.push(listener);
    return listener.port;
  };
  const db = listen();
  const cache = listen();
  keep.push(Bun.listen({ unix: join(dir, "unix.sock"), socket: { data() {} } }));
  for (const port of [db, db, cache]) {
    keep.push(await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }));
  }
  return { db, cache };
}

let stopPostgres: (() => Promise<void>) | undefined;

async function pool(): Promise<{ db: number; cache: number }> {
  if (process.env.SOCKOPTS_CLI_POSTGRES === "1") {
    const { startPostgres } = await import("../db/servers.ts");
    const server = await startPostgres(5432, "127.0.0.1");
    stopPostgres = server.stop;
    process.env.DATABASE_URL = `postgres://${server.user}@127.0.0.1:5432/postgres`;
  }
  const url = new URL(process.env.DATABASE_URL!);
  const p = new pg.Pool({ connectionString: url.href, max: 3, idleTimeoutMillis: 0 });
  p.on("error", () => {});
  const clients = await Promise.all([p.connect(), p.connect(), p.connect()]);
  for (const c of clients) c.release();
  query = async () => {
    await Promise.all([1, 2, 3].map(() => p.query("select pg_sleep(0.05)")));
  };
  const server = net.createServer((s) => keep.push(s.on("error", () => {})));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const cache = (server.address() as net.AddressInfo).port;
  const client = net.connect(cache, "127.0.0.1");
  await new Promise((resolve) => client.once("connect", resolve));
  const unix = net.createServer().listen(join(dir, "unix.sock"));
  keep.push(p, server, client, unix);
  return { db: Number(url.port), cache };
}

async function deadPeer(): Promise<{ db: number; cache: number }> {
  const { connect, echoServer } = await import("../e2e/connections.ts");
  const { dropPort } = await import("../e2e/nft.ts");
  const { roundTrip, watch } = await import("../e2e/observation.ts");
  const servers = [await echoServer(), await echoServer()];
  const clients = [await connect("Deno.Conn", servers[0].port), await connect("Deno.Conn", servers[1].port)];
  keep.push(servers, clients);
  cut = async () => {
    for (const client of clients) await roundTrip(client);
    for (const server of servers) await dropPort(server.port);
    const start = performance.now();
    const [db, cache] = await Promise.all(clients.map((c) => watch(c.ended, start, 8_000)));
    return { db, cache };
  };
  return { db: servers[0].port, cache: servers[1].port };
}

if (kind === "deno") ports = await deno();
else if (kind === "dead-peer") ports = await deadPeer();
else if (kind === "bun") ports = await bun();
else if (kind === "pg") ports = await pool();
else {
  console.error(`unknown target kind ${JSON.stringify(kind)}; expected deno, bun or pg`);
  process.exit(2);
}
// Let the servers accept every connection before the first report.
await new Promise((resolve) => setTimeout(resolve, 200));
// The pid the command (outside any PID namespace this runs in) knows it by: /proc is the host's.
const pid = Number(readlinkSync("/proc/self"));
console.log(`READY ${JSON.stringify({ pid, ...ports })}`);

const lines = createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  if (line === "report") console.log(`REPORT ${JSON.stringify(ownView())}`);
  else if (line === "query") {
    await query!();
    console.log("QUERY ok");
  } else if (line === "cut") console.log(`CUT ${JSON.stringify(await cut!())}`);
  else if (line === "undumpable") {
    // prctl(PR_SET_DUMPABLE, 0) (<linux/prctl.h>: 4): what a setuid program's kernel state looks like.
    const libc = Deno.dlopen("libc.so.6", {
      prctl: { parameters: ["i32", "usize", "usize", "usize", "usize"], result: "i32" },
    });
    const done = libc.symbols.prctl(4, 0n, 0n, 0n, 0n);
    libc.close();
    console.log(done === 0 ? "UNDUMPABLE" : `UNDUMPABLE failed ${done}`);
  }
});
lines.on("close", async () => {
  await stopPostgres?.();
  process.exit(0);
});
