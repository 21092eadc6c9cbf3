/**
 * The npm package under Node 26 (the pinned devDependency, first on the tests' PATH): `npm pack`,
 * then fresh projects outside the repository install the tarball with `npm install` and use it
 * through `import` (an ES module project, with the README's install and run lines) and through
 * `require()` (a CommonJS project running docs/migrating.md's net-keepalive example), net-keepalive's
 * own test suite and tsd against `sockopts/net-keepalive`, and a CommonJS TypeScript project
 * (`module: node16`) using both entries. Runs once, in the Node test run.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve, sep } from "node:path";
import { root, run } from "./support/exec.ts";
import { isNode } from "./support/runtime.ts";
import { netKeepAliveSandbox, noTcpdump, runNetKeepAliveSuite } from "./support/net_keepalive.ts";

const once: string | false = isNode ? false : "runs once, in the Node test run";
const fixtures = join(root, "tests", "fixtures", "package");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const readme = readFileSync(join(root, "README.md"), "utf8");
const migrating = readFileSync(join(root, "docs", "migrating.md"), "utf8");
const MINUTE = 60_000;

/** The text of a README section, from its heading to the next heading of the same level or higher. */
function section(heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README has a "${heading}" section`);
  const rest = readme.slice(start + heading.length + 2);
  const end = rest.search(/^#{1,3} /m);
  return end < 0 ? rest : rest.slice(0, end);
}

function blocks(text: string, language: string): string[] {
  return [...text.matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]);
}

function lastJson(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

describe("the npm package under Node 26, from the outside", { skip: once }, () => {
  let work = "";
  let tarball = "";

  async function project(name: string, type: "module" | "commonjs", app: string, as: string): Promise<string> {
    const dir = join(work, name);
    mkdirSync(dir);
    copyFileSync(join(work, tarball), join(dir, tarball));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, type }, null, 2));
    const install = blocks(section("## Quick start: Node.js"), "sh");
    assert.deepEqual(install, ["npm install sockopts\n"], "the README's Node install line");
    await run("npm", ["install", `./${tarball}`], {
      cwd: dir,
      timeout: 2 * MINUTE,
      env: { npm_config_audit: "false", npm_config_fund: "false" },
    });
    writeFileSync(join(dir, as), app);
    return dir;
  }

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "sockopts-package-node-"));
    assert.ok(!resolve(work).startsWith(resolve(root) + sep), "the temporary projects live outside the repository");
    const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", work], {
      cwd: root,
      timeout: 2 * MINUTE,
    });
    tarball = JSON.parse(stdout.slice(stdout.indexOf("[")))[0].filename;
    assert.equal(tarball, `${pkg.name}-${pkg.version}.tgz`);
  });

  after(() => {
    if (work !== "") rmSync(work, { recursive: true, force: true });
  });

  it("import: configures a real connection, with no ExperimentalWarning in the log", async () => {
    assert.match(section("## Quick start: Node.js"), /Run with `node app\.mjs`/);
    const app = readFileSync(join(fixtures, "node_app.mjs"), "utf8");
    const dir = await project("node-esm", "module", app, "app.mjs");
    copyFileSync(join(fixtures, "report.mjs"), join(dir, "report.mjs"));
    const { stdout, stderr } = await run("node", ["app.mjs"], { cwd: dir, timeout: MINUTE });
    const result = lastJson(stdout);
    assert.match(String(result.runtime), /^node 26\./);
    assert.deepEqual(result.keepAlive, { enable: true, idle: 30_000, interval: 5_000, count: 3 });
    assert.equal(result.userTimeout, 45_000);
    assert.equal(result.state, "ESTABLISHED");
    assert.doesNotMatch(stderr, /ExperimentalWarning/);

    // The command from the same install, as the README runs it: npx sockopts.
    const server = net.createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const ls = await run("npx", [
        "sockopts",
        "ls",
        "--pid",
        String(process.pid),
        "--local-port",
        String(port),
        "--json",
      ], {
        cwd: dir,
        timeout: MINUTE,
      });
      const listed = JSON.parse(ls.stdout);
      assert.equal(listed.pid, process.pid);
      assert.deepEqual(listed.sockets.map((s: { local: string; state: string }) => [s.local, s.state]), [
        [`127.0.0.1:${port}`, "LISTEN"],
      ]);
      assert.doesNotMatch(ls.stderr, /Warning/);
    } finally {
      server.close();
    }
  });

  it('require(): docs/migrating.md\'s net-keepalive example runs with require("sockopts/net-keepalive")', async () => {
    const [example] = blocks(migrating, "js");
    assert.match(example, /require\("sockopts\/net-keepalive"\); \/\/ was: require\("net-keepalive"\)/);
    const dir = await project("node-cjs", "commonjs", example, "app.js");
    const { stdout, stderr } = await run("node", ["app.js"], { cwd: dir, timeout: MINUTE });
    assert.equal(stdout.trim(), "true 1000 1 2500");
    // require() of an ES module prints no warning of its own on Node 26, and node:ffi's is filtered.
    assert.doesNotMatch(stderr, /Warning/);
  });

  it(
    "net-keepalive's own unit, integration and tsd tests pass against the packed sockopts/net-keepalive",
    { skip: netKeepAliveSandbox, timeout: 5 * MINUTE },
    async () => {
      const dir = await project("net-keepalive-suite", "commonjs", "", "unused.js");
      const copy = join(root, "tests", "fixtures", "net_keepalive");
      cpSync(copy, dir, { recursive: true });
      // mocha, should and tsd from the repository's pinned devDependencies, as the suite's own
      // devDependencies would be installed; @types/node for the declarations' `net` Socket.
      for (const name of ["mocha", "should", "tsd", "@types/node"]) {
        mkdirSync(dirname(join(dir, "node_modules", name)), { recursive: true });
        symlinkSync(join(root, "node_modules", name), join(dir, "node_modules", name));
      }
      const dirs = noTcpdump ? ["test/unit"] : ["test/unit", "test/integration"];
      if (noTcpdump) console.log(`!!! net-keepalive's integration test: SKIPPED, ${noTcpdump} !!!`);
      const result = await runNetKeepAliveSuite(process.execPath, dir, dirs, "sockopts/net-keepalive");
      assert.equal(result.failing, 0, result.output);
      assert.equal(result.passing, noTcpdump ? 15 : 16, result.output);
      if (!noTcpdump) assert.match(result.output, /^10 packets captured$/m, result.output);
      // tsd: index.test-d.ts against the package's declarations, in a CommonJS TypeScript project
      // (module: node16, the fixture's package.json): every setter is `boolean`.
      await run("node", [join(root, "node_modules", "tsd", "dist", "cli.js")], { cwd: dir, timeout: 2 * MINUTE });
    },
  );

  it("a CommonJS TypeScript project (module: node16) type-checks and runs both entries", async () => {
    const dir = await project("node-cjs-ts", "commonjs", readFileSync(join(fixtures, "cjs_app.ts"), "utf8"), "app.ts");
    mkdirSync(join(dir, "node_modules", "@types"), { recursive: true });
    symlinkSync(join(root, "node_modules", "@types", "node"), join(dir, "node_modules", "@types", "node"));
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "node16",
          moduleResolution: "node16",
          target: "es2022",
          strict: true,
          esModuleInterop: true,
          skipLibCheck: false,
          types: ["node"],
          outDir: "out",
        },
        files: ["app.ts"],
      }),
    );
    // No TS1479 / TS1471: require() of the package resolves to its CommonJS declarations.
    await run(join(root, "node_modules", ".bin", "tsc"), ["-p", "."], { cwd: dir, timeout: 2 * MINUTE });
    const compiled = readFileSync(join(dir, "out", "app.js"), "utf8");
    assert.match(compiled, /require\("sockopts"\)/, "compiled to require()");
    const { stdout } = await run("node", ["out/app.js"], { cwd: dir, timeout: MINUTE });
    assert.deepEqual(lastJson(stdout), {
      keepAlive: { enable: true, idle: 30_000, interval: 5_000, count: 3 },
      netKeepAlive: [true, 4, 7],
      sameInstance: true,
    });
  });
});
