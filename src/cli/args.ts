/**
 * The command line, read once and checked before any system call: which command, which process,
 * which sockets (the filter `configureSockets` takes, checked by its own `checkFilter`) and what to
 * set (checked by `checkSettings`, flag by flag so that a message names the flag).
 *
 * @module
 */
import { type CheckedFilter, type CheckedSettings, checkFilter, checkSettings } from "../process/socket_filter.ts";
import type { SocketFilter, SocketSettings } from "../process/socket_filter.ts";
import type { KeepAliveOptions } from "../options/keepalive_plan.ts";
import { usage } from "./errors.ts";
import { parseDuration } from "./units.ts";

/** The commands. */
export type Command = "ls" | "set" | "watch";

/** What the command line asks for, checked. */
export interface Invocation {
  readonly command: Command | "help";
  /** `--help` was given (or `help <command>`): print that command's help. */
  readonly help: Command | undefined;
  readonly pid: number | undefined;
  /** `ls --all`: every process the caller may inspect. */
  readonly allProcesses: boolean;
  readonly json: boolean;
  /** The filter as checked by the library, or `undefined` when none was given (`ls`, `watch`). */
  readonly filter: CheckedFilter | undefined;
  /** The settings as checked by the library (`set` only). */
  readonly settings: CheckedSettings | undefined;
  readonly dryRun: boolean;
  /** `watch --period`, ms. */
  readonly period: number;
  /** `watch --times`: stop after this many refreshes (default: until interrupted). */
  readonly times: number | undefined;
}

type Kind = "pid" | "port" | "host" | "duration" | "count" | "switch" | "onoff";

const FILTER_FLAGS: Readonly<Record<string, Kind>> = {
  "--remote-port": "port",
  "--remote-host": "host",
  "--local-port": "port",
  "--listening": "switch",
};

const FLAGS: Readonly<Record<Command, Readonly<Record<string, Kind>>>> = {
  ls: { "--pid": "pid", "--all": "switch", "--json": "switch", ...FILTER_FLAGS },
  set: {
    "--pid": "pid",
    "--json": "switch",
    "--dry-run": "switch",
    "--all-sockets": "switch",
    "--detect-within": "duration",
    "--idle": "duration",
    "--interval": "duration",
    "--count": "count",
    "--user-timeout": "duration",
    "--keepalive": "onoff",
    ...FILTER_FLAGS,
  },
  watch: { "--pid": "pid", "--period": "duration", "--times": "count", "--json": "switch", ...FILTER_FLAGS },
};

// The filter's fields as the library's messages name them, and the flags that set them.
const FIELD_FLAGS: readonly [string, string][] = [
  ["remotePort", "--remote-port"],
  ["remoteHost", "--remote-host"],
  ["localPort", "--local-port"],
  ["listening", "--listening"],
];

const DEFAULT_PERIOD = 1_000;

function isCommand(word: string | undefined): word is Command {
  return word === "ls" || word === "set" || word === "watch";
}

function readValue(flag: string, kind: Kind, text: string): unknown {
  switch (kind) {
    case "pid":
      if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 4_194_304) {
        throw usage(`Cannot read ${flag}: "${text}" is not a process id (a whole number from 1 to 4194304)`);
      }
      return Number(text);
    case "port":
      if (!/^\d+$/.test(text)) throw usage(`Cannot read ${flag}: "${text}" is not a port number`);
      return Number(text);
    case "count":
      if (!/^\d+$/.test(text)) throw usage(`Cannot read ${flag}: "${text}" is not a whole number`);
      return Number(text);
    case "duration":
      return parseDuration(flag, text);
    case "onoff":
      if (text !== "on" && text !== "off") throw usage(`Cannot read ${flag}: expected on or off, got "${text}"`);
      return text === "on";
    default:
      return text;
  }
}

/** Splits argv into the command and its flags' values; every flag must be the command's. */
function scan(
  argv: readonly string[],
): { command: Invocation["command"]; help?: Command; values: Map<string, unknown>; texts: Map<string, string> } {
  const values = new Map<string, unknown>();
  // Each value as written, for messages: `--idle 10h`, not the milliseconds it was read as.
  const texts = new Map<string, string>();
  const [first, ...rest] = argv;
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    const topic = first === "help" ? rest[0] : undefined;
    if (topic !== undefined && !isCommand(topic)) {
      throw usage(`Cannot show help: no command "${topic}" (ls, set, watch)`);
    }
    return { command: "help", help: topic, values, texts };
  }
  if (!isCommand(first)) {
    throw usage(`Cannot read the command line: no command "${first}"; expected ls, set or watch (sockopts --help)`);
  }
  const flags = FLAGS[first];
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i];
    if (word === "--help" || word === "-h") return { command: first, help: first, values, texts };
    const eq = word.indexOf("=");
    const flag = eq > 0 ? word.slice(0, eq) : word;
    const kind = flags[flag];
    if (kind === undefined) {
      const known = Object.keys(flags).join(", ");
      throw usage(`Cannot read the command line: ${first} takes no "${word}" (it takes ${known}, --help)`);
    }
    if (values.has(flag)) throw usage(`Cannot read the command line: ${flag} is given twice`);
    if (kind === "switch") {
      if (eq > 0) throw usage(`Cannot read ${flag}: it takes no value`);
      values.set(flag, true);
      continue;
    }
    const text = eq > 0 ? word.slice(eq + 1) : rest[++i];
    if (text === undefined) throw usage(`Cannot read ${flag}: it needs a value (sockopts ${first} --help)`);
    values.set(flag, readValue(flag, kind, text));
    texts.set(flag, text);
  }
  return { command: first, values, texts };
}

/** The filter the flags give, checked by the library's checkFilter, its messages in flags' words. */
function filterOf(values: Map<string, unknown>, every: boolean): CheckedFilter | undefined {
  const filter: Record<string, unknown> = {};
  for (const [field, flag] of FIELD_FLAGS) if (values.has(flag)) filter[field] = values.get(flag);
  if (every) filter.all = true;
  if (Object.keys(filter).length === 0) return undefined;
  try {
    return checkFilter(filter as SocketFilter);
  } catch (error) {
    let message = (error as Error).message.replace("Cannot configure sockets: ", "");
    for (const [field, flag] of FIELD_FLAGS) message = message.replaceAll(field, flag);
    throw usage(`Cannot read the filter: ${message}`);
  }
}

// Each setting checked alone first, so that a refusal names its flag.
function checked(flag: string, text: string | undefined, settings: SocketSettings): void {
  try {
    checkSettings(settings);
  } catch (error) {
    if (!(error instanceof TypeError || error instanceof RangeError)) throw error;
    throw usage(`Cannot read ${flag} ${text}: ${(error as Error).message}`);
  }
}

function settingsOf(values: Map<string, unknown>, texts: Map<string, string>): CheckedSettings {
  const given = (flag: string) => values.get(flag) as number | undefined;
  const detectWithin = given("--detect-within");
  const keepAlive: Record<string, unknown> = {};
  const fields = [["--idle", "idle"], ["--interval", "interval"], ["--count", "count"], ["--keepalive", "enable"]];
  for (const [flag, field] of fields) if (values.has(flag)) keepAlive[field] = values.get(flag);
  const userTimeout = given("--user-timeout");
  const others = Object.keys(keepAlive).length > 0 || userTimeout !== undefined;
  if (detectWithin !== undefined) {
    if (others) {
      throw usage(
        "Cannot read the command line: --detect-within sets keep-alive and the user timeout itself; give it alone",
      );
    }
    checked("--detect-within", texts.get("--detect-within"), { detectWithin });
    return checkSettings({ detectWithin });
  }
  if (!others) {
    throw usage(
      "Cannot set: say what to set: --detect-within 30s, or any of --idle, --interval, --count, " +
        "--user-timeout and --keepalive on|off",
    );
  }
  if (keepAlive.enable === false && Object.keys(keepAlive).length > 1) {
    throw usage(
      "Cannot read the command line: --keepalive off turns keep-alive off; give no --idle, --interval or --count",
    );
  }
  for (const [flag, field] of fields) {
    if (field in keepAlive) checked(flag, texts.get(flag), { keepAlive: { [field]: keepAlive[field] } });
  }
  if (userTimeout !== undefined) checked("--user-timeout", texts.get("--user-timeout"), { userTimeout });
  const asked: SocketSettings = {
    ...(Object.keys(keepAlive).length > 0 ? { keepAlive: keepAlive as KeepAliveOptions } : {}),
    ...(userTimeout !== undefined ? { userTimeout } : {}),
  };
  return checkSettings(asked);
}

/**
 * Reads the command line.
 * @param argv The arguments after the program's name.
 * @returns What to do, every value checked.
 * @throws {CliError} (usage, exit 2) for anything it cannot read, before any system call.
 * @example Reading a `set` command line
 * ```ts
 * import { parseArgs } from "./args.ts";
 *
 * const run = parseArgs(["set", "--pid", "4242", "--remote-port", "5432", "--detect-within", "30s", "--dry-run"]);
 * console.log(run.command, run.pid, run.dryRun); // set 4242 true
 * ```
 */
export function parseArgs(argv: readonly string[]): Invocation {
  const { command, help, values, texts } = scan(argv);
  const base = {
    command,
    help,
    pid: values.get("--pid") as number | undefined,
    allProcesses: values.get("--all") === true,
    json: values.get("--json") === true,
    dryRun: values.get("--dry-run") === true,
    period: (values.get("--period") as number | undefined) ?? DEFAULT_PERIOD,
    times: values.get("--times") as number | undefined,
  };
  if (command !== "ls" && command !== "set" && command !== "watch" || help !== undefined) {
    return { ...base, filter: undefined, settings: undefined };
  }
  if (command === "ls" && base.pid !== undefined && base.allProcesses) {
    throw usage("Cannot read the command line: give --pid or --all, not both");
  }
  if (command !== "ls" && base.pid === undefined) {
    throw usage(`Cannot ${command}: name the process with --pid (sockopts ${command} --help)`);
  }
  if (command === "watch" && base.period < 100) {
    throw usage(`Cannot read --period: ${base.period}ms is under the shortest period, 100ms`);
  }
  if (command === "watch" && base.times === 0) throw usage("Cannot read --times: 0 refreshes show nothing");
  if (command !== "set") return { ...base, filter: filterOf(values, false), settings: undefined };
  const filter = filterOf(values, values.get("--all-sockets") === true);
  if (filter === undefined) {
    throw usage(
      "Cannot set: name the sockets to change with --remote-port, --remote-host, --local-port or --listening " +
        "(or --all-sockets for every TCP socket of the process, the runtime's own included)",
    );
  }
  return { ...base, filter, settings: settingsOf(values, texts) };
}
