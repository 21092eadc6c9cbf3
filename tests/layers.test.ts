/**
 * The house stays as docs/architecture.md draws it: each file imports only from its own layer or
 * the layers below, no two files import each other (directly or round a longer loop), no source
 * file grows past 400 lines, and `src/` keeps its top level small.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

// Lowest first; a file may import from its own layer or any layer below it.
const LAYERS: readonly (readonly string[])[] = [
  ["src/errors.ts", "src/address.ts"],
  ["src/ffi/"],
  ["platforms/"],
  ["src/sys/", "src/sys/debug.ts"],
  ["src/values.ts", "src/support.ts"],
  ["src/handles/"],
  ["src/options/"],
  ["src/process/"],
  ["mod.ts", "src/cli/", "src/compat/"],
];

function layerOf(file: string): number {
  let best = -1;
  let bestLength = -1;
  LAYERS.forEach((members, layer) => {
    for (const member of members) {
      const hit = member.endsWith("/") ? file.startsWith(member) : file === member;
      if (hit && member.length > bestLength) {
        best = layer;
        bestLength = member.length;
      }
    }
  });
  return best;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = `${dir}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...sources(path));
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

const FILES = ["mod.ts", ...sources("src"), ...sources("platforms")];

/** Every relative import (static, type-only or re-export) of `file`, as paths from the root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  const found: string[] = [];
  for (const match of text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"(\.[^"]+)";/gms)) {
    found.push(normalize(join(dirname(file), match[1])).replaceAll("\\", "/"));
  }
  return found;
}

const GRAPH = new Map(FILES.map((file) => [file, importsOf(file)]));

describe("the layers of docs/architecture.md", () => {
  it("place every source file in a layer", () => {
    const unplaced = FILES.filter((file) => layerOf(file) < 0);
    assert.deepEqual(unplaced, [], "add the new folder to LAYERS here and to docs/architecture.md");
  });

  it("import only downward or sideways", () => {
    const upward: string[] = [];
    for (const [file, imports] of GRAPH) {
      for (const target of imports) {
        if (layerOf(target) > layerOf(file)) upward.push(`${file} -> ${target}`);
      }
    }
    assert.deepEqual(upward, []);
  });

  it("have no import circles", () => {
    const state = new Map<string, "open" | "done">();
    const circles: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") {
        circles.push([...path.slice(path.indexOf(file)), file].join(" -> "));
        return;
      }
      state.set(file, "open");
      for (const target of GRAPH.get(file) ?? []) visit(target, [...path, file]);
      state.set(file, "done");
    };
    for (const file of FILES) visit(file, []);
    assert.deepEqual(circles, []);
  });

  it("keep every source file under 400 lines and at most 10 files directly in src/", () => {
    const long = FILES.map((file) => [file, readFileSync(join(ROOT, file), "utf8").split("\n").length] as const)
      .filter(([, lines]) => lines > 400)
      .map(([file, lines]) => `${file}: ${lines} lines`);
    assert.deepEqual(long, []);
    const top = FILES.filter((file) => file.startsWith("src/") && relative("src", file).indexOf("/") < 0);
    assert.ok(top.length <= 10, `src/ holds ${top.length} files directly: ${top.join(", ")}`);
  });

  it("name a runtime's FFI only in its adapter and handle files", () => {
    const allowed = /^src\/(ffi\/|handles\/(deno|bun|node|node_runtime|brand)\.ts$)/;
    const offenders = FILES.filter((file) => !allowed.test(file))
      .filter((file) =>
        /\bDeno\.dlopen\(|from "bun:ffi"|from "node:ffi"|\bDeno\[/.test(readFileSync(join(ROOT, file), "utf8"))
      );
    assert.deepEqual(offenders, []);
  });
});
