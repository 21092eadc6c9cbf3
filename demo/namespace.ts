/**
 * Where `npm start` cuts its connections: a private network namespace holding only loopback,
 * whose nftables rules vanish with it. As root, `unshare --net`; otherwise a user namespace of its
 * own too (`unshare --user --map-root-user --net`), which most Linux kernels allow without root.
 * Either way the rules can never touch this machine's network.
 */
import { execFileSync } from "node:child_process";
import { inPrivateNamespace, runtimeCommand, runUnshare } from "../tests/e2e/namespace.ts";

export { inPrivateNamespace };

/** How to make the namespace here, or why it cannot be made. */
export type Namespace =
  | { readonly ok: true; readonly unshare: readonly string[]; readonly how: string }
  | { readonly ok: false; readonly why: string };

function firstLine(error: unknown): string {
  const { stderr, message } = error as { stderr?: unknown; message?: unknown };
  const text = typeof stderr === "string" || stderr instanceof Uint8Array ? String(stderr) : "";
  return (text.trim() || String(message)).split("\n")[0];
}

/**
 * Whether a namespace with nftables can be made here. `SOCKOPTS_DEMO_USERNS=1` asks for the user
 * namespace even as root (the tests use it to run the path a user without root takes).
 */
export function demoNamespace(): Namespace {
  if (process.platform !== "linux") {
    return { ok: false, why: `network namespaces are Linux's (this is ${process.platform})` };
  }
  for (const tool of ["unshare", "ip", "nft"]) {
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "pipe" });
    } catch {
      const from = tool === "nft" ? "nftables" : tool === "ip" ? "iproute2" : "util-linux";
      return { ok: false, why: `\`${tool}\` is not on PATH (Debian: apt-get install ${from})` };
    }
  }
  const root = process.getuid?.() === 0 && process.env.SOCKOPTS_DEMO_USERNS !== "1";
  const unshare = root ? ["--net"] : ["--user", "--map-root-user", "--net"];
  try {
    execFileSync("unshare", [...unshare, "--", "sh", "-c", "ip link set lo up && nft list ruleset"], {
      stdio: "pipe",
      timeout: 10_000,
    });
  } catch (error) {
    const need = root ? "" : " (without root this needs unprivileged user namespaces)";
    return { ok: false, why: `cannot make a private network namespace with nftables${need}: ${firstLine(error)}` };
  }
  const how = root ? "as root" : "in a user namespace of its own: no root needed";
  return { ok: true, unshare, how };
}

/** Runs `script` under this runtime inside a fresh namespace, sharing this process's output. */
export async function runInside(namespace: Namespace & { ok: true }, script: string): Promise<number> {
  const argv = [...namespace.unshare, "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"];
  const run = await runUnshare([...argv, ...runtimeCommand(script, [])], 60_000, {
    inherit: true,
    env: { SOCKOPTS_DEMO_HOW: namespace.how },
  });
  return run.code ?? 1;
}
