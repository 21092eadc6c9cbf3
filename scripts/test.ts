/**
 * `npm test` and `npm run test:quick`: runs the one node:test suite under every runtime listed in
 * RUNTIMES, quietly, and ends with one summary line per runtime and a total.
 *
 *     deno run -A scripts/test.ts            # the type, lint and format check, then every test file
 *     deno run -A scripts/test.ts --quick    # unit and loopback tests only (no soak, no kernel-level)
 *     deno run -A scripts/test.ts --verbose  # (or SOCKOPTS_TEST_VERBOSE=1) stream every line as well
 *
 * It builds dist/ first (`npm run build`, a second or two): Node and Bun resolve the package's own
 * name to it, so the examples and README blocks run under Node test what `npm pack` ships.
 * Each runtime writes a JUnit report beside its console output; the counts, the failures and the
 * skipped tests come from that report, so a failing test is shown in full however noisy the rest
 * was, and every skipped test is named in the summary (with its reason where the report has one:
 * Node's does; Bun leaves a skipped describe out of its report). The last line is
 * `N passed, N failed` alone, which .ci/run forwards.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseJUnit, type Tally } from "./test_report.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name: string) => join(ROOT, "node_modules", ".bin", name);

/** A runtime the suite runs under: its command line, given the test files and a JUnit report path. */
interface Runtime {
  readonly name: string;
  /** Why it cannot run here, or false. */
  readonly unavailable: () => string | false;
  readonly command: (files: readonly string[], junit: string) => string[];
}

/** Node runs the suite through node:ffi, unflagged from 26.9 (src/ffi/node.ts). */
function nodeUnavailable(): string | false {
  const manifest = join(ROOT, "node_modules", "node", "package.json");
  if (!existsSync(manifest)) return "no node_modules/node (Node 26.9 or later from npm)";
  const version = String(JSON.parse(readFileSync(manifest, "utf8")).version);
  const [major, minor] = version.split(".").map(Number);
  return major > 26 || (major === 26 && minor >= 9) ? false : `node_modules/node is ${version}, older than 26.9`;
}

const RUNTIMES: readonly Runtime[] = [
  {
    name: "deno",
    unavailable: () => false,
    command: (files, junit) => [bin("deno"), "test", "-A", "--unstable-net", `--junit-path=${junit}`, ...files],
  },
  {
    name: "bun",
    unavailable: () => false,
    command: (files, junit) => [
      bin("bun"),
      "test",
      "--timeout",
      "180000",
      "--reporter=junit",
      `--reporter-outfile=${junit}`,
      ...files,
    ],
  },
  {
    name: "node",
    unavailable: nodeUnavailable,
    command: (files, junit) => [
      bin("node"),
      "--test",
      "--test-timeout=180000",
      "--test-reporter=spec",
      "--test-reporter-destination=stdout",
      "--test-reporter=junit",
      `--test-reporter-destination=${junit}`,
      ...files,
    ],
  },
];

/**
 * Left out of `--quick`: the kernel-level tests (network namespaces, nftables, net-keepalive's
 * suite with its tcpdump capture), the real-database tests that open dozens of connections, the
 * soak tests (thousands of processes, calls or close/reopen cycles), and the package checks that
 * pack, install and type-check the package from the outside.
 */
const SLOW = new Set([
  "tests/e2e.test.ts",
  "tests/demo.test.ts",
  "tests/db.test.ts",
  "tests/cli_dead_peer.test.ts",
  "tests/cli_pg.test.ts",
  "tests/db_hooks.test.ts",
  "tests/timeline.test.ts",
  "tests/net_keepalive_suite.test.ts",
  "tests/errno.test.ts",
  "tests/fd_reuse.test.ts",
  "tests/fd_reuse_kinds.test.ts",
  "tests/index_churn.test.ts",
  "tests/package.test.ts",
  "tests/package_node.test.ts",
  "tests/jsr.test.ts",
]);

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "fixtures" ? [] : testFiles(path);
    return /[._]test\.ts$/.test(entry.name) ? [relative(ROOT, path)] : [];
  }).sort();
}

interface Run {
  readonly code: number | null;
  readonly output: string;
  readonly ms: number;
}

function run(command: readonly string[], verbose: boolean): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: verbose ? process.env.NO_COLOR : "1" },
    });
    let output = "";
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding("utf8").on("data", (chunk: string) => {
        output += chunk;
        if (verbose) process.stdout.write(chunk);
      });
    }
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, output, ms: performance.now() - started }));
  });
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const verbose = args.includes("--verbose") || ["1", "true"].includes(process.env.SOCKOPTS_TEST_VERBOSE ?? "");
const files = testFiles(join(ROOT, "tests")).filter((file) => !quick || !SLOW.has(file));
const started = performance.now();
const lines: string[] = [];
const total: Tally = { passed: 0, failed: 0, skipped: 0, failures: [], skips: [] };
const skipped: string[] = [];
let failedRuns = 0;

const build = await run(["npm", "run", "--silent", "build"], verbose);
if (build.code !== 0) {
  failedRuns++;
  total.failed++;
  if (!verbose) console.log(build.output);
}
lines.push(`build (dist/): ${build.code === 0 ? "ok" : "FAILED"} (${duration(build.ms)})`);
console.log(lines.at(-1));

if (!quick) {
  const check = await run(["npm", "run", "--silent", "check"], verbose);
  if (check.code !== 0) {
    failedRuns++;
    total.failed++;
    if (!verbose) console.log(check.output);
  }
  lines.push(`check (deno check, lint, fmt): ${check.code === 0 ? "ok" : "FAILED"} (${duration(check.ms)})`);
  console.log(lines.at(-1));
}

const scratch = mkdtempSync(join(tmpdir(), "sockopts-test-"));
try {
  for (const runtime of RUNTIMES) {
    const why = runtime.unavailable();
    if (why) {
      lines.push(`${runtime.name}: not run: ${why}`);
      console.log(lines.at(-1));
      continue;
    }
    const junit = join(scratch, `${runtime.name}.xml`);
    const result = await run(runtime.command(files, junit), verbose);
    const tally = existsSync(junit)
      ? parseJUnit(readFileSync(junit, "utf8"))
      : { passed: 0, failed: 0, skipped: 0, failures: [], skips: [] };
    // A run that exits non-zero without a failing test (a type error, a crash) counts as one failure.
    const crashed = result.code !== 0 && tally.failed === 0;
    if (!verbose) {
      const loud = new Set(result.output.split("\n").filter((line) => /^!!! .* !!!$/.test(line.trim())));
      for (const line of loud) console.log(line.trim());
      for (const failure of tally.failures) console.log(`\n✗ ${runtime.name}: ${failure.name}\n${failure.text}\n`);
      if (crashed) console.log(`\n✗ ${runtime.name} exited with ${result.code}; its whole output:\n${result.output}`);
    }
    const failed = tally.failed + (crashed ? 1 : 0);
    if (failed > 0) failedRuns++;
    total.passed += tally.passed;
    total.failed += failed;
    total.skipped += tally.skipped;
    lines.push(
      `${runtime.name}: ${tally.passed} passed, ${failed} failed, ${tally.skipped} skipped (${duration(result.ms)})`,
    );
    console.log(lines.at(-1));
    if (tally.skips.length > 0) {
      skipped.push(`skipped under ${runtime.name} (${tally.skips.length}):`);
      for (const skip of tally.skips) {
        skipped.push(`  - ${skip.name}${skip.reason === undefined ? "" : ` (${skip.reason})`}`);
      }
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

console.log(`\n${quick ? "test:quick" : "test"} summary, ${duration(performance.now() - started)} in all:`);
for (const line of lines) console.log(`  ${line}`);
for (const line of skipped) console.log(`  ${line}`);
console.log(`${total.passed} passed, ${total.failed} failed`);
process.exit(failedRuns > 0 || total.failed > 0 ? 1 : 0);
