/** Bounded child processes for the tests that drive whole programs: examples, packages, tools. */
import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root. */
export const root: string = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The pinned toolchain (deno, bun, tsc, esbuild) from the repository's node_modules. */
export const binDir: string = join(root, "node_modules", ".bin");

/** What a finished child printed. */
export interface Output {
  readonly stdout: string;
  readonly stderr: string;
}

/** Options for {@link run}. */
export interface RunOptions {
  /** The working directory. */
  readonly cwd: string;
  /** Kill the child after this many ms (it then counts as failed). */
  readonly timeout: number;
  /** Extra environment variables. */
  readonly env?: Record<string, string>;
}

/**
 * The environment for a child: this one without the variables `npm test` sets for its scripts
 * (`npm_config_local_prefix` would point an `npm install` in a temporary project back at the
 * repository), with the pinned toolchain first on PATH and colours off.
 */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^npm_/i.test(key) && key !== "INIT_CWD") env[key] = value;
  }
  return { ...env, PATH: `${binDir}:${process.env.PATH ?? ""}`, NO_COLOR: "1", ...extra };
}

/** Runs a command to completion; rejects with everything it printed when it fails or times out. */
export function run(command: string, args: readonly string[], options: RunOptions): Promise<Output> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: childEnv(options.env),
        encoding: "utf8",
        timeout: options.timeout,
        killSignal: "SIGKILL",
        maxBuffer: 16 << 20,
      },
      (error, stdout, stderr) => {
        if (error === null) return resolve({ stdout, stderr });
        const elapsed = Date.now() - started;
        const why = elapsed >= options.timeout ? `timed out after ${options.timeout} ms` : error.message.split("\n")[0];
        reject(
          new Error(
            `${[command, ...args].join(" ")} (in ${options.cwd}): ${why}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`,
          ),
        );
      },
    );
  });
}

/**
 * The machine's own Node.js when it is older than 26 (Debian's image has 20), for the tests of
 * what older Node users see; the pinned Node 26 comes first on the tests' PATH.
 */
export function oldNodeBinary(): string | undefined {
  for (const candidate of ["/usr/bin/node", "/usr/local/bin/node", "/bin/node"]) {
    if (!existsSync(candidate)) continue;
    const version = execFileSync(candidate, ["--version"], { encoding: "utf8" }).trim();
    if (Number(version.slice(1).split(".")[0]) < 26) return candidate;
  }
  return undefined;
}
