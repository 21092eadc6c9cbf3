// Deno's least privilege (issue 10, item 6): libc opens by its absolute path under
// --allow-ffi=<that path>, with reads denied, and a failure names every path tried and why.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { linux } from "../platforms/linux/constants.ts";
import { libcCandidates } from "../platforms/unix/libc_paths.ts";
import { PUBLIC_CALLS } from "../src/ffi/caller.ts";
import * as sockopts from "../mod.ts";
import { binDir, root, run } from "./support/exec.ts";

const LIMIT = { timeout: 60_000 };
const child = join(root, "tests", "fixtures", "narrow_ffi_child.ts");

/** The libc this process really runs on, from its own memory map (not from sockopts). */
function realLibc(): string | undefined {
  for (const line of readFileSync("/proc/self/maps", "utf8").split("\n")) {
    const path = line.slice(line.indexOf("/"));
    if (line.includes("/") && /\/libc(\.so\.6|-[\d.]+\.so)$/.test(path)) return path;
  }
  return undefined;
}

interface Outcome {
  readonly ok?: { enable: boolean; idle: number; interval: number; count: number };
  readonly listed?: boolean;
  readonly configured?: number[];
  readonly name?: string;
  readonly message?: string;
  readonly code?: string;
}

async function deno(flags: string[], mode: string, cwd = root): Promise<Outcome> {
  const { stdout } = await run(join(binDir, "deno"), ["run", "--no-prompt", ...flags, child, mode], {
    cwd,
    timeout: 50_000,
  });
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

const libc = realLibc();

describe("loading libc in Deno", () => {
  it("knows every function of mod.ts that can load libc, to name it when loading fails", () => {
    // Those that never reach libc: isSupported asks the runtime, deadPeerPlan computes, setDebug stores.
    const never = new Set(["isSupported", "deadPeerPlan", "setDebug"]);
    const functions = Object.entries(sockopts)
      .filter(([name, value]) => typeof value === "function" && /^[a-z]/.test(name) && !never.has(name))
      .map(([name]) => name);
    assert.deepEqual([...PUBLIC_CALLS].sort(), functions.sort());
  });

  it("offers the platform's names first, then absolute paths", () => {
    const paths = libcCandidates(linux, "x86_64");
    assert.deepEqual(paths.slice(0, 2), ["libc.so.6", "libc.musl-x86_64.so.1"]);
    assert.ok(paths.includes("/usr/lib/x86_64-linux-gnu/libc.so.6"));
    assert.ok(paths.includes("/lib64/libc.so.6"));
    assert.ok(libcCandidates(linux, "aarch64").includes("/lib/ld-musl-aarch64.so.1"));
    if (libc !== undefined) assert.ok(paths.includes(libc), `${libc} is a candidate`);
  });

  it(
    "works with --allow-ffi=<libc's real path> and reads denied, listing fds through libc",
    { ...LIMIT, skip: libc === undefined ? "no glibc libc.so.6 in this process's memory map" : false },
    async () => {
      const outcome = await deno([`--allow-ffi=${libc}`, "--allow-net=127.0.0.1", "--deny-read"], "set");
      assert.deepEqual(outcome, {
        ok: { enable: true, idle: 21_000, interval: 3_000, count: 5 },
        listed: true, // tcpSockets() lists the listener at the fd fdOf() finds
        configured: [7_000], // configureSockets() reached it too
      });
    },
  );

  it(
    "names the application's call (not the internal one), the flag, and why a granted path failed",
    LIMIT,
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "sockopts-ffi-"));
      try {
        // A relative grant is resolved against the working directory by Deno: it does not cover
        // the system's libc, and the message says what dlopen really said about it, once.
        const relative = await deno(["--allow-ffi=libc.so.6"], "get", dir);
        assert.equal(relative.name, "PermissionError");
        assert.match(relative.message!, /^Cannot load libc for getKeepAlive: Deno needs --allow-ffi, or --allow-ffi=/);
        assert.ok(relative.message!.includes(`libc.so.6: Could not open library: ${join(dir, "libc.so.6")}`));
        assert.equal(relative.message!.split("Could not open library").length - 1, 1, relative.message!);
        assert.match(relative.message!, /a relative --allow-ffi path is resolved against the working directory/);

        const none = await deno(["--allow-net=127.0.0.1"], "set", dir);
        assert.equal(none.name, "PermissionError");
        // A listener is found by address first: the first libc call is sock_diag's statx check
        // (Linux), or the fd listing's; the message names setKeepAlive all the same.
        assert.equal(
          none.message,
          "Cannot load libc for setKeepAlive: Deno needs --allow-ffi, or --allow-ffi=<libc's absolute path> " +
            `such as ${libcCandidates(linux, "x86_64").find((path) => path.startsWith("/"))} for libc alone`,
        );
        const getter = await deno([], "get", dir);
        assert.match(getter.message!, /^Cannot load libc for getKeepAlive: Deno needs --allow-ffi/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
