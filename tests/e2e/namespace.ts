/**
 * Private network namespaces for the end-to-end scenarios: whether this machine can make them,
 * how to run a script inside a fresh one, and the guard every nftables call goes through.
 *
 * Each scenario runs in its own `unshare --net` namespace, holding only a loopback interface.
 * Nothing in it can reach the host's network, its nftables rules vanish with it, and the kernel
 * frees it when the last process inside exits, so there is nothing to clean up.
 */
import { execFileSync, spawn } from "node:child_process";
import { readlinkSync } from "node:fs";
import { scriptArgs } from "../support/runtime.ts";

/** Set in the child's environment to the namespace of the process that made it. */
export const HOST_NETNS = "SOCKOPTS_E2E_HOST_NETNS";

function netns(): string {
  return readlinkSync("/proc/self/ns/net");
}

function firstLine(error: unknown): string {
  const { stderr, message } = error as { stderr?: unknown; message?: unknown };
  const text = (typeof stderr === "string" || stderr instanceof Uint8Array) ? String(stderr) : "";
  return (text.trim() || String(message)).split("\n")[0];
}

/**
 * Why the scenarios cannot run here, or `false` when they can: Linux, root, and `unshare`,
 * `ip`, `nft` and `ss` working inside a fresh network namespace.
 */
export function namespaceUnavailable(): string | false {
  if (process.platform !== "linux") return `needs Linux network namespaces (this is ${process.platform})`;
  const uid = process.getuid?.();
  if (uid !== 0) return `needs root to create network namespaces (uid ${uid})`;
  for (const tool of ["unshare", "ip", "nft", "ss"]) {
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "pipe" });
    } catch {
      const hint = tool === "nft"
        ? " (apt-get install nftables)"
        : tool === "unshare"
        ? " (util-linux)"
        : " (iproute2)";
      return `needs \`${tool}\` on PATH${hint}`;
    }
  }
  try {
    execFileSync("unshare", ["--net", "--", "sh", "-c", "ip link set lo up && nft list ruleset && ss -tn"], {
      stdio: "pipe",
      timeout: 10_000,
    });
  } catch (error) {
    return `cannot use nftables in a private network namespace: ${firstLine(error)}`;
  }
  return false;
}

/** Whether this process was started by {@link runInNamespace}, in a namespace of its own. */
export function inPrivateNamespace(): boolean {
  const host = process.env[HOST_NETNS];
  return host !== undefined && host !== "" && host !== netns();
}

/**
 * Throws unless this process runs in a network namespace other than its parent's: the scenarios
 * call this before touching nftables, so that no rule can ever land on the host.
 */
export function assertPrivateNamespace(): void {
  if (!inPrivateNamespace()) {
    const host = process.env[HOST_NETNS];
    throw new Error(`refusing to touch nftables: not inside a private network namespace (${netns()}, host ${host})`);
  }
}

/** What a process run in a namespace did. */
export interface NamespaceRun {
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The run outlived its time limit and was killed. */
  readonly timedOut: boolean;
}

/** The command line that runs a TypeScript file under the runtime running this one. */
export function runtimeCommand(script: string, args: readonly string[]): string[] {
  return [process.execPath, ...scriptArgs(script, args)];
}

/**
 * Runs `command` in a fresh network namespace with loopback up, killing it after `timeoutMs`.
 *
 * @param inherit Share this process's stdout and stderr instead of collecting them (the demo).
 */
export function runInNamespace(command: readonly string[], timeoutMs: number, inherit = false): Promise<NamespaceRun> {
  // `exec` leaves the runtime as the only process in the namespace, so killing it frees it.
  const argv = ["--net", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", ...command];
  return runUnshare(argv, timeoutMs, { inherit });
}

/**
 * Runs `unshare` with `argv`, telling the child which network namespace it was started from (see
 * {@link inPrivateNamespace}), and kills it with SIGKILL after `timeoutMs`.
 *
 * @param options `env`: variables beside this process's; `inherit`: share this process's stdout
 *   and stderr instead of collecting them.
 */
export function runUnshare(
  argv: readonly string[],
  timeoutMs: number,
  options: { readonly env?: Readonly<Record<string, string>>; readonly inherit?: boolean } = {},
): Promise<NamespaceRun> {
  return new Promise((resolve, reject) => {
    const child = spawn("unshare", argv, {
      env: { ...process.env, [HOST_NETNS]: netns(), ...options.env },
      stdio: options.inherit ? ["ignore", "inherit", "inherit"] : ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}
