/**
 * The npm package, checked from the outside: `npm pack` (which builds dist/ through `prepack`),
 * then fresh projects in a temporary directory that cannot see this repository install the
 * tarball with the README's own install lines and use it from Bun, from Deno, from a type-checked
 * Bun TypeScript project and from Node. Runs once, in the Deno test run.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { oldNodeBinary, root, run } from "./support/exec.ts";
import { isDeno } from "./support/runtime.ts";

const once: string | false = isDeno ? false : "runs once, in the Deno test run";
const fixtures = join(root, "tests", "fixtures", "package");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const readme = readFileSync(join(root, "README.md"), "utf8");
const flatReadme = readme.replace(/\s+/g, " ");

const MINUTE = 60_000;
const PROFILE = { enable: true, idle: 30_000, interval: 5_000, count: 3 };

/** The text of a README section, from its heading to the next heading of the same level. */
function section(heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README has a "${heading}" section`);
  const level = heading.split(" ")[0];
  const end = readme.indexOf(`\n${level} `, start + heading.length + 2);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The README's install and run lines for one runtime: its ```sh block and its "Run with `…`". */
function readmeLines(heading: string): { install: string; runLine: string } {
  const text = section(heading);
  const sh = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1].trim());
  assert.equal(sh.length, 1, `one sh block in "${heading}"`);
  const runLine = /Run with `([^`]+)`/.exec(text)?.[1];
  assert.ok(runLine !== undefined, `"${heading}" says what to run with`);
  return { install: sh[0], runLine };
}

/** A command line from the README, with the package name replaced by the packed tarball. */
function onTarball(line: string, tarball: string): string[] {
  const words = line.split(" ");
  assert.equal(words.at(-1), pkg.name, `"${line}" installs ${pkg.name}`);
  return [...words.slice(0, -1), `./${tarball}`];
}

function lastJson(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

/** Every .d.ts a declaration file reaches through its relative imports, itself included. */
function reachable(dir: string, entry: string): Set<string> {
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(join(dir, file), "utf8");
    for (const m of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*)"(\.{1,2}\/[^"]+)"/g)) {
      pending.push(
        relative(dir, resolve(dirname(join(dir, file)), m[1].replace(/\.js$/, ".d.ts"))).split(sep).join("/"),
      );
    }
  }
  return seen;
}

function files(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) => {
    const path = prefix === "" ? e.name : `${prefix}/${e.name}`;
    return e.isDirectory() ? files(dir, path) : [path];
  });
}

describe("the npm package, from the outside", { skip: once }, () => {
  let work = "";
  let tarball = "";
  let packed: string[] = [];

  /** A fresh project directory holding a copy of the tarball. */
  function project(name: string, packageJson: Record<string, unknown>): string {
    const dir = join(work, name);
    mkdirSync(dir);
    copyFileSync(join(work, tarball), join(dir, tarball));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, ...packageJson }, null, 2));
    return dir;
  }

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "sockopts-package-"));
    assert.ok(!resolve(work).startsWith(resolve(root) + sep), "the temporary projects live outside the repository");
    assert.ok(!resolve(root).startsWith(resolve(work) + sep));
    const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", work], {
      cwd: root,
      timeout: 2 * MINUTE,
    });
    const [result] = JSON.parse(stdout.slice(stdout.indexOf("[")));
    tarball = result.filename;
    packed = result.files.map((f: { path: string }) => f.path).sort();
    assert.equal(tarball, `${pkg.name}-${pkg.version}.tgz`);
    mkdirSync(join(work, "extracted"));
    await run("tar", ["-xzf", join(work, tarball), "-C", join(work, "extracted")], { cwd: work, timeout: MINUTE });
  });

  after(() => {
    if (work !== "") rmSync(work, { recursive: true, force: true });
  });

  it("ships exactly what its exports point at: the ESM bundle and the declarations it reaches", () => {
    const dir = join(work, "extracted", "package");
    assert.deepEqual(files(dir).sort(), packed);

    const entry = pkg.exports["."];
    assert.deepEqual(Object.keys(pkg.exports), ["."]);
    assert.equal(Object.keys(entry)[0], "types", "types comes first");
    assert.deepEqual(Object.keys(entry), ["types", "bun", "default"]);
    assert.equal(pkg.types, entry.types);
    const targets = [...new Set(Object.values(entry) as string[])].map((t) => t.replace(/^\.\//, ""));
    const declarations = reachable(dir, entry.types.replace(/^\.\//, ""));
    const expected = new Set(["package.json", "README.md", "LICENSE", ...targets, ...declarations]);
    assert.deepEqual(packed, [...expected].sort());
    for (const file of expected) assert.ok(existsSync(join(dir, file)), `${file} is in the tarball`);
  });

  it("declarations name no runtime's globals, reference no type packages and import .js paths", () => {
    const dir = join(work, "extracted", "package");
    for (const file of packed.filter((f) => f.endsWith(".d.ts"))) {
      const text = readFileSync(join(dir, file), "utf8");
      const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
      assert.doesNotMatch(code, /\b(Deno|Bun|NodeJS)\b/, `${file} names no runtime's globals outside comments`);
      assert.doesNotMatch(text, /\/\/\/\s*<reference/, `${file} has no reference directives`);
      assert.doesNotMatch(code, /"\.{1,2}\/[^"]+\.ts"/, `${file} imports no .ts paths`);
      assert.doesNotMatch(text, /jsr:/, `${file}'s examples import the npm package`);
    }
    const bundle = readFileSync(join(dir, "dist", "mod.js"), "utf8");
    assert.doesNotMatch(bundle, /^\s*import\s.*from\s+"bun:ffi"/m, "bun:ffi is loaded lazily, never imported");
    assert.match(bundle, /import\.meta\.require\("bun:ffi"\)/);
    assert.match(bundle, /^export\s*\{/m, "the bundle is ESM");
  });

  it("Bun: the README's install line on the tarball, then a script configures a loopback socket", async () => {
    const { install, runLine } = readmeLines("## Quick start: Bun");
    assert.equal(install, "bun add sockopts");
    assert.equal(runLine, "bun app.ts");
    assert.ok(flatReadme.includes(`\`bun add ./${tarball}\` then \`${runLine}\``), "README says what the test runs");
    const dir = project("bun-app", {});
    const [command, ...args] = onTarball(install, tarball);
    await run(command, args, { cwd: dir, timeout: 2 * MINUTE });
    assert.ok(existsSync(join(dir, "node_modules", "sockopts", "dist", "mod.js")));
    copyFileSync(join(fixtures, "bun_app.ts"), join(dir, "app.ts"));
    const [bun, ...rest] = runLine.split(" ");
    const { stdout } = await run(bun, rest, { cwd: dir, timeout: MINUTE });
    const result = lastJson(stdout);
    assert.match(String(result.runtime), /^bun /);
    assert.deepEqual(result.keepAlive, PROFILE);
    assert.equal(result.userTimeout, 45_000);
    assert.equal(result.state, "ESTABLISHED");
  });

  it("Deno: the README's npm install line on the tarball, then deno run --allow-ffi from node_modules", async () => {
    const { install, runLine } = readmeLines("## Quick start: Deno");
    assert.equal(install, "npm install sockopts");
    assert.equal(runLine, "deno run --allow-ffi --allow-net app.ts");
    assert.ok(
      flatReadme.includes(`\`npm install ./${tarball}\` then \`${runLine}\``),
      "README says what the test runs",
    );
    const dir = project("deno-app", { type: "module" });
    const [command, ...args] = onTarball(install, tarball);
    await run(command, args, {
      cwd: dir,
      timeout: 2 * MINUTE,
      env: { npm_config_audit: "false", npm_config_fund: "false" },
    });
    assert.ok(existsSync(join(dir, "node_modules", "sockopts", "dist", "mod.js")));
    copyFileSync(join(fixtures, "deno_app.ts"), join(dir, "app.ts"));
    const [deno, ...rest] = runLine.split(" ");
    const { stdout } = await run(deno, rest, { cwd: dir, timeout: MINUTE });
    const result = lastJson(stdout);
    assert.match(String(result.runtime), /^deno /);
    assert.deepEqual(result.keepAlive, PROFILE);
    assert.equal(result.userTimeout, 45_000);
    assert.equal(result.state, "ESTABLISHED");
  });

  it("a Bun TypeScript project with @types/bun type-checks (tsc --noEmit) and runs an example using every export", async () => {
    const dir = project("bun-types", { type: "module" });
    await run("bun", ["add", `./${tarball}`], { cwd: dir, timeout: 2 * MINUTE });
    const dev = pkg.devDependencies;
    await run("bun", ["add", "-d", `@types/bun@${dev["@types/bun"]}`, `typescript@${dev.typescript}`], {
      cwd: dir,
      timeout: 3 * MINUTE,
    });
    // The example, without the reference line that serves `deno check` in this repository.
    const example = readFileSync(join(fixtures, "types_example.ts"), "utf8").replace(
      /^\/\/\/ <reference types=.*\n/,
      "",
    );
    writeFileSync(join(dir, "example.ts"), example);

    // Every export of mod.ts appears in the example.
    const { stdout: doc } = await run("deno", ["doc", "--json", "mod.ts"], { cwd: root, timeout: MINUTE });
    const names: string[] = (Object.values(JSON.parse(doc).nodes)[0] as { symbols: { name: string }[] }).symbols
      .map((s) => s.name);
    assert.ok(names.length > 40);
    for (const name of names) assert.match(example, new RegExp(`\\b${name}\\b`), `the example uses ${name}`);

    // Bun's recommended tsconfig (bun init), with skipLibCheck off so the shipped .d.ts are checked too;
    // then the same under Node's ESM resolution (NodeNext), as a Node-style TypeScript project resolves it.
    const base = {
      lib: ["ESNext"],
      target: "ESNext",
      moduleDetection: "force",
      allowJs: true,
      verbatimModuleSyntax: true,
      noEmit: true,
      strict: true,
      skipLibCheck: false,
      noFallthroughCasesInSwitch: true,
      noUncheckedIndexedAccess: true,
      noImplicitOverride: true,
      types: ["bun"],
    };
    const configs = {
      "tsconfig.json": { ...base, module: "Preserve", moduleResolution: "bundler", allowImportingTsExtensions: true },
      "tsconfig.nodenext.json": { ...base, module: "NodeNext", moduleResolution: "NodeNext" },
    };
    for (const [file, compilerOptions] of Object.entries(configs)) {
      writeFileSync(join(dir, file), JSON.stringify({ compilerOptions, files: ["example.ts"] }, null, 2));
      await run(join(dir, "node_modules", ".bin", "tsc"), ["--noEmit", "-p", file], { cwd: dir, timeout: 2 * MINUTE });
    }

    const { stdout } = await run("bun", ["example.ts"], { cwd: dir, timeout: MINUTE });
    const result = lastJson(stdout);
    assert.deepEqual(result.keepAlive, { enable: true, idle: 30_000, interval: 4_000, count: 4 });
    assert.equal(result.userTimeout, 45_000);
    assert.equal(result.state, "ESTABLISHED");
    assert.equal(result.code, "EBADF");
    assert.deepEqual(result.refused, ["TypeError", "TypeError", "TypeError"]);
    assert.deepEqual(result.changed, [{
      keepAlive: { enable: true, idle: 20_000, interval: 4_000, count: 5 },
      userTimeout: 30_000,
    }]);
  });

  it("imports under Node older than 26, where isSupported() is false and every call throws UnsupportedError naming Deno, Bun and Node 26.9", async (t) => {
    // The machine's own Node: the pinned Node 26 first on the test PATH runs sockopts (tests/package_node.test.ts).
    const oldNode = oldNodeBinary();
    if (oldNode === undefined) {
      console.warn("!!! package: SKIPPED the Node < 26 import test: no Node older than 26 on this machine !!!");
      return t.skip("no Node older than 26");
    }
    const dir = project("node-app", { type: "module" });
    await run("npm", ["install", `./${tarball}`], {
      cwd: dir,
      timeout: 2 * MINUTE,
      env: { npm_config_audit: "false", npm_config_fund: "false" },
    });
    copyFileSync(join(fixtures, "node_import.mjs"), join(dir, "node_import.mjs"));
    const { stdout } = await run(oldNode, ["node_import.mjs"], { cwd: dir, timeout: MINUTE });
    const { node, results } = lastJson(stdout) as {
      node: string;
      results: Record<
        string,
        {
          kind: string;
          returned?: unknown;
          threw?: string;
          unsupported?: boolean;
          message?: string;
          missingArgs?: boolean;
        }
      >;
    };
    assert.match(node, /^v\d+\./);
    let functions = 0;
    for (const [name, r] of Object.entries(results)) {
      if (r.kind !== "function") continue;
      assert.ok(!r.missingArgs, `tests/fixtures/package/node_import.mjs has arguments for ${name}`);
      if (name === "isSupported") {
        assert.equal(r.returned, false);
        continue;
      }
      if (name === "deadPeerPlan") {
        // Arithmetic only: the same answer everywhere.
        assert.deepEqual(r.returned, { idle: 28_000, interval: 4_000, count: 3, userTimeout: 40_000 });
        continue;
      }
      functions++;
      assert.equal(r.unsupported, true, `${name} throws UnsupportedError under Node ${node}: ${JSON.stringify(r)}`);
      assert.match(r.message!, /^Unsupported runtime: .*\bDeno\b.*\bBun\b.*Node\.js 26\.9\b/, name);
      assert.match(r.message!, new RegExp(`Node\\.js ${node.slice(1).replaceAll(".", "\\.")}`), name);
    }
    assert.ok(functions >= 16, `${functions} functions called`);
    assert.equal(results.options.kind, "object");
    assert.equal(results.UnsupportedError.kind, "class");
  });
});
