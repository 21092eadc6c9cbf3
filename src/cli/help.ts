/**
 * `sockopts --help` and each command's `--help`, with examples.
 *
 * @module
 */
import type { Command } from "./args.ts";

const FILTERS = `Filters (every one given must match; as configureSockets takes them):
  --remote-port N     the remote port, such as 5432
  --remote-host IP    the remote IP address (a literal: 10.0.0.7, ::1)
  --local-port N      the local port
  --listening         listening sockets only`;

const DURATIONS = `Durations take a unit: 1500ms, 30s, 5m, 1h, 1m30s. A bare number is refused.`;

const MAIN = `sockopts: see and fix TCP keep-alive on a running process, without a restart

Usage:
  sockopts ls    [--pid N | --all] [filters] [--json]
  sockopts set   --pid N <filter> (--detect-within 30s | --idle … --interval … --count … --user-timeout …) [--dry-run] [--json]
  sockopts watch --pid N [filters] [--period 1s] [--times N] [--json]

  sockopts <command> --help   shows a command's flags and examples

--pid reads another process's sockets through duplicates of its fds (pidfd_getfd): Linux 5.6 or
later, as root or as the process's own user (the same rules as attaching a debugger). Without
--pid, ls lists this process's own sockets, on every OS the library runs on.

Run it as: npx sockopts …, bunx --bun sockopts …, or deno run -A jsr:@sockopts/sockopts/cli …

Exit codes: 0 done; 1 set matched nothing or a socket failed; 2 a command line it cannot read;
3 no such process; 4 not permitted (the message says why and how to allow it); 5 unsupported here.
`;

const HELP: Readonly<Record<Command, string>> = {
  ls: `sockopts ls: every TCP socket of a process, with its keep-alive settings and live figures

Usage:
  sockopts ls [--pid N | --all] [filters] [--json]

  --pid N    the process (Linux 5.6+); without it, this process's own sockets
  --all      every process this user may inspect (Linux), one table each
  --json     JSON instead of the table

${FILTERS}

Columns: fd, both ends, state; keep-alive on/off, idle time, probe interval, probe count; how long
a silent peer goes unnoticed on an idle connection (DEAD PEER AFTER); the user timeout; and from
TCP_INFO the round-trip time, retransmissions, keep-alive probes sent and time since data was
last received.

Examples:
  sockopts ls --pid 4242
  sockopts ls --pid 4242 --remote-port 5432
  sudo sockopts ls --all --remote-port 6379 --json
`,
  set: `sockopts set: configure the matching TCP sockets of a running process

Usage:
  sockopts set --pid N <filter> (--detect-within D | [--idle D] [--interval D] [--count N] [--user-timeout D] [--keepalive on|off]) [--dry-run] [--json]

  --pid N              the process (Linux 5.6+)
  --detect-within D    notice a dead peer within D, idle or with a write in flight: sets keep-alive
                       and the user timeout together (given alone)
  --idle D             idle time before the first keep-alive probe (TCP_KEEPIDLE; whole seconds)
  --interval D         time between unanswered probes (TCP_KEEPINTVL; whole seconds)
  --count N            unanswered probes before the connection is dropped (TCP_KEEPCNT)
  --user-timeout D     how long sent data may stay unacknowledged (TCP_USER_TIMEOUT; 0s: the default)
  --keepalive on|off   turn keep-alive on (implied by --idle, --interval, --count) or off
  --dry-run            show what would change, change nothing
  --json               JSON instead of text
  --all-sockets        every TCP socket of the process instead of a filter (the runtime's own too)

${FILTERS}
A filter is required: name the sockets to change.

${DURATIONS}

Each socket is reached through a duplicate of the process's fd, checked to be the socket that was
listed (SO_COOKIE) before it is touched, set, read back and closed. The values stay after sockopts
exits, for the life of each socket; connections opened later start with the process's own
settings again (run set again, or use keepConfigured in the program).

Examples:
  sockopts set --pid 4242 --remote-port 5432 --detect-within 30s --dry-run
  sockopts set --pid 4242 --remote-port 5432 --detect-within 30s
  sockopts set --pid 4242 --remote-host 10.0.0.8 --remote-port 6379 --idle 60s --interval 10s --count 3
  sockopts set --pid 4242 --listening --local-port 8080 --idle 30s   (connections accepted later inherit it)
`,
  watch: `sockopts watch: the ls table of one process, refreshed in place

Usage:
  sockopts watch --pid N [filters] [--period D] [--times N] [--json]

  --pid N      the process (Linux 5.6+)
  --period D   time between refreshes (default 1s, at least 100ms)
  --times N    stop after N refreshes (default: until Ctrl-C, or the process exits)
  --json       one JSON line per refresh instead of the table

${FILTERS}

${DURATIONS}

Below the table, the sockets that closed since watching began: a dead peer noticed shows there.

Examples:
  sockopts watch --pid 4242 --remote-port 5432
  sockopts watch --pid 4242 --period 500ms --times 20 --json
`,
};

/**
 * The help text of a command, or the overview.
 * @param command The command, or `undefined` for the overview.
 * @returns The text.
 */
export function helpText(command: Command | undefined): string {
  return command === undefined ? MAIN : HELP[command];
}
