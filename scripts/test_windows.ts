/**
 * Runs the Windows tests (tests/windows/*.ts) under Wine 10: Deno, Bun and Node for Windows (the
 * pinned versions, from npm) each run them with their own test runner inside the chroot that
 * scripts/wine_setup.sh makes, while this process serves what the Linux kernel holds for the
 * Wine programs' sockets (tests/support/kernel_oracle.ts). `npm run test:windows`; `.ci/run` runs
 * it as its own step. The main `npm test` never needs Wine.
 *
 * - Needs Linux x86_64 and root (chroot, pidfd_getfd). Makes the chroot when it is missing
 *   (scripts/wine_setup.sh, about 50 s) and fetches the runtimes (scripts/wine_run.sh fetch).
 *   Anything missing that cannot be made: one loud SKIPPED line, exit 0.
 * - Every test a runtime skips is named in a loud line, with the reason.
 * - Ends with one `windows: N passed, N failed` line, and exits 1 when anything failed.
 * - On Windows itself (the release workflow's `windows-latest` job) it runs the same files with
 *   the runtimes `npm ci` installed, natively: no Wine, no oracle (Winsock's answers are the
 *   kernel's there).
 *
 * Run with `deno run -A scripts/test_windows.ts [tests/windows/file.ts…]`.
 */
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readJunit } from "./test_arm64.ts";
import { startKernelOracle } from "../tests/support/kernel_oracle.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const chroot = join(process.env.SOCKOPTS_WINE_ROOT ?? "/var/cache/sockopts-wine", "trixie");
// Inside the clone, so that the Windows programs (which see it as Z:<path>) can write there.
const work = join("node_modules", ".cache", "sockopts-windows", "reports");
const LINE = "=".repeat(100);

function say(line: string): void {
  console.log(line);
}

function skip(reason: string): never {
  say(LINE);
  say(`windows: SKIPPED: ${reason}`);
  say(LINE);
  Deno.exit(0);
}

function bash(args: string[]) {
  return spawnSync("bash", args, {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    timeout: 10 * 60_000,
  });
}

const native = process.platform === "win32";

/**
 * Runs a Windows program (under Wine, or natively on Windows through npx) with its output in
 * `log`, without blocking: the kernel oracle answers from this process's event loop meanwhile.
 */
function wine(args: string[], env: Record<string, string>, log: string): Promise<number | null> {
  const out = openSync(log, "w");
  try {
    const child = native
      ? spawn(`npx ${args.map((arg) => `"${arg}"`).join(" ")}`, { cwd: root, stdio: ["ignore", out, out], shell: true })
      : spawn("bash", [join(root, "scripts/wine_run.sh"), ...args], {
        cwd: root,
        stdio: ["ignore", out, out],
        env: { ...process.env, ...env },
      });
    // Each runtime's whole run takes well under a minute; a hang ends here.
    const killer = setTimeout(() => child.kill("SIGKILL"), 4 * 60_000);
    return new Promise((resolve) =>
      child.on("close", (code) => {
        clearTimeout(killer);
        resolve(code);
      })
    );
  } finally {
    closeSync(out);
  }
}

/** The tests a JUnit report says were skipped, with the reason each runner recorded. */
function skipped(path: string): string[] {
  if (!existsSync(path)) return [];
  const found: string[] = [];
  const text = (value: string) =>
    value.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");
  for (const match of readFileSync(path, "utf8").matchAll(/<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const skip = /<skipped\b([^>]*?)\/?>/.exec(match[3] ?? "");
    if (skip === null) continue;
    const name = /\bname="([^"]*)"/.exec(match[1])?.[1] ?? "?";
    const why = /\bmessage="([^"]*)"/.exec(skip[1])?.[1] ?? "";
    found.push(text(`${name}${why === "" ? "" : `: ${why}`}`));
  }
  return found;
}

function args(runtime: "deno" | "bun" | "node", report: string, files: string[]): string[] {
  switch (runtime) {
    case "deno":
      // Type-checked on Linux (`deno check tests`); under Wine only run.
      return ["deno", "test", "-A", "--no-check", "--reporter=junit", `--junit-path=${report}`, ...files];
    case "bun":
      return [
        "bun",
        "test",
        "--timeout",
        "60000",
        "--reporter=junit",
        `--reporter-outfile=${report}`,
        ...files.map((f) => `./${f}`),
      ];
    case "node":
      // One process: node --test would start a node.exe per file under Wine.
      return [
        "node",
        "--test",
        "--test-isolation=none",
        // A test that failed before closing its sockets must not keep the process alive.
        "--test-force-exit",
        "--test-reporter=junit",
        `--test-reporter-destination=${report}`,
        ...files,
      ];
  }
}

/** Makes Wine ready (Linux), or returns at once on Windows. */
function prepare(): void {
  if (native) return;
  if (process.platform !== "linux" || process.arch !== "x64") {
    skip(`Wine tests need a Linux x86_64 host (${process.platform} ${process.arch})`);
  }
  if (process.getuid?.() !== 0) {
    skip("Wine tests need root (chroot, and pidfd_getfd to read the Wine process's sockets)");
  }
  if (!existsSync(join(chroot, ".sockopts-wine-ready"))) {
    say(`windows: no Wine chroot at ${chroot}: making one (scripts/wine_setup.sh)`);
    const setup = bash([join(root, "scripts/wine_setup.sh")]);
    if (setup.status !== 0) skip(`scripts/wine_setup.sh failed:\n${(setup.stderr ?? "").slice(-2000)}`);
  }
  const fetched = bash([join(root, "scripts/wine_run.sh"), "fetch"]);
  if (fetched.status !== 0) skip(`cannot fetch the Windows runtimes from npm:\n${(fetched.stderr ?? "").slice(-2000)}`);
}

async function main(): Promise<void> {
  const started = Date.now();
  prepare();
  const setupSeconds = Math.round((Date.now() - started) / 1000);

  const asked = process.argv.slice(2);
  const files = asked.length > 0
    ? asked
    : readdirSync(join(root, "tests", "windows")).filter((f) => f !== "support.ts" && f.endsWith(".ts")).sort()
      .map((f) => `tests/windows/${f}`);
  rmSync(join(root, work), { recursive: true, force: true });
  mkdirSync(join(root, work), { recursive: true });

  // No Linux kernel beneath real Windows: no oracle there.
  const oracle = native ? undefined : await startKernelOracle();
  let passed = 0;
  let failed = 0;
  try {
    for (const runtime of ["deno", "bun", "node"] as const) {
      const report = join(root, work, `${runtime}.xml`);
      const log = join(root, work, `${runtime}.log`);
      const t0 = Date.now();
      // Output to a file: Node for Windows under Wine cannot open a Linux pipe as its stdout. The
      // report's path as Windows sees it (under Wine, Z: is the Linux root).
      const status = await wine(args(runtime, native ? report : `Z:${report}`, files), {
        SOCKOPTS_TEST_ENV: `SOCKOPTS_ORACLE=127.0.0.1:${oracle?.port}`,
      }, log);
      const seconds = Math.round((Date.now() - t0) / 1000);
      const outcomes = readJunit(report);
      const failures = outcomes.filter((o) => o.failure !== undefined);
      let runFailed = failures.length;
      for (const failure of failures) {
        say(`windows: FAILED (${runtime}): ${failure.file} :: ${failure.name}\n${indent(failure.failure!)}`);
      }
      if (outcomes.length === 0) {
        runFailed++;
        say(`windows: ${runtime} for Windows wrote no report (exit ${status}):`);
        say(indent(readFileSync(log, "utf8").slice(-4000), 60));
      }
      for (const test of skipped(report)) say(`windows: SKIPPED (${runtime}): ${test}`);
      say(`windows: ${runtime}: ${outcomes.length - failures.length} passed, ${runFailed} failed, in ${seconds} s`);
      passed += outcomes.length - failures.length;
      failed += runFailed;
    }
  } finally {
    oracle?.server.close();
  }
  const where = native ? "natively on Windows" : `Wine and the runtimes ready in ${setupSeconds} s`;
  say(`windows: ${where}; all in ${Math.round((Date.now() - started) / 1000)} s`);
  say(`windows: ${passed} passed, ${failed} failed`);
  Deno.exit(failed === 0 ? 0 : 1);
}

function indent(text: string, lines = 12): string {
  return text.split("\n").slice(0, lines).map((line) => `    ${line}`).join("\n");
}

if (import.meta.main) await main();
