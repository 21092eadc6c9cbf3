/**
 * Runs a driver scenario in a fresh network namespace AND a fresh PID namespace: the database
 * servers it starts live only on that namespace's loopback, and when the scenario's process ends
 * however it ends (finished, crashed, killed on timeout) the kernel kills every process left in
 * the PID namespace, servers included. Nothing can outlive a test run, and the temporary
 * directory the run's files go in (its TMPDIR) is removed afterwards, however the run ended.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type NamespaceRun, runUnshare } from "../e2e/namespace.ts";

/**
 * Runs `command` as the child of PID 1 (a shell) of a new PID namespace inside a new network
 * namespace with loopback up, and kills it after `timeoutMs`.
 */
export function runIsolated(command: readonly string[], timeoutMs: number): Promise<NamespaceRun> {
  // The shell stays as PID 1 (no exec): when the command exits, the shell exits and takes the
  // namespace's other processes with it. --kill-child kills the shell if unshare itself is killed.
  // Everything inside runs at nice -10 (this needs root, as the namespaces do): the scenarios time
  // what the kernel and the drivers do, to within a few hundred ms, and on a saturated CPU the
  // scheduler alone would add a second or more (a 100 ms sleep measured at 4 s, with two busy
  // loops per core beside the run on a machine already loaded by other jobs).
  const argv = [
    ...["--net", "--pid", "--fork", "--kill-child", "--", "nice", "-n", "-10"],
    ...["sh", "-c", 'ip link set lo up && "$@"', "sh"],
  ];
  const dir = mkdtempSync(join(tmpdir(), "sockopts-db-"));
  chmodSync(dir, 0o755); // PostgreSQL runs as its own user inside
  return runUnshare([...argv, ...command], timeoutMs, { env: { TMPDIR: dir } })
    .finally(() => rmSync(dir, { recursive: true, force: true }));
}
