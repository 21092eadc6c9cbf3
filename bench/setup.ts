/**
 * Everything the benchmark builds before it times anything: the C baseline (compiled now, with
 * this machine's compiler) and the Node peer (net-keepalive installed with this machine's npm into
 * git-ignored bench/.node/, never a dependency of the library). Either may be unavailable; the
 * table then says why instead of showing numbers.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { output } from "./processes.ts";

/** A tool the benchmark could build, or why it could not. */
export type Built<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** The compiled C baseline. */
export interface CBaseline {
  readonly path: string;
  /** The compiler's first `--version` line. */
  readonly compiler: string;
}

/** The Node peer's worker and versions. */
export interface NodePeer {
  readonly script: string;
  readonly node: string;
  readonly netKeepalive: string;
}

async function findCompiler(): Promise<string | undefined> {
  const candidates = [Deno.env.get("CC"), "cc", "gcc", "clang"].filter((c): c is string => !!c);
  for (const cc of candidates) {
    try {
      await output(cc, ["--version"]);
      return cc;
    } catch {
      // not installed; try the next
    }
  }
  return undefined;
}

/** Compiles bench/c/baseline.c with -O2 into a temporary directory. */
export async function buildCBaseline(root: string): Promise<Built<CBaseline>> {
  const cc = await findCompiler();
  if (cc === undefined) return { ok: false, reason: "no C compiler (cc, gcc or clang; or $CC) on PATH" };
  const dir = await Deno.makeTempDir({ prefix: "sockopts-bench-" });
  const path = join(dir, "baseline");
  try {
    await output(cc, ["-O2", "-Wall", "-o", path, join(root, "bench", "c", "baseline.c")]);
  } catch (error) {
    return { ok: false, reason: `the C baseline did not compile: ${(error as Error).message}` };
  }
  const version = (await output(cc, ["--version"])).split("\n")[0].trim();
  return { ok: true, value: { path, compiler: version } };
}

function installedVersion(dir: string): string | undefined {
  const manifest = join(dir, "node_modules", "net-keepalive", "package.json");
  if (!existsSync(manifest)) return undefined;
  return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
}

/**
 * Installs net-keepalive 4.x into bench/.node (once; kept between runs) and bundles the Node
 * worker next to it with the project's esbuild, since Node cannot run TypeScript.
 */
export async function buildNodePeer(root: string): Promise<Built<NodePeer>> {
  const dir = join(root, "bench", ".node");
  let node: string;
  try {
    node = (await output("node", ["--version"])).trim().replace(/^v/, "");
  } catch (error) {
    return { ok: false, reason: `no Node on PATH (${(error as Error).message})` };
  }
  let version = installedVersion(dir);
  if (version === undefined || !version.startsWith("4.")) {
    mkdirSync(dir, { recursive: true });
    try {
      await output("npm", [
        "install",
        "--no-save",
        "--no-package-lock",
        "--no-audit",
        "--no-fund",
        "--prefix",
        dir,
        "net-keepalive@4",
      ]);
    } catch (error) {
      return { ok: false, reason: `npm could not install net-keepalive@4: ${(error as Error).message}` };
    }
    version = installedVersion(dir);
    if (version === undefined) {
      return { ok: false, reason: "npm reported success but net-keepalive is not in bench/.node" };
    }
  }
  const script = join(dir, "node_worker.mjs");
  const esbuild = join(root, "node_modules", ".bin", "esbuild");
  await output(esbuild, [
    join(root, "bench", "node_worker.ts"),
    "--bundle",
    "--platform=node",
    "--format=esm",
    "--target=node20",
    "--log-level=warning",
    `--outfile=${script}`,
  ]);
  return { ok: true, value: { script, node, netKeepalive: version } };
}
