/**
 * The README and docs/*.md as the tests read them: their text, their sections, and their fenced
 * code blocks with the marker comment before each (`<!-- run: deno bun node -->`,
 * `<!-- excerpt: examples/… -->`, `<!-- checked by tests/… -->`, `<!-- output: … -->`,
 * `<!-- fragment: … -->`), which tests/readme.test.ts requires and acts on.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./exec.ts";

/** The README and every page in docs/, by path from the repository's root. */
export function docPaths(): string[] {
  const pages = readdirSync(join(root, "docs")).filter((name) => name.endsWith(".md")).sort();
  return ["README.md", ...pages.map((name) => `docs/${name}`)];
}

/** A page's text. */
export function docText(path: string): string {
  return readFileSync(join(root, path), "utf8");
}

/**
 * The text of a section, from its heading line to the next heading of the same level or higher.
 * @param text The page.
 * @param heading The whole heading line, such as `## Quick start: Bun`.
 */
export function section(text: string, heading: string): string {
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no "${heading}" section`);
  const level = heading.split(" ")[0].length;
  const rest = text.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`^#{1,${level}} `, "m"));
  return text.slice(start, start + heading.length + 2 + (end < 0 ? rest.length : end));
}

/** One fenced code block. */
export interface Block {
  /** The page it is on. */
  readonly page: string;
  /** Its opening fence's line number (1-based). */
  readonly line: number;
  /** The fence's language (`ts`, `js`, `sh`, or `` for none). */
  readonly language: string;
  /** The marker comment's kind, or undefined when the line before the fence is none. */
  readonly kind?: "run" | "excerpt" | "checked" | "output" | "fragment";
  /** What follows the kind: the runtimes, the program, the test and why. */
  readonly detail: string;
  /** The block's text, with a newline after each line. */
  readonly code: string;
}

// `<!-- run: deno bun node -->`, `<!-- fragment: why -->`, `<!-- checked by tests/x.test.ts: how -->`.
const MARKER = /^<!-- (run|excerpt|output|fragment|checked by)(?::? ([\s\S]*?))?\s*-->$/;

/** Every fenced block of a page (in the order they appear), with its marker. */
export function blocks(page: string, text = docText(page)): Block[] {
  const lines = text.split("\n");
  const found: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (open === null) continue;
    const end = lines.findIndex((line, j) => j > i && line === "```");
    if (end < 0) throw new Error(`${page}:${i + 1}: a fence that is never closed`);
    const marker = MARKER.exec(lines[i - 1] ?? "");
    found.push({
      page,
      line: i + 1,
      language: open[1],
      kind: marker === null ? undefined : marker[1] === "checked by" ? "checked" : marker[1] as Block["kind"],
      detail: marker?.[2] ?? "",
      code: lines.slice(i + 1, end).map((line) => `${line}\n`).join(""),
    });
    i = end;
  }
  return found;
}
