/**
 * Builds the npm package into dist/: `npm run build` (and `npm pack`, through `prepack`).
 *
 * - esbuild bundles mod.ts into one ESM file, dist/mod.js, for any runtime (platform neutral).
 *   `bun:ffi` is never imported statically: the Bun adapter loads it with `import.meta.require`
 *   on the first call, which the ESM bundle keeps as it is.
 * - tsc type-checks the library and emits the .d.ts files (tsconfig.build.json). Deno's FFI types
 *   come from the pinned Deno's own declarations (`deno types`), written to .cache/ for the build
 *   only; the emitted declarations name no runtime's globals (tests/package.test.ts checks).
 * - The .d.ts files are then made ready for npm: relative `.ts` specifiers become `.js` (what every
 *   TypeScript module resolution understands in a package), examples import `sockopts` instead of
 *   `jsr:@sockopts/sockopts`, and files that dist/mod.d.ts does not reach are dropped.
 *
 * Run with `deno run --allow-read --allow-write --allow-run --allow-env scripts/build.ts`.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const bin = (name: string) => join(root, "node_modules", ".bin", name);

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
}

rmSync(dist, { recursive: true, force: true });

// 1. The JavaScript: one ESM bundle.
run(bin("esbuild"), [
  "mod.ts",
  "--bundle",
  "--format=esm",
  "--platform=neutral",
  "--target=es2022",
  "--external:bun:ffi",
  "--log-level=warning",
  "--outfile=dist/mod.js",
]);

// 2. The declarations: Deno's own lib declarations for tsc, then tsc.
mkdirSync(join(root, ".cache"), { recursive: true });
const denoTypes = run(bin("deno"), ["types"])
  .split("\n")
  // `/// <reference lib="deno.net" />` and the like name libs only Deno's compiler has; their
  // contents are already part of the output.
  .filter((line) => !/^\/\/\/ <reference lib="deno\./.test(line))
  .join("\n");
writeFileSync(join(root, ".cache", "deno.d.ts"), denoTypes);
run(bin("tsc"), ["-p", "tsconfig.build.json"]);

// 3. Declarations for npm.
const SPECIFIER = /(\bfrom\s+|\bimport\s*\(\s*)"(\.{1,2}\/[^"]+)\.ts"/g;

function declarations(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? declarations(path) : entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

const reached = new Set<string>();
const pending = [join(dist, "mod.d.ts")];
while (pending.length > 0) {
  const file = pending.pop()!;
  if (reached.has(file)) continue;
  reached.add(file);
  const text = readFileSync(file, "utf8");
  for (const match of text.matchAll(SPECIFIER)) {
    const target = resolve(dirname(file), `${match[2]}.d.ts`);
    if (!existsSync(target)) throw new Error(`${relative(root, file)} imports ${match[2]}.ts, which tsc did not emit`);
    pending.push(target);
  }
  writeFileSync(
    file,
    text.replace(SPECIFIER, (_all, keyword: string, path: string) => `${keyword}"${path}.js"`)
      .replaceAll('"jsr:@sockopts/sockopts"', '"sockopts"'),
  );
}
for (const file of declarations(dist)) {
  if (!reached.has(file)) rmSync(file);
}
for (const dir of ["src/ffi", "src/handles", "src", "platforms"]) {
  const path = join(dist, dir);
  if (existsSync(path) && readdirSync(path).length === 0) rmSync(path, { recursive: true });
}

console.error(`built dist/mod.js and ${reached.size} declaration files`);
