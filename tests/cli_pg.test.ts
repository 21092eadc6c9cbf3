/**
 * The `sockopts` command against a Node program holding a `pg` Pool connected to a real
 * PostgreSQL server (tests/cli/target.ts `pg`), both in a private network and PID namespace, so the
 * command (outside it) reaches the pool's sockets through the target's namespace. What changed is
 * read from inside the target, through its own getsockopt; the pool is then used again.
 *
 * Needs Linux, root (namespaces), and PostgreSQL's server binaries; elsewhere it is skipped with
 * one line saying why.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { deadPeerPlan } from "../mod.ts";
import { serversUnavailable } from "./db/servers.ts";
import { namespaceUnavailable } from "./e2e/namespace.ts";
import { runtimeName } from "./support/runtime.ts";
import { sockopts, startTarget, type Target } from "./cli/harness.ts";
import type { OwnSocket } from "./cli/own_sockets.ts";

const unavailable = namespaceUnavailable() || serversUnavailable();
if (unavailable) console.warn(`!!! cli pg (${runtimeName}): SKIPPED the command against a pg pool: ${unavailable} !!!`);

const WAIT = { timeout: 120_000 };
const PG = 5432;
const remotePort = (s: OwnSocket) => s.remote === null ? -1 : Number(s.remote.split(":")[1]);

describe(`sockopts --pid on a Node pg pool against PostgreSQL (the command under ${runtimeName})`, {
  skip: unavailable,
}, () => {
  let target: Target;
  before(async () => {
    target = await startTarget("pg", { isolated: true, env: { SOCKOPTS_CLI_POSTGRES: "1" } });
  });
  after(() => target?.stop());

  it(
    "ls --remote-port 5432 shows the pool's 3 connections as the target's own getsockopt reads them",
    WAIT,
    async () => {
      const own = (await target.report()).tcp.filter((s) => remotePort(s) === PG);
      assert.equal(own.length, 3, "the pool holds 3 connections");
      const run = await sockopts(["ls", "--pid", String(target.pid), "--remote-port", String(PG), "--json"]);
      assert.equal(run.code, 0, run.stderr);
      const listed = JSON.parse(run.stdout).sockets as { fd: number; remote: string; keepAlive: unknown }[];
      assert.deepEqual(
        listed.map((s) => ({ fd: s.fd, remote: s.remote, keepAlive: s.keepAlive })),
        own.map((s) => ({
          fd: s.fd,
          remote: s.remote,
          keepAlive: {
            enable: s.keepAlive === 1,
            idle: s.idleSeconds * 1000,
            interval: s.intervalSeconds * 1000,
            count: s.count,
          },
        })),
      );
    },
  );

  it(
    "set --detect-within 10s changes the pool's connections and nothing else; the pool keeps working",
    WAIT,
    async () => {
      const before = await target.report();
      const run = await sockopts([
        "set",
        "--pid",
        String(target.pid),
        "--remote-port",
        String(PG),
        "--detect-within",
        "10s",
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /: 3 changed, \d+ skipped, 0 failed/);
      const after = await target.report();
      const plan = deadPeerPlan(10_000);
      const expected = {
        keepAlive: 1,
        idleSeconds: plan.idle / 1000,
        intervalSeconds: plan.interval / 1000,
        count: plan.count,
        userTimeoutMs: plan.userTimeout,
      };
      for (const [fd, link] of Object.entries(before.fds)) assert.equal(after.fds[fd], link, `fd ${fd} untouched`);
      for (const was of before.tcp) {
        const now = after.tcp.find((s) => s.fd === was.fd)!;
        if (remotePort(was) === PG) assert.deepEqual(now, { ...was, ...expected }, `pool connection fd ${was.fd}`);
        else assert.deepEqual(now, was, `fd ${was.fd} (${was.local} -> ${was.remote}) untouched`);
      }
      await target.query();
    },
  );
});
