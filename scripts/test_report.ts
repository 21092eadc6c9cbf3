/**
 * Reads the JUnit reports of `deno test --junit-path`, `bun test --reporter=junit` and
 * `node --test --test-reporter=junit` into one tally of leaf tests.
 */

/** One failing test, named as its report names it, with the failure text in full. */
export interface Failure {
  readonly name: string;
  readonly text: string;
}

/** One skipped test, named as its report names it, with the reason where the report gives one (Node's). */
export interface Skip {
  readonly name: string;
  readonly reason?: string;
}

/** Leaf tests by outcome, every failure, and every skipped test by name. */
export interface Tally {
  passed: number;
  failed: number;
  skipped: number;
  failures: Failure[];
  skips: Skip[];
}

function unescape(text: string): string {
  return text.replace(/&#10;/g, "\n").replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)))
    .replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/**
 * Counts leaf tests. Bun and Node report a `describe` as a `<testsuite>`; Deno reports it as a
 * `<testcase>` too and its tests (steps) as `parent > name`, so a case that is the parent of
 * another is not counted, unless it failed with no failing step of its own (a failing hook).
 *
 * @param xml The JUnit report.
 * @returns The tally.
 */
export function parseJUnit(xml: string): Tally {
  // Attributes are read quote by quote: Node's reporter escapes `<` in a name but writes `>` as
  // is ("--allow-ffi=&lt;path>"), and a `>` taken for the tag's end swallowed every case up to
  // the next `</testcase>` (Node's count fell from 222 leaf tests to 154).
  const cases = [...xml.matchAll(/<testcase\b((?:[^>"]|"[^"]*")*?)(\/>|>([\s\S]*?)<\/testcase>)/g)].map((m) => {
    const name = unescape(/\bname="([^"]*)"/.exec(m[1])?.[1] ?? "");
    const classname = unescape(/\bclassname="([^"]*)"/.exec(m[1])?.[1] ?? "");
    const body = m[3] ?? "";
    const failure = /<(failure|error)\b([^>]*?)(?:\/>|>([\s\S]*?)<\/\1>)/.exec(body);
    const skip = /<skipped\b((?:[^>"]|"[^"]*")*?)\/?>/.exec(body);
    const reason = skip === null ? undefined : unescape(/\bmessage="([^"]*)"/.exec(skip[1])?.[1] ?? "");
    const message = failure ? unescape(/\bmessage="([^"]*)"/.exec(failure[2])?.[1] ?? "") : "";
    return {
      name: classname && classname !== "test" && !classname.startsWith("ext:") && !name.startsWith(classname)
        ? `${classname} > ${name}`
        : name,
      bare: name,
      failed: failure !== null,
      text: failure ? unescape(failure[3] ?? "") || message : "",
      skipped: skip !== null,
      reason: reason === "" || reason === "true" ? undefined : reason,
    };
  });
  const tally: Tally = { passed: 0, failed: 0, skipped: 0, failures: [], skips: [] };
  for (const c of cases) {
    const children = cases.filter((other) => other.bare.startsWith(`${c.bare} > `));
    if (children.length > 0 && !(c.failed && !children.some((child) => child.failed))) continue;
    if (c.failed) {
      tally.failed++;
      tally.failures.push({ name: c.name, text: c.text });
    } else if (c.skipped) {
      tally.skipped++;
      tally.skips.push(c.reason === undefined ? { name: c.name } : { name: c.name, reason: c.reason });
    } else tally.passed++;
  }
  return tally;
}
