/**
 * Builds the npm package into dist/: `npm run build` (and `npm ci` and `npm pack`, through `prepare`).
 *
 * - esbuild transpiles each module mod.ts reaches into its own ESM file (dist/mod.js,
 *   dist/src/…, dist/platforms/…), and each one the command reaches (dist/src/cli/main.js, the
 *   package's `bin`, with its `#!/usr/bin/env node` line), without bundling, so that an application's bundler keeps only
 *   the modules (and, through `sideEffects: false` and the pure annotations, the declarations) the
 *   application uses: a bundle of `isSupported` alone carries no OS table. `bun:ffi` is never
 *   imported statically: the Bun adapter loads it with `import.meta.require` on the first call.
 * - tsc type-checks the library and emits the .d.ts files (tsconfig.build.json). Deno's FFI types
 *   come from the pinned Deno's own declarations (`deno types`), written to .cache/ for the build
 *   only; the emitted declarations name no runtime's globals (tests/package.test.ts checks).
 * - Relative `.ts` specifiers become `.js` in both (what every runtime, bundler and TypeScript
 *   module resolution understands in a package), examples import `sockopts` instead of
 *   `jsr:@sockopts/sockopts`, and declarations that dist/mod.d.ts does not reach are dropped.
 *
 * Run with `deno run --allow-read --allow-write --allow-run --allow-env scripts/build.ts`.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const COMPAT = join("src", "compat");
const bin = (name: string) => join(root, "node_modules", ".bin", name);

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
}

rmSync(dist, { recursive: true, force: true });

// 1. The JavaScript: the modules mod.ts and the command reach (esbuild's metafile of throwaway
// bundles lists them), each transpiled on its own.
const COMMAND = "src/cli/main.ts";
mkdirSync(join(root, ".cache"), { recursive: true });
const metafile = join(root, ".cache", "build-meta.json");
// The entries: the library, and `sockopts/net-keepalive` (src/compat/), which imports node:
// builtins only through process.getBuiltinModule and its types.
const ENTRIES = ["mod.ts", "src/compat/net_keepalive.ts"];
run(bin("esbuild"), [
  ...ENTRIES,
  COMMAND,
  "--bundle",
  "--format=esm",
  "--platform=neutral",
  "--external:bun:ffi",
  // The command reads /proc through node:fs, which every runtime provides.
  "--external:node:*",
  "--log-level=warning",
  `--metafile=${metafile}`,
  `--outdir=${join(root, ".cache", "build-bundle")}`,
]);
const modules = Object.keys(JSON.parse(readFileSync(metafile, "utf8")).inputs as Record<string, unknown>).sort();
run(bin("esbuild"), [
  ...modules,
  "--format=esm",
  "--platform=neutral",
  "--target=es2022",
  "--outbase=.",
  "--outdir=dist",
  "--log-level=warning",
]);

// 2. The declarations: Deno's own lib declarations for tsc, then tsc.
const denoTypes = run(bin("deno"), ["types"])
  .split("\n")
  // `/// <reference lib="deno.net" />` and the like name libs only Deno's compiler has; their
  // contents are already part of the output.
  .filter((line) => !/^\/\/\/ <reference lib="deno\./.test(line))
  .join("\n");
writeFileSync(join(root, ".cache", "deno.d.ts"), denoTypes);
run(bin("tsc"), ["-p", "tsconfig.build.json"]);

// 3. Specifiers for npm, in the JavaScript and in the declarations.
const SPECIFIER = /(\bfrom\s+|\bimport\s*\(\s*)"(\.{1,2}\/[^"]+)\.ts"/g;

function emitted(dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? emitted(path, suffix) : entry.name.endsWith(suffix) ? [path] : [];
  });
}

/** Rewrites every file reached from `entry` and returns them; `suffix` is `.js` or `.d.ts`. */
function rewrite(entry: string, suffix: string): Set<string> {
  const reached = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (reached.has(file)) continue;
    reached.add(file);
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(SPECIFIER)) {
      const target = resolve(dirname(file), `${match[2]}${suffix}`);
      if (!existsSync(target)) throw new Error(`${relative(root, file)} imports ${match[2]}.ts, which was not emitted`);
      pending.push(target);
    }
    writeFileSync(
      file,
      text.replace(SPECIFIER, (_all, keyword: string, path: string) => `${keyword}"${path}.js"`)
        .replaceAll('"jsr:@sockopts/sockopts"', '"sockopts"'),
    );
  }
  return reached;
}

const scripts = new Set([
  ...rewrite(join(dist, "mod.js"), ".js"),
  ...rewrite(join(dist, COMMAND.replace(/\.ts$/, ".js")), ".js"),
  ...rewrite(join(dist, COMPAT, "net_keepalive.js"), ".js"),
]);
const declarations = rewrite(join(dist, "mod.d.ts"), ".d.ts");
for (const file of emitted(dist, ".d.ts")) {
  if (!declarations.has(file)) rmSync(file);
}
for (const file of emitted(dist, ".js")) {
  if (!scripts.has(file)) throw new Error(`${relative(root, file)} was emitted but no entry reaches it`);
}

// 4. CommonJS: `require()` gets a real CommonJS file for each entry, which hands over the one ES
// module instance (Node's and Bun's require() of an ES module), so a process that both imports
// and requires sockopts shares its state and error classes; and TypeScript projects compiled to
// CommonJS (`module: node16`) get declarations in CommonJS form (.d.cts), which they may load.
writeFileSync(join(dist, "mod.cjs"), `"use strict";\nmodule.exports = require("./mod.js");\n`);
for (const file of declarations) {
  const twin = file.replace(/\.d\.ts$/, ".d.cts");
  writeFileSync(
    twin,
    readFileSync(file, "utf8").replace(/(\bfrom\s+|\bimport\s*\(\s*)"(\.{1,2}\/[^"]+)\.js"/g, '$1"$2.cjs"'),
  );
}
// net-keepalive's require() returned a plain object of its six functions: so does this one.
writeFileSync(
  join(dist, COMPAT, "net_keepalive.cjs"),
  `"use strict";\nconst entry = require("./net_keepalive.js");\nmodule.exports = entry.default;\n`,
);
// Its declarations are written by hand, as net-keepalive's were: they name node:net's Socket,
// which the library's own declarations must not (they name no runtime's globals).
for (const suffix of [".d.ts", ".d.cts"]) {
  copyFileSync(join(root, COMPAT, `net_keepalive${suffix}`), join(dist, COMPAT, `net_keepalive${suffix}`));
}
for (const dir of ["src/ffi", "src/handles", "src/cli", "src/sys", "src/compat", "src", "platforms"]) {
  const path = join(dist, dir);
  if (existsSync(path) && readdirSync(path).length === 0) rmSync(path, { recursive: true });
}

console.error(`built ${scripts.size} modules and ${declarations.size} declaration files in dist/`);
