/**
 * What stops the `sockopts` command, each with the exit code scripts can tell it by.
 *
 * @module
 */

/**
 * The exit codes of the `sockopts` command.
 *
 * @example Telling a refusal from a typo in a script
 * ```ts
 * import { EXIT } from "./errors.ts";
 *
 * console.log(EXIT.notPermitted); // 4
 * ```
 */
export const EXIT: {
  readonly ok: 0;
  readonly failed: 1;
  readonly usage: 2;
  readonly noSuchProcess: 3;
  readonly notPermitted: 4;
  readonly unsupported: 5;
} = {
  /** Done; `set` changed every matching socket. */
  ok: 0,
  /** `set` matched no socket, or a socket failed. */
  failed: 1,
  /** A command line sockopts cannot read: nothing was done. */
  usage: 2,
  /** The process named by `--pid` does not exist. */
  noSuchProcess: 3,
  /** The process may not be inspected by this user: the message says why and how to allow it. */
  notPermitted: 4,
  /** This OS or kernel cannot do it (`--pid` off Linux, Linux before 5.6). */
  unsupported: 5,
};

/**
 * An error the command reports in one message, then exits with `exitCode`.
 *
 * @example Reporting a refused command line
 * ```ts
 * import { CliError, EXIT } from "./errors.ts";
 *
 * const error = new CliError("Cannot read --pid: abc is not a process id", EXIT.usage);
 * console.log(error.exitCode); // 2
 * ```
 */
export class CliError extends Error {
  /** The exit code, from {@link EXIT}. */
  readonly exitCode: number;

  /**
   * An error with its exit code.
   * @param message The whole message, sentence case, the detail after a colon.
   * @param exitCode From {@link EXIT}.
   */
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

/**
 * A command line that cannot be read: exit code 2, nothing done.
 * @param message The whole message.
 * @returns The error to throw.
 * @example Refusing an unknown flag
 * ```ts
 * import { usage } from "./errors.ts";
 *
 * const error = usage("Cannot read the command line: unknown flag --colour");
 * console.log(error.exitCode); // 2
 * ```
 */
export function usage(message: string): CliError {
  return new CliError(message, EXIT.usage);
}
