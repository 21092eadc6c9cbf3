// musl's dynamic loader answers any "libc." name with itself, so the `libc.so.6` that sockopts
// opens first on Linux works on musl systems too. Checked with musl's real loader: a program
// built by Debian's musl-gcc (package musl-tools) dlopens each name sockopts tries.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { linux } from "../platforms/linux/constants.ts";

const source = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "musl_libc.c");
const arch = process.arch === "arm64" ? "aarch64" : "x86_64";
const muslGcc = spawnSync("musl-gcc", ["--version"]).status === 0;
const skip = muslGcc
  ? false
  : "SKIPPED: musl-gcc is missing (apt-get install musl-tools), so musl's loader is not checked";
if (skip) console.log(`musl.test.ts: ${skip}`);

describe("musl's loader", { skip }, () => {
  it("opens every libc name sockopts tries on Linux as musl itself", () => {
    const dir = mkdtempSync(join(tmpdir(), "sockopts-musl-"));
    try {
      const exe = join(dir, "musl_libc");
      execFileSync("musl-gcc", [source, "-o", exe]);
      const names = linux.libc.map((name) => name.replace("{arch}", arch));
      assert.deepEqual(names, ["libc.so.6", `libc.musl-${arch}.so.1`]);
      const lines = execFileSync(exe, [...names, "libsockopts-absent.so.1"], { encoding: "utf8" }).trim().split("\n");
      assert.deepEqual(lines.map((line) => JSON.parse(line)), [
        { name: "libc.so.6", opened: true, musl: true },
        { name: `libc.musl-${arch}.so.1`, opened: true, musl: true },
        // A control: a name that is not libc's is looked up for real, and is not there.
        { name: "libsockopts-absent.so.1", opened: false, musl: false },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
