/**
 * The README and docs/*.md, as a newcomer reads them: the README's shape (size, first screen,
 * two set-up commands, contents), links that lead somewhere, pages published where they are
 * linked, and every fenced code block either run here on the runtime it is written for, an
 * excerpt of a program the suite runs, checked by a named test, or marked as output or a fragment.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import * as sockopts from "../mod.ts";
import { options } from "../mod.ts";
import { type Block, blocks, docPaths, docText, section } from "./support/docs.ts";
import { root, run } from "./support/exec.ts";
import { runtimeName } from "./support/runtime.ts";

const readme = docText("README.md");
const pages = docPaths();

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
}

function anchorsOf(text: string): Set<string> {
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1])));
}

const headings = [...readme.matchAll(/^(#{1,6}) (.+)$/gm)].map((m) => ({ level: m[1].length, text: m[2] }));
const firstScreen = readme.split("\n").slice(0, 40).join("\n");

describe("the README's shape", () => {
  it("is at most 30 kB: internals, tables and proofs live in docs/", () => {
    const bytes = Buffer.byteLength(readme);
    assert.ok(bytes <= 30_000, `README.md is ${bytes} bytes`);
  });

  it("says on its first screen what sockopts is, shows the picture, the install lines and one example", () => {
    assert.match(firstScreen, /^# sockopts\n/);
    assert.match(firstScreen, /\*\*Deno\*\*, \*\*Bun\*\* and \*\*Node\.js 26\.9\+\*\*/);
    const picture = /!\[[^\]]+\]\(([^)]+\.svg)\)/.exec(firstScreen)?.[1];
    assert.ok(picture !== undefined, "an SVG picture in the first 40 lines");
    assert.match(readFileSync(join(root, picture), "utf8"), /^<svg /);
    const installs = ["deno add jsr:@sockopts/sockopts", "bun add sockopts", "bunx jsr add @sockopts/sockopts"];
    for (const line of [...installs, "npm install sockopts"]) {
      assert.ok(firstScreen.includes(`\`${line}\``), `install line ${line}`);
    }
    const example = /```ts\n([\s\S]*?)```/.exec(firstScreen)?.[1];
    assert.ok(example !== undefined, "a TypeScript example in the first 40 lines");
    const imported = /import \{ ([^}]+) \} from "@sockopts\/sockopts"/.exec(example)?.[1].split(", ") ?? [];
    assert.ok(imported.length > 0, "the example imports from @sockopts/sockopts");
    for (const name of imported) assert.ok(name.trim() in sockopts, `the example's ${name} is exported by mod.ts`);
  });

  it("has exactly two set-up commands, early: the demo (npm start) and every test (npm test)", () => {
    const sh = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1].trim());
    const setUp = sh.filter((block) => /\bnpm (start|test)\b/.test(block));
    assert.deepEqual(setUp, ["npm ci && npm start\nnpm test"]);
    assert.ok(firstScreen.includes(setUp[0]), "the set-up commands are in the first 40 lines");
    const scripts = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts;
    assert.ok(scripts.start && scripts.test, "package.json has start and test scripts");
    // The pinned runtimes are called through npx: nothing but Node and npm is assumed on PATH.
    for (const command of readme.matchAll(/`((?:deno|bun|node) [^`]*examples\/[^`]*)`/g)) {
      assert.fail(`${command[1]}: call the pinned runtime as npx ${command[1]}`);
    }
  });

  it("lists every section in its contents", () => {
    const contents = section(readme, "## Contents");
    for (const { text } of headings.filter((h) => h.level === 2 && h.text !== "Contents")) {
      assert.ok(contents.includes(`(#${slug(text)})`), `Contents links "## ${text}": add it there`);
    }
  });
});

describe("links and publishing", () => {
  it("every relative link in the README and docs/ names a file, and a heading there, that exist", () => {
    for (const page of pages) {
      const text = docText(page);
      for (const [, target] of text.matchAll(/\]\((?!https?:|mailto:)([^)\s]+)\)/g)) {
        const [file, anchor] = target.split("#");
        const path = file === "" ? page : normalize(join(dirname(page), file));
        assert.ok(existsSync(join(root, path)), `${page}: ${target} names ${path}, which does not exist`);
        if (anchor !== undefined && path.endsWith(".md")) {
          assert.ok(anchorsOf(docText(path)).has(anchor), `${page}: ${target}: no heading #${anchor} in ${path}`);
        }
      }
    }
  });

  it("the pages the README links are published with the package, on JSR and npm", () => {
    const deno = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    const linked = new Set([...readme.matchAll(/\]\((docs\/[^)#\s]+\.md)/g)].map((m) => m[1]));
    assert.ok(linked.size >= 5, `the README links its docs: ${[...linked]}`);
    for (const list of [deno.publish.include, pkg.files]) assert.ok(list.includes("docs/*.md"), JSON.stringify(list));
    for (const page of linked) assert.ok(pages.includes(page), page);
  });
});

it("the module doc (JSR's page, editors' hovers, dist/mod.d.ts) and docs/releasing.md agree: Deno, Bun and Node.js 26.9+", () => {
  const moduleDoc = (text: string) => text.slice(0, text.indexOf("@module"));
  const docs = [["mod.ts", moduleDoc(readFileSync(join(root, "mod.ts"), "utf8"))]];
  // dist/ is built by npm ci and npm test; its declarations carry the same module doc.
  const dts = join(root, "dist", "mod.d.ts");
  if (existsSync(dts)) docs.push(["dist/mod.d.ts", moduleDoc(readFileSync(dts, "utf8"))]);
  for (const [file, text] of docs) {
    assert.match(text, /Socket options for Deno, Bun and Node\.js 26\.9\+/, file);
    assert.doesNotMatch(text, /any other runtime \(Node/, `${file} does not call Node unsupported`);
  }
  const releasing = docText("docs/releasing.md");
  assert.match(releasing, /Deno, Bun\s+and Node\.js supported \(Node 26\.9 and later/);
});

it("docs/options.md's table lists every option with the table's OSes and read-only flag", () => {
  const page = docText("docs/options.md");
  const rows = new Map<string, string[]>();
  for (const line of section(page, "## The option table").split("\n")) {
    const cells = line.split("|").slice(1, -1).map((cell) => cell.trim());
    if (cells.length === 7 && /^[A-Z_]+$/.test(cells[0])) rows.set(cells[0], cells);
  }
  assert.deepEqual([...rows.keys()], Object.keys(options));
  for (const [name, info] of Object.entries(options)) {
    const [, , linux, darwin, freebsd, windows, readOnly] = rows.get(name)!;
    const shown = { linux, darwin, freebsd, windows };
    for (const os of ["linux", "darwin", "freebsd", "windows"] as const) {
      assert.equal(shown[os].startsWith("✅"), info.supportedOn.includes(os), `${name} on ${os}: ${shown[os]}`);
      assert.equal(shown[os].startsWith("❌"), !info.supportedOn.includes(os), `${name} on ${os}: ${shown[os]}`);
      const native = info.os[os]?.native;
      if (native !== undefined && native !== name) {
        assert.ok(shown[os].includes(`\`${native}\``), `${name} on ${os} names ${native}`);
      }
    }
    assert.equal(readOnly.startsWith("read-only"), info.readOnly, `${name} read-only`);
  }
});

const all = pages.flatMap((page) => blocks(page));
const where = (block: Block) => `${block.page}:${block.line}`;

describe("every code block in the README and docs/", () => {
  it("says what it is: run, an excerpt, checked by a named test, output, or a fragment and why", () => {
    for (const block of all) {
      assert.ok(block.kind !== undefined, `${where(block)}: put <!-- run: … -->, <!-- fragment: why --> … before it`);
      if (block.kind === "fragment" || block.kind === "output") assert.ok(block.detail !== "", `${where(block)}: why`);
    }
    assert.ok(all.filter((b) => b.kind === "run").length >= 8, "the quick starts and the docs' examples run");
  });

  it("an excerpt's lines are lines of its program, in order", () => {
    for (const block of all.filter((b) => b.kind === "excerpt")) {
      const program = readFileSync(join(root, block.detail), "utf8").split("\n").map((l) => l.trim());
      let at = 0;
      for (const line of block.code.split("\n").map((l) => l.trim()).filter((l) => l !== "")) {
        const found = program.indexOf(line, at);
        assert.ok(found >= 0, `${where(block)}: "${line}" is not in ${block.detail} (after line ${at})`);
        at = found + 1;
      }
    }
  });

  it("a block checked elsewhere names a test that reads this page", () => {
    for (const block of all.filter((b) => b.kind === "checked")) {
      const test = /^(tests\/\S+\.test\.ts)/.exec(block.detail)?.[1];
      assert.ok(test !== undefined && existsSync(join(root, test)), `${where(block)}: ${block.detail}`);
      const name = block.page === "README.md" ? "README" : block.page;
      assert.ok(readFileSync(join(root, test), "utf8").includes(name), `${test} reads ${block.page}`);
    }
  });
});

/** What `console.log(…); // X` promises, whitespace and trailing commas aside (Bun prints objects on many lines). */
function squeeze(text: string): string {
  return text.replace(/\s+/g, "").replace(/,([}\]])/g, "$1");
}

const scratch = join(root, ".cache", `readme-${runtimeName}`);

describe(`the README and docs/ blocks written for ${runtimeName} run as they are`, () => {
  after(() => rmSync(scratch, { recursive: true, force: true }));
  const mine = all.filter((b) => b.kind === "run" && b.detail.split(/[\s,]+/).includes(runtimeName));
  it(`there are some (${mine.length})`, () => assert.ok(mine.length >= 4));
  for (const block of mine) {
    it(`${where(block)} exits 0 and prints what its comments say`, { timeout: 60_000 }, async () => {
      // Inside the repository, so that "sockopts" and "@sockopts/sockopts" resolve as in a project.
      mkdirSync(scratch, { recursive: true });
      const file = join(
        scratch,
        `${block.page.replace(/\W/g, "_")}_${block.line}.${block.language === "js" ? "mjs" : "ts"}`,
      );
      writeFileSync(file, block.code);
      const args = runtimeName === "deno" ? ["run", "--allow-ffi", "--allow-net", file] : [file];
      const { stdout } = await run(process.execPath, args, { cwd: root, timeout: 30_000 });
      for (const [, expected] of block.code.matchAll(/console\.log\(.*\);\s*\/\/ (.+)$/gm)) {
        assert.ok(
          squeeze(stdout).includes(squeeze(expected)),
          `${where(block)} prints ${expected}\n--- got\n${stdout}`,
        );
      }
    });
  }
});
