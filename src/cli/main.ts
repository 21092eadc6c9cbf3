#!/usr/bin/env node
/**
 * The `sockopts` command: see and fix TCP keep-alive on a running process, by pid, without a
 * restart. `sockopts ls` lists a process's TCP sockets with their keep-alive settings, user timeout
 * and live figures; `sockopts set` configures the matching ones; `sockopts watch` refreshes the
 * list in place. Another process's sockets are reached through duplicates of its fds
 * (`pidfd_getfd`, Linux 5.6+), under the rules that govern attaching a debugger.
 *
 * @example Running it
 * ```sh
 * deno run -A jsr:@sockopts/sockopts/cli ls --pid 4242
 * npx sockopts set --pid 4242 --remote-port 5432 --detect-within 30s --dry-run
 * bunx --bun sockopts watch --pid 4242 --remote-port 5432
 * ```
 *
 * @module
 */
import { PermissionError, UnsupportedError } from "../errors.ts";
import { parseArgs } from "./args.ts";
import { CliError, EXIT } from "./errors.ts";
import { helpText } from "./help.ts";
import { ls } from "./ls.ts";
import { set } from "./set.ts";
import { watch } from "./watch.ts";

/**
 * Where the command writes: its output and its one-line errors.
 *
 * @example Collecting what a command prints
 * ```ts
 * import { main, type Output } from "jsr:@sockopts/sockopts/cli";
 *
 * let text = "";
 * const output: Output = { out: (t) => void (text += t), err: (t) => void (text += t), terminal: false };
 * await main(["ls", "--help"], output);
 * console.log(text.split("\n")[0]); // "sockopts ls: every TCP socket of a process, …"
 * ```
 */
export interface Output {
  /** Output: tables, JSON, reports. */
  readonly out: (text: string) => void;
  /** Errors, one line each. */
  readonly err: (text: string) => void;
  /** Whether `out` is a terminal (`watch` then refreshes in place). */
  readonly terminal: boolean;
}

interface Stream {
  write(text: string): unknown;
  isTTY?: boolean;
  on?(event: "error", listener: (error: unknown) => void): unknown;
}

function processOutput(): Output {
  const proc = (globalThis as { process?: { stdout: Stream; stderr: Stream } }).process!;
  // A reader that goes away (`sockopts ls | head`) ends the output, not the program with a trace.
  proc.stdout.on?.("error", () => {});
  return {
    out: (text) => proc.stdout.write(text),
    err: (text) => proc.stderr.write(text),
    terminal: proc.stdout.isTTY === true,
  };
}

/**
 * Runs one `sockopts` command line.
 *
 * @param argv The arguments after the program's name, such as `["ls", "--pid", "4242"]`.
 * @param output Where to write (default: this process's stdout and stderr).
 * @returns The exit code: 0 done; 1 `set` matched nothing or a socket failed; 2 a command line it
 *   cannot read; 3 no such process; 4 not permitted; 5 unsupported on this OS or kernel.
 *
 * @example Listing this process's own TCP sockets as JSON
 * ```ts
 * import { main } from "jsr:@sockopts/sockopts/cli";
 *
 * const code = await main(["ls", "--json"]);
 * console.log(code); // 0
 * ```
 */
export async function main(argv: readonly string[], output: Output = processOutput()): Promise<number> {
  try {
    const run = parseArgs(argv);
    if (run.command === "help" || run.help !== undefined) {
      output.out(helpText(run.help));
      return EXIT.ok;
    }
    if (run.command === "ls") return ls(run, output.out);
    if (run.command === "set") return set(run, output.out);
    return await watch(run, output.out, output.terminal);
  } catch (error) {
    if (error instanceof CliError) {
      output.err(`sockopts: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof UnsupportedError || error instanceof PermissionError) {
      output.err(`sockopts: ${error.message}\n`);
      return EXIT.unsupported;
    }
    throw error;
  }
}

if (import.meta.main) {
  const proc = (globalThis as { process: { argv: string[]; exitCode?: number } }).process;
  proc.exitCode = await main(proc.argv.slice(2));
}
