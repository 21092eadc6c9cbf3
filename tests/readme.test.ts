import { it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { options } from "../mod.ts";

const readme = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "..", "README.md"), "utf8");

it("README's All options table lists every option with the table's OSes and read-only flag", () => {
  const section = readme.slice(readme.indexOf("## All options"), readme.indexOf("## Connection statistics"));
  const rows = new Map<string, string[]>();
  for (const line of section.split("\n")) {
    const cells = line.split("|").slice(1, -1).map((cell) => cell.trim());
    if (cells.length === 6 && /^[A-Z_]+$/.test(cells[0])) rows.set(cells[0], cells);
  }
  assert.deepEqual([...rows.keys()], Object.keys(options));
  for (const [name, info] of Object.entries(options)) {
    const [, , linux, darwin, freebsd, readOnly] = rows.get(name)!;
    const shown = { linux, darwin, freebsd };
    for (const os of ["linux", "darwin", "freebsd"] as const) {
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
