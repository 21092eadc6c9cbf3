/**
 * Runs net-keepalive's own mocha suite (tests/fixtures/net_keepalive, copied unchanged) against an
 * implementation, in a private network namespace so that its loopback traffic and tcpdump capture
 * see only its own connections.
 *
 * Its tests listen on `::` and connect to `srv.address()`, which asks for `localhost` as IPv6; this
 * machine's /etc/hosts names localhost for IPv4 only (Debian's default also has `::1 localhost`),
 * so inside the namespace a private mount shows a hosts file that adds `::ffff:127.0.0.1
 * localhost`. The connection then runs as IPv4 on the wire, which the integration test's tcpdump
 * filter (`ip[2:2]…`) reads; with `::1` it would capture nothing and still pass.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root, run } from "./exec.ts";

/** Why the suite cannot run here, or false. */
export const netKeepAliveSandbox: string | false = (() => {
  const uid = (process as { getuid?: () => number }).getuid?.();
  if (uid !== 0) return "needs root to run in a private network and mount namespace (unshare)";
  if (spawnSync("unshare", ["--version"]).status !== 0) return "unshare (util-linux) is not on PATH";
  return false;
})();

/** Why the integration test (tcpdump) cannot run here, or false. */
export const noTcpdump: string | false = spawnSync("tcpdump", ["--version"]).status === 0
  ? false
  : "tcpdump is not on PATH";

/** What mocha printed, and the counts from its summary. */
export interface MochaResult {
  readonly output: string;
  readonly passing: number;
  readonly pending: number;
  readonly failing: number;
}

/**
 * Runs mocha over `dirs` (relative to `cwd`, the fixture's copy) with `runtime` (a path to node or
 * bun), loading the implementation named by `entry` (a path, or a package name `cwd` resolves).
 */
export async function runNetKeepAliveSuite(
  runtime: string,
  cwd: string,
  dirs: readonly string[],
  entry: string,
): Promise<MochaResult> {
  const scratch = mkdtempSync(join(tmpdir(), "sockopts-net-keepalive-"));
  const hosts = join(scratch, "hosts");
  // Any IPv6 line naming localhost (::1) would be found first: only the IPv4-mapped one is kept.
  const own = readFileSync("/etc/hosts", "utf8").split("\n")
    .filter((line) => !(/^\s*[0-9a-f]*:/i.test(line) && /\slocalhost(\s|$)/.test(line)));
  writeFileSync(hosts, `::ffff:127.0.0.1 localhost\n${own.join("\n").trimEnd()}\n`);
  const mocha = join(root, "node_modules", "mocha", "bin", "mocha.js");
  const script = 'ip link set lo up && mount --bind "$1" /etc/hosts && shift && exec "$@"';
  try {
    const { stdout, stderr } = await run(
      "unshare",
      ["--mount", "--net", "--", "sh", "-c", script, "sh", hosts, runtime, mocha, "--recursive", ...dirs],
      { cwd, timeout: 120_000, env: { SOCKOPTS_NET_KEEPALIVE: entry } },
    ).catch((error: Error) => ({ stdout: error.message, stderr: "" }));
    const output = `${stdout}\n${stderr}`;
    const count = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(output)?.[1] ?? 0);
    return { output, passing: count("passing"), pending: count("pending"), failing: count("failing") };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
