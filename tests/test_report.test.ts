/**
 * scripts/test.ts counts and shows failures from each runtime's JUnit report. The fixtures are
 * real reports of tests/fixtures/junit/source.ts (one pass, one failure and one skip inside a
 * describe, one top-level pass) from `deno test --junit-path`, `bun test --reporter=junit` and
 * `node --test --test-reporter=junit`.
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseJUnit } from "../scripts/test_report.ts";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "junit");

for (const runtime of ["deno", "bun", "node"]) {
  it(`${runtime}'s JUnit report: leaf tests counted once, the failure named and shown in full`, () => {
    const tally = parseJUnit(readFileSync(join(fixtures, `${runtime}.xml`), "utf8"));
    assert.deepEqual([tally.passed, tally.failed, tally.skipped], [2, 1, 1]);
    assert.equal(tally.failures.length, 1);
    assert.match(tally.failures[0].name, /fails$/);
    assert.match(tally.failures[0].text, /one is not two\n\n1 !== 2/);
    assert.match(tally.failures[0].text, /x\.test\.(ts|mjs):5:30/, "with the stack");
    // The skipped test is named; Node's report alone carries the reason.
    assert.equal(tally.skips.length, 1);
    assert.match(tally.skips[0].name, /^(group > )?skipped$/);
    assert.equal(tally.skips[0].reason, runtime === "node" ? "why" : undefined);
  });
}

it("a describe that fails in a hook, with no failing test of its own, counts as one failure", () => {
  const xml = `<testsuites><testsuite name="f">
    <testcase name="group" classname="./f.test.ts"><failure message="before hook threw">before hook threw</failure></testcase>
    <testcase name="group &gt; passes" classname="ext:deno_node/testing.ts"></testcase>
  </testsuite></testsuites>`;
  const tally = parseJUnit(xml);
  assert.deepEqual([tally.passed, tally.failed], [1, 1]);
  assert.equal(tally.failures[0].text, "before hook threw");
});

it("a name with a bare `>`, as Node's reporter writes it, ends neither that case nor swallows the next", () => {
  const xml = `<testsuites>
    <testcase name="works with --allow-ffi=&lt;path> and reads denied" classname="loading" file="a.test.ts"/>
    <testcase name="second" classname="loading" file="a.test.ts"/>
    <testcase name="third" classname="loading" file="a.test.ts"><skipped type="skipped" message="no nft"/></testcase>
  </testsuites>`;
  const tally = parseJUnit(xml);
  assert.deepEqual([tally.passed, tally.failed, tally.skipped], [2, 0, 1]);
  assert.deepEqual(tally.skips, [{ name: "loading > third", reason: "no nft" }]);
});
