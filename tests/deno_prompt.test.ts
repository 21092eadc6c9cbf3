/**
 * Deno's permission prompt, as a newcomer meets it: `deno run --allow-net app.ts` without
 * `--allow-ffi`, in a terminal. Answering `y` or `A` must make the call succeed; answering `n`
 * (or running without a terminal) must end in one PermissionError that names the application's
 * own call and the flag to pass. The terminal is a real pseudo-terminal (util-linux `script`);
 * the test drives the pinned Deno from every runtime's run.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { binDir, childEnv, root } from "./support/exec.ts";
import { runtimeName } from "./support/runtime.ts";

const TIMEOUT = 60_000;
const deno = join(binDir, "deno");
const child = join("tests", "fixtures", "prompt_child.ts");

function scriptMissing(): string | false {
  if (process.platform !== "linux") return `needs util-linux script (this is ${process.platform})`;
  try {
    execFileSync("script", ["-qec", "true", "/dev/null"], { stdio: "pipe", timeout: 10_000 });
    return false;
  } catch (error) {
    return `needs util-linux \`script\` for a pseudo-terminal: ${String((error as Error).message).split("\n")[0]}`;
  }
}

const missing = scriptMissing();
if (missing) console.warn(`!!! deno_prompt (${runtimeName}): SKIPPED the permission-prompt tests: ${missing} !!!`);

interface Session {
  /** Everything the terminal showed, colours removed. */
  readonly screen: string;
  /** How many times Deno asked. */
  readonly prompts: number;
  /** What the child printed after `RESULT `. */
  readonly result: { ok?: unknown; name?: string; message?: string };
}

/** Runs the child under `script` (a pseudo-terminal), answering every prompt with `answer`. */
function inTerminal(answer: string, flags: readonly string[]): Promise<Session> {
  const command = [deno, "run", ...flags, child].map((word) => `'${word}'`).join(" ");
  return new Promise((resolve, reject) => {
    const proc = spawn("script", ["-qfec", command, "/dev/null"], { cwd: root, env: childEnv() });
    let screen = "";
    let prompts = 0;
    const timer = setTimeout(() => proc.kill("SIGKILL"), TIMEOUT - 5_000);
    const take = (chunk: string) => {
      // The prompt moves the cursor and colours its text: keep the words.
      // deno-lint-ignore no-control-regex
      screen += chunk.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
      while (prompts < screen.split("Allow?").length - 1) {
        prompts++;
        // Deno empties its input just before it reads the answer: typing too early is lost.
        setTimeout(() => proc.stdin.write(`${answer}\r`), 300);
      }
    };
    proc.stdout.setEncoding("utf8").on("data", take);
    proc.stderr.setEncoding("utf8").on("data", take);
    proc.once("error", reject);
    proc.once("close", () => {
      clearTimeout(timer);
      const line = /RESULT (\{.*\})/.exec(screen)?.[1];
      if (line === undefined) return reject(new Error(`no RESULT line; the terminal showed:\n${screen}`));
      resolve({ screen, prompts, result: JSON.parse(line) });
    });
  });
}

const PROFILE = { enable: true, idle: 30_000, interval: 5_000, count: 3 };

function assertRefusal(result: Session["result"], screen: string): void {
  assert.equal(result.name, "PermissionError", screen);
  assert.match(
    result.message!,
    /^Cannot load libc for setKeepAlive: Deno needs --allow-ffi, or --allow-ffi=<libc's absolute path> such as \/\S+libc\S* for libc alone$/,
  );
  assert.doesNotMatch(result.message!, /statx|getsockname|Could not open library/, "no internal call, no dlopen noise");
  assert.equal(screen.split("Cannot load libc").length - 1, 1, "said once");
}

describe("Deno's permission prompt for FFI", { skip: missing }, () => {
  for (const answer of ["y", "A"]) {
    it(`answering ${answer} at the prompt makes the call succeed, after one prompt`, { timeout: TIMEOUT }, async () => {
      const { screen, prompts, result } = await inTerminal(answer, ["--allow-net"]);
      assert.equal(prompts, 1, screen);
      assert.match(screen, /Granted (all )?ffi access/);
      assert.deepEqual(result, { ok: PROFILE }, screen);
    });
  }

  it("answering n ends in one PermissionError naming setKeepAlive and --allow-ffi", { timeout: TIMEOUT }, async () => {
    const { screen, prompts, result } = await inTerminal("n", ["--allow-net"]);
    assert.equal(prompts, 1, screen);
    assertRefusal(result, screen);
  });

  it("without a terminal, the same PermissionError and no prompt", { timeout: TIMEOUT }, async () => {
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      const proc = spawn(deno, ["run", "--allow-net", child], { cwd: root, env: childEnv(), stdio: "pipe" });
      let stdout = "";
      let stderr = "";
      proc.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
      proc.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      proc.stdin.end();
      proc.once("error", reject);
      proc.once("close", () => resolve({ stdout, stderr }));
    });
    assert.doesNotMatch(stdout + stderr, /Allow\?/);
    assertRefusal(JSON.parse(/RESULT (\{.*\})/.exec(stdout)![1]), stdout + stderr);
  });
});
