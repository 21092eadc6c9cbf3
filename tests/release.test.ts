/**
 * Ready to release: package metadata, the JSR config and CHANGELOG.md agree on the version, and
 * the release workflow tests before it publishes to JSR and npm with provenance.
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const read = (path: string) => readFileSync(join(root, path), "utf8");
const pkg = JSON.parse(read("package.json"));
const deno = JSON.parse(read("deno.json"));
const workflow = read(".github/workflows/release.yml");

it("package.json, deno.json and the top CHANGELOG entry name one version", () => {
  const top = /^## \[(\d+\.\d+\.\d+[^\]]*)\]/m.exec(read("CHANGELOG.md"))?.[1];
  assert.ok(top !== undefined, "CHANGELOG.md has a ## [X.Y.Z] entry");
  assert.match(pkg.version, /^\d+\.\d+\.\d+/);
  assert.equal(deno.version, pkg.version, "deno.json");
  assert.equal(top, pkg.version, "CHANGELOG.md's top entry");
});

it("package.json names the repository, homepage, issue tracker and engines", () => {
  const repo = /^git\+(https:\/\/github\.com\/[\w.-]+\/[\w.-]+)\.git$/.exec(pkg.repository?.url)?.[1];
  assert.ok(repo !== undefined, `repository.url is a GitHub git URL: ${pkg.repository?.url}`);
  assert.equal(pkg.repository.type, "git");
  assert.equal(pkg.homepage, `${repo}#readme`);
  assert.equal(pkg.bugs?.url, `${repo}/issues`);
  for (const runtime of ["deno", "bun"]) {
    const pinned = pkg.devDependencies[runtime];
    assert.equal(pkg.engines?.[runtime], `>=${pinned}`, `engines.${runtime}: the version the suite runs`);
  }
  // Node's floor is the first release with node:ffi unflagged, the one the README names, not the
  // newer Node the suite runs on.
  const nodeFloor = /^\| Node\.js (\d+)\.(\d+)\+ \|/m.exec(read("README.md"));
  assert.ok(nodeFloor !== null, "the README's install table names the Node.js it needs");
  assert.equal(pkg.engines?.node, `>=${nodeFloor[1]}.${nodeFloor[2]}.0`, "engines.node: the README's Node.js");
  const [major, minor] = String(pkg.devDependencies.node).split(".").map(Number);
  assert.ok(major > Number(nodeFloor[1]) || (major === Number(nodeFloor[1]) && minor >= Number(nodeFloor[2])));
  assert.ok(pkg.description.length > 0 && pkg.description.length <= 250, "a description JSR can take too");
  assert.match(pkg.description, /\bDeno, Bun and Node\b/, "the description names every runtime");
  for (const keyword of ["deno", "bun", "node", "node-ffi"]) assert.ok(pkg.keywords.includes(keyword), keyword);
});

it("the release workflow runs the tests on a version tag (Linux, real Windows, a real Mac), then publishes to JSR and npm with provenance", () => {
  assert.match(workflow, /on:\n\s+push:\n\s+tags: \["v\*\.\*\.\*"\]/);
  const [test, publish] = workflow.split(/\n {2}publish:\n/);
  assert.ok(publish !== undefined, "a publish job");
  assert.match(test, /\.ci\/run|npm test/, "the test job runs the suite");
  assert.match(test, /GITHUB_REF_NAME.*package\.json/, "the tag must name package.json's version");
  assert.match(publish, /needs: \[test, windows, macos\]/, "publishing waits for the tests, on every OS");
  assert.match(publish, /if: startsWith\(github\.ref, 'refs\/tags\/v'\)/, "a run by hand publishes nothing");
  assert.match(test, /\n {2}windows:\n {4}runs-on: windows-latest\n[\s\S]*scripts\/test_windows\.ts/);
  assert.match(test, /\n {2}macos:\n {4}runs-on: macos-latest\n[\s\S]*npm run test:quick/);
  assert.match(publish, /permissions:\n(\s+(#.*|[\w-]+: \w+)\n)*\s+id-token: write/, "OIDC token for provenance");
  assert.match(publish, /run: npx deno publish\n/);
  assert.match(publish, /run: npm publish --provenance/);
  assert.doesNotMatch(workflow, /id-token: write[\s\S]*\n {2}test:/, "only the publish job gets the OIDC token");
});

it("what JSR's score counts and the repository can hold: README, module doc with an example, license", () => {
  assert.equal(deno.name, "@sockopts/sockopts");
  assert.deepEqual(
    deno.exports,
    { ".": "./mod.ts", "./cli": "./src/cli/main.ts", "./net-keepalive": "./src/compat/net_keepalive.ts" },
    "the library, the command, and net-keepalive's API",
  );
  for (const file of ["README.md", "LICENSE", "mod.ts"]) assert.ok(deno.publish.include.includes(file), file);
  const moduleDoc = /^\/\*\*([\s\S]*?)\*\//.exec(read("mod.ts"))?.[1] ?? "";
  assert.match(moduleDoc, /@module/);
  assert.match(moduleDoc, /@example .+\n\s*\* ```ts/);
  // The README's picture travels with the JSR package, which renders relative image links.
  for (const [, image] of read("README.md").matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)) {
    assert.ok(deno.publish.include.includes(image), `${image} is published to JSR`);
  }
});
