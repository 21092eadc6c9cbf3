import { it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sockopts from "../mod.ts";
import { options } from "../mod.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const readme = readFileSync(join(root, "README.md"), "utf8");

it("README's All options table lists every option with the table's OSes and read-only flag", () => {
  const section = readme.slice(readme.indexOf("## All options"), readme.indexOf("## Connection statistics"));
  const rows = new Map<string, string[]>();
  for (const line of section.split("\n")) {
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

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
}

const headings = [...readme.matchAll(/^(#{1,6}) (.+)$/gm)].map((m) => ({ level: m[1].length, text: m[2] }));
const anchors = new Set(headings.map((h) => slug(h.text)));
const firstScreen = readme.split("\n").slice(0, 40).join("\n");

it("README's first screen says what sockopts is, shows the picture, the install lines and one example", () => {
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

it("README has exactly two set-up commands, early: the demo (npm start) and every test (npm test)", () => {
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1].trim());
  const setUp = blocks.filter((block) => /\bnpm (start|test)\b/.test(block));
  assert.deepEqual(setUp, ["npm ci && npm start\nnpm test"]);
  assert.ok(firstScreen.includes(setUp[0]), "the set-up commands are in the first 40 lines");
  const scripts = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts;
  assert.ok(scripts.start && scripts.test, "package.json has start and test scripts");
});

it("README's contents list links every section, and every link inside the README has a heading", () => {
  const contents = readme.slice(
    readme.indexOf("\n## Contents\n"),
    readme.indexOf("\n## ", readme.indexOf("\n## Contents\n") + 2),
  );
  for (const { text } of headings.filter((h) => h.level === 2 && h.text !== "Contents")) {
    assert.ok(contents.includes(`(#${slug(text)})`), `Contents links "## ${text}": add it there`);
  }
  for (const [, anchor] of readme.matchAll(/\]\(#([^)]+)\)/g)) {
    assert.ok(anchors.has(anchor), `link #${anchor} names a heading`);
  }
});
