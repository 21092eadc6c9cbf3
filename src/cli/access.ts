/**
 * Why the kernel refused to let this process see or take another's fds, and how to allow it. The
 * kernel says only EPERM or EACCES; the cause is found from what decides it (ptrace's access
 * check: the same user, or CAP_SYS_PTRACE; Yama's ptrace_scope; the target's dumpable flag), as
 * `/proc` shows it. Every fact is read when asked, never assumed.
 *
 * @module
 */
import { readFileSync, statSync } from "node:fs";
import { CliError, EXIT } from "./errors.ts";

const CAP_SYS_PTRACE = 19; // <linux/capability.h>

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** A `/proc/PID/status` field, such as `Uid` (its first number: the real id). */
function statusField(pid: number | "self", field: string): string | undefined {
  const line = read(`/proc/${pid}/status`)?.split("\n").find((l) => l.startsWith(`${field}:`));
  return line?.slice(field.length + 1).trim();
}

/** Whether this process holds CAP_SYS_PTRACE in its effective set. */
export function hasPtraceCapability(): boolean {
  const hex = statusField("self", "CapEff");
  return hex !== undefined && (BigInt(`0x${hex}`) >> BigInt(CAP_SYS_PTRACE) & 1n) === 1n;
}

/** The user name for `uid` from /etc/passwd, or `uid N`. */
export function userName(uid: number): string {
  const line = read("/etc/passwd")?.split("\n").find((l) => l.split(":")[2] === String(uid));
  return line === undefined ? `uid ${uid}` : `${line.split(":")[0]} (uid ${uid})`;
}

/** The real uid of process `pid` (from its status), or `undefined` when it is gone. */
export function processUid(pid: number): number | undefined {
  const uid = statusField(pid, "Uid")?.split(/\s+/)[0];
  return uid === undefined ? undefined : Number(uid);
}

function ptraceScope(): number | undefined {
  const text = read("/proc/sys/kernel/yama/ptrace_scope");
  return text === undefined ? undefined : Number(text.trim());
}

const CONTAINER_HINT = "in Docker, `docker run --cap-add SYS_PTRACE --pid container:<name> …`; in Kubernetes, " +
  "`kubectl debug -it <pod> --profile=sysadmin --target=<container> …` or securityContext.capabilities.add: " +
  "[SYS_PTRACE]; under systemd, AmbientCapabilities=CAP_SYS_PTRACE";

/**
 * Explains a refusal: which rule refused and what allows it.
 * @param pid The process that was asked about.
 * @param what What was refused, such as `take the fds of process 4242`.
 * @param how The call and its errno, such as `pidfd_getfd: EPERM`.
 * @returns The error to throw, exit code 4.
 */
export function notPermitted(pid: number, what: string, how: string): CliError {
  const mine = (globalThis as { process?: { getuid?: () => number } }).process?.getuid?.() ?? -1;
  const theirs = processUid(pid);
  const capable = hasPtraceCapability();
  const scope = ptraceScope();
  const start = `Cannot ${what}: not permitted (${how})`;
  const say = (cause: string) => new CliError(`${start}: ${cause}`, EXIT.notPermitted);
  if (scope === 3) {
    return say(
      "kernel.yama.ptrace_scope is 3, so no process may take another's fds, not even root; it stays so until reboot",
    );
  }
  if (theirs !== undefined && theirs !== mine && !capable) {
    const them = userName(theirs);
    if (mine === 0) {
      return say(
        `process ${pid} belongs to ${them}, and sockopts runs as root but without CAP_SYS_PTRACE, as in a ` +
          `container started without it: grant it (${CONTAINER_HINT})`,
      );
    }
    const asThem = theirs === 0 ? "" : `as that user (sudo -u ${them.split(" ")[0]} sockopts …) or `;
    return say(
      `process ${pid} belongs to ${them}, and sockopts runs as ${userName(mine)} without CAP_SYS_PTRACE: run it ` +
        `${asThem}as root (sudo sockopts …)`,
    );
  }
  if (scope === 2 && !capable) {
    return say(
      "kernel.yama.ptrace_scope is 2, so only a process with CAP_SYS_PTRACE may take another's fds: run " +
        "sockopts as root (sudo sockopts …)",
    );
  }
  if (scope === 1 && !capable) {
    return say(
      "kernel.yama.ptrace_scope is 1, so a process may take only its own descendants' fds: run sockopts as " +
        "root (sudo sockopts …), or allow it for everyone with `sysctl kernel.yama.ptrace_scope=0`",
    );
  }
  if (!capable && dumpableOff(pid, theirs)) {
    return say(
      `process ${pid} is not dumpable (a setuid program, or one that called prctl(PR_SET_DUMPABLE, 0)), so only ` +
        "a process with CAP_SYS_PTRACE may take its fds: run sockopts as root (sudo sockopts …)",
    );
  }
  if (!capable) {
    return say(`sockopts runs without CAP_SYS_PTRACE: run it as root (sudo sockopts …); ${CONTAINER_HINT}`);
  }
  return say(
    "sockopts holds CAP_SYS_PTRACE, so a security module (AppArmor, SELinux) or a seccomp filter refused it, " +
      "or the process is in a user namespace sockopts has no capabilities over: see the system log",
  );
}

// A non-dumpable process's /proc/PID entries belong to root, whoever runs it.
function dumpableOff(pid: number, uid: number | undefined): boolean {
  if (uid === undefined || uid === 0) return false;
  try {
    return statSync(`/proc/${pid}/fd`).uid === 0;
  } catch {
    return false;
  }
}
