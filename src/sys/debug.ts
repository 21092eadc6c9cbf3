/**
 * The opt-in debug view: how each handle resolved, which system calls were made with which values,
 * what `configureSockets` matched and skipped, and notes on calls that likely do not do what was
 * meant. Silent by default; on with `setDebug(listener)`
 * or the environment variable `SOCKOPTS_DEBUG=1` (read once, on the first call, and only where the
 * runtime already lets sockopts read it: no Deno permission prompt, no error without `--allow-env`).
 *
 * The rest of sockopts guards each report with the {@link debugging} flag, so that when the view
 * is off a call pays one boolean check and builds no event.
 *
 * @module
 */
import { withoutNative } from "./native.ts";

/** The two calls the debug view reports. */
export type Syscall = "setsockopt" | "getsockopt";

/**
 * How a handle led to its fd, in a {@link DebugEvent} of kind `"handle"`.
 *
 * @example Counting the handles found by their addresses
 * ```ts
 * import type { DebugEvent, HandleRoute } from "jsr:@sockopts/sockopts";
 *
 * export function lookups(events: DebugEvent[]): number {
 *   const route: HandleRoute = "addresses";
 *   return events.filter((e) => e.kind === "handle" && e.route === route).length;
 * }
 * ```
 */
export type HandleRoute =
  /** The caller passed the fd itself. */
  | "number"
  /** The runtime's own fd, read from the handle (Bun's sockets, listeners and node:net handles). */
  | "runtime fd"
  /** Found by its addresses among this process's sockets (Deno, Bun.serve, node:net under Deno). */
  | "addresses"
  /** Resolved on an earlier call; its socket identity was checked again now. */
  | "cached";

/**
 * How sockopts tells a handle still holds the socket it resolved to, in a {@link DebugEvent} of
 * kind `"handle"`.
 *
 * @example Telling whether a handle's socket is re-checked
 * ```ts
 * import type { IdentityCheck } from "jsr:@sockopts/sockopts";
 *
 * export function rechecked(check: IdentityCheck): boolean {
 *   return check !== "none";
 * }
 * ```
 */
export type IdentityCheck =
  /** Linux: the socket's SO_COOKIE, read again on every use. */
  | "SO_COOKIE"
  /** Elsewhere: the socket's local and peer addresses, read again on every use. */
  | "addresses"
  /** None needed: the caller passed an fd, or the runtime vouches for its own fd. */
  | "none";

/**
 * One thing sockopts did, as {@link setDebug}'s listener receives it. Every event has a one-line
 * `message`; the other fields hold the same facts for programs.
 *
 * @example Collecting the system calls of one setKeepAlive
 * ```ts
 * import { type DebugEvent, setDebug, setKeepAlive } from "jsr:@sockopts/sockopts";
 *
 * export function traced(fd: number): DebugEvent[] {
 *   const events: DebugEvent[] = [];
 *   setDebug((event) => events.push(event));
 *   try {
 *     setKeepAlive(fd, { idle: 30_000 });
 *   } finally {
 *     setDebug(null);
 *   }
 *   return events.filter((event) => event.kind === "syscall");
 * }
 * ```
 */
export type DebugEvent =
  | {
    /** A handle resolved to an fd. */
    readonly kind: "handle";
    /** A line such as `handle Socket -> fd 7 (runtime fd; identity: none)`. */
    readonly message: string;
    /** What the handle is (its class name, or `number`). */
    readonly handle: string;
    /** The fd it resolved to. */
    readonly fd: number;
    /** How the fd was found. */
    readonly route: HandleRoute;
    /** How its identity is checked on later calls. */
    readonly identity: IdentityCheck;
  }
  | {
    /** A setsockopt or getsockopt was made. */
    readonly kind: "syscall";
    /** A line such as `setsockopt(7, 6, 4 TCP_KEEPIDLE, 30, 4) = 0`. */
    readonly message: string;
    /** Which call. */
    readonly call: "setsockopt" | "getsockopt";
    /** The fd the call was made on. */
    readonly fd: number;
    /**
     * The fd of the socket this call configures through a duplicate, or `null`: `configureSockets`
     * and `keepConfigured` reach a socket they do not own through a duplicate of its fd.
     */
    readonly duplicateOf: number | null;
    /** The option, as sockopts names it (`raw` for the unchecked escape hatch). */
    readonly option: string;
    /** The level argument. */
    readonly level: number;
    /** The optname argument. */
    readonly optname: number;
    /** The value sent or read back, as an int when 4 bytes long; otherwise `null`. */
    readonly value: number | null;
    /** The value's length in bytes (sent, or what the kernel wrote back). */
    readonly bytes: number;
    /** 0, or -1 on failure. */
    readonly result: number;
    /** The errno the call reported, by name, or `null` when it succeeded. */
    readonly errno: string | null;
  }
  | {
    /** configureSockets looked at one socket of the process. */
    readonly kind: "configure";
    /** A line such as `configure fd 9: skipped (remotePort is 6379, not 5432)`. */
    readonly message: string;
    /** The socket's fd. */
    readonly fd: number;
    /** Whether it matched the filter (and was then configured). */
    readonly matched: boolean;
    /** Why it was skipped, or `null` when it matched. */
    readonly reason: string | null;
  }
  | {
    /** A call did what it was asked, and likely not what was meant (`setKeepAlive(s, { idle })` alone). */
    readonly kind: "note";
    /** A line such as `note fd 7: idle alone: interval 75 s and count 9 stay the kernel's, …`. */
    readonly message: string;
    /** The socket's fd. */
    readonly fd: number;
  };

/**
 * Whether anything listens: the single check sockopts makes on its hot path. True until the first
 * report has read `SOCKOPTS_DEBUG`, so that importing sockopts reads nothing.
 */
export let debugging = true;

let listener: ((event: DebugEvent) => void) | null = null;
let envRead = false;

function print(event: DebugEvent): void {
  console.error(`sockopts: ${event.message}`);
}

/**
 * Turns the debug view on with a listener that receives every {@link DebugEvent}, or off with
 * `null`. Overrides `SOCKOPTS_DEBUG`. A listener that throws is switched off, so that a faulty
 * listener cannot break the call it observes. The listener runs in the middle of that call, so a
 * sockopts call it makes itself that reaches the system is refused with an `Error` ("Cannot use
 * sockopts inside its debug listener…"), which leaves the observed call's result intact; a call
 * that needs no system call (such as `fdOf(7)`) runs, and its own events are not reported.
 *
 * @param callback Receives each event synchronously, inside the sockopts call; `null` turns it off.
 * @returns Nothing: the next sockopts call reports to `callback` (or to no one).
 * @throws {TypeError} for anything but a function or `null`.
 *
 * @example Printing what sockopts does while a pool connects
 * ```ts
 * import { setDebug } from "jsr:@sockopts/sockopts";
 *
 * setDebug((event) => console.error(`sockopts: ${event.message}`));
 * // … connect, configure …
 * setDebug(null);
 * ```
 */
export function setDebug(callback: ((event: DebugEvent) => void) | null): void {
  if (callback !== null && typeof callback !== "function") {
    throw new TypeError(`Cannot set the debug listener: expected a function or null, got ${typeof callback}`);
  }
  envRead = true; // an explicit choice wins over the environment
  listener = callback;
  debugging = callback !== null;
}

/** The variable's value where it can be read without asking for a permission, else undefined. */
function readEnv(name: string): string | undefined {
  const g = globalThis as {
    Bun?: unknown;
    Deno?: {
      env: { get(key: string): string | undefined };
      permissions?: { querySync?(d: { name: "env"; variable: string }): { state: string } };
    };
    process?: { env?: Record<string, string | undefined> };
  };
  try {
    // Deno (not Bun's Deno shims): reading without --allow-env would prompt or throw, so read
    // only when already granted.
    if (g.Bun === undefined && typeof g.Deno?.permissions?.querySync === "function") {
      if (g.Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") return undefined;
      return g.Deno.env.get(name);
    }
    return g.process?.env?.[name];
  } catch {
    return undefined;
  }
}

// `SOCKOPTS_DEBUG` set to 1, true or yes prints every event to stderr.
function readDebugEnv(): void {
  envRead = true;
  const value = readEnv("SOCKOPTS_DEBUG")?.trim().toLowerCase();
  if (value === "1" || value === "true" || value === "yes") listener = print;
  debugging = listener !== null;
}

// True while the listener runs: an event of a call the listener itself makes is not reported
// back into it (that would recurse), and such a call may not use the native buffers.
let reporting = false;

function emit(event: DebugEvent): void {
  if (!envRead) readDebugEnv();
  const current = listener;
  if (current === null || reporting) return;
  reporting = true;
  try {
    withoutNative(() => current(event));
  } catch (error) {
    setDebug(null);
    console.error("sockopts: the debug listener threw and was switched off:", error);
  } finally {
    reporting = false;
  }
}

/**
 * Reports how a handle resolved, `name` being what the handle is (its class name, or `number`).
 * Call only when {@link debugging}.
 */
export function debugHandle(name: string, fd: number, route: HandleRoute, identity: IdentityCheck): void {
  emit({
    kind: "handle",
    message: `handle ${name} -> fd ${fd} (${route}; identity: ${identity})`,
    handle: name,
    fd,
    route,
    identity,
  });
}

/**
 * Reports a setsockopt or getsockopt. `value` is the 4-byte int sent or read, or `null` for other
 * sizes; `errnoName` is 0 when the call succeeded. Call only when {@link debugging}.
 */
export function debugSyscall(
  call: Syscall,
  fd: number,
  option: string,
  level: number,
  optname: number,
  value: number | null,
  bytes: number,
  errnoName: string | 0,
): void {
  const errno = errnoName === 0 ? null : errnoName;
  const result = errno === null ? 0 : -1;
  const shown = value === null ? `<${bytes} bytes>` : String(value);
  const duplicateOf = fd === duplicate ? original : null;
  emit({
    kind: "syscall",
    message: `${call}(${fd}, ${level}, ${optname} ${option}, ${shown}, ${bytes}) = ${result}` +
      (errno === null ? "" : ` ${errno}`) + (duplicateOf === null ? "" : ` (a duplicate of fd ${duplicateOf})`),
    call,
    fd,
    duplicateOf,
    option,
    level,
    optname,
    value,
    bytes,
    result,
    errno,
  });
}

// The duplicate fd a process-wide call is configuring a socket through, and that socket's fd.
let duplicate = -1;
let original = -1;

/**
 * Notes that calls on `copy` configure the socket at `fd` (src/process/duplicate.ts), until the
 * next note; `copy` -1 ends it. Two assignments, made whether or not the view is on.
 */
export function noteDuplicate(copy: number, fd: number): void {
  duplicate = copy;
  original = fd;
}

/** Reports what configureSockets did with one socket. Call only when {@link debugging}. */
export function debugConfigure(fd: number, reason: string | null): void {
  emit({
    kind: "configure",
    message: `configure fd ${fd}: ${reason === null ? "matched" : `skipped (${reason})`}`,
    fd,
    matched: reason === null,
    reason,
  });
}

/** Reports a note on a call (see the `"note"` {@link DebugEvent}). Call only when {@link debugging}. */
export function debugNote(fd: number, note: string): void {
  emit({ kind: "note", message: `note fd ${fd}: ${note}`, fd });
}
