/**
 * The JSR package: what `deno publish` would upload passes its checks with no slow types, every
 * entry point's documentation lints clean, every export is documented with `@param`, `@returns`
 * and a titled `@example`, and every `@example` type-checks and runs. Runs in the Deno test run.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { root, run } from "./support/exec.ts";
import { isDeno } from "./support/runtime.ts";

const once: string | false = isDeno ? false : "runs once, in the Deno test run";
const MINUTE = 60_000;
const config = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
const entryPoints: string[] = typeof config.exports === "string" ? [config.exports] : Object.values(config.exports);

interface Tag {
  readonly kind: string;
  readonly name?: string;
  readonly doc?: string;
}
interface Param {
  readonly kind: string;
  readonly name?: string;
  readonly left?: Param;
  readonly arg?: Param;
}
interface Declaration {
  readonly kind: string;
  readonly jsDoc?: { readonly doc?: string; readonly tags?: readonly Tag[] };
  readonly def?: {
    readonly hasBody?: boolean;
    readonly params?: readonly Param[];
    readonly constructors?: readonly { readonly jsDoc?: Declaration["jsDoc"]; readonly params: readonly Param[] }[];
  };
}

function paramName(param: Param): string | undefined {
  if (param.kind === "assign") return paramName(param.left!);
  if (param.kind === "rest") return paramName(param.arg!);
  return param.name;
}

/** What an exported declaration's documentation lacks. */
function missing(declaration: Declaration): string[] {
  const doc = declaration.jsDoc;
  const tags = doc?.tags ?? [];
  const gaps: string[] = [];
  if (!doc?.doc?.trim()) gaps.push("a description");
  const examples = tags.filter((t) => t.kind === "example");
  if (examples.length === 0) gaps.push("an @example");
  if (examples.some((t) => !t.doc || t.doc.trimStart().startsWith("```"))) gaps.push("a title on every @example");
  const params = (list: readonly Param[], tagged: readonly Tag[], where: string) => {
    for (const p of list) {
      const name = paramName(p);
      if (!tagged.some((t) => t.kind === "param" && t.name === name && t.doc?.trim())) {
        gaps.push(`@param ${name}${where}`);
      }
    }
  };
  if (declaration.kind === "function") {
    params(declaration.def?.params ?? [], tags, "");
    if (!tags.some((t) => t.kind === "return" && t.doc?.trim())) gaps.push("@returns");
  }
  for (const constructor of declaration.def?.constructors ?? []) {
    if (!constructor.jsDoc?.doc?.trim()) gaps.push("a constructor description");
    params(constructor.params, constructor.jsDoc?.tags ?? [], " (constructor)");
  }
  return gaps;
}

describe("the JSR package", { skip: once }, () => {
  it("deno publish --dry-run passes, with no slow types", async () => {
    const { stdout, stderr } = await run("deno", ["publish", "--dry-run", "--allow-dirty"], {
      cwd: root,
      timeout: 3 * MINUTE,
    });
    const output = stdout + stderr;
    assert.match(output, /Checking for slow types in the public API/);
    assert.match(output, /Success Dry run complete/);
    assert.doesNotMatch(output, /warning/i);
    for (const file of ["mod.ts", "README.md", "LICENSE", "src/options/keepalive.ts"]) {
      assert.match(output, new RegExp(file));
    }
    assert.doesNotMatch(output, /\/tests\/|\/examples\/|\/scripts\//, "only the library is published");
  });

  for (const entry of entryPoints) {
    it(`deno doc --lint ${entry} reports nothing`, async () => {
      const { stdout, stderr } = await run("deno", ["doc", "--lint", entry], { cwd: root, timeout: MINUTE });
      assert.doesNotMatch(stdout + stderr, /error|warning/i);
    });

    it(`every export of ${entry} has a description, @param, @returns and a titled @example`, async () => {
      const { stdout } = await run("deno", ["doc", "--json", entry], { cwd: root, timeout: MINUTE });
      const [node] = Object.values(JSON.parse(stdout).nodes) as {
        module_doc?: Declaration["jsDoc"];
        symbols: { name: string; declarations: Declaration[] }[];
      }[];
      const moduleTags = node.module_doc?.tags ?? [];
      assert.ok(moduleTags.some((t) => t.kind === "module"), `${entry} has a @module doc`);
      assert.ok(
        moduleTags.some((t) => t.kind === "example" && t.doc?.includes("```")),
        `${entry} has a module @example`,
      );
      const gaps: string[] = [];
      for (const symbol of node.symbols) {
        const overloaded = symbol.declarations.length > 1;
        for (const declaration of symbol.declarations) {
          if (overloaded && declaration.def?.hasBody) continue; // the implementation behind documented overloads
          for (const gap of missing(declaration)) gaps.push(`${symbol.name} (${declaration.kind}) lacks ${gap}`);
        }
      }
      assert.deepEqual(gaps, []);
      // mod.ts: the whole library; ./cli its main() and Output; src/compat/net_keepalive.ts:
      // net-keepalive's six functions and two types.
      const least = entry === "./mod.ts" ? 40 : entry.includes("net_keepalive") ? 8 : 1;
      assert.ok(node.symbols.length > least, `${node.symbols.length} symbols`);
    });
  }

  it("every @example type-checks and runs (deno test --doc)", async () => {
    const sources = ["src", "platforms"].flatMap((dir) =>
      readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })
        .filter((f) => f.endsWith(".ts"))
        .map((f) => join(dir, f))
    );
    const { stdout } = await run("deno", ["test", "--doc", "--allow-ffi", "--allow-net", ...entryPoints, ...sources], {
      cwd: root,
      timeout: 3 * MINUTE,
    });
    const summary = /ok \| (\d+) passed \| 0 failed/.exec(stdout);
    assert.ok(summary, stdout.slice(-2000));
    assert.ok(Number(summary[1]) >= 50, `${summary[1]} examples ran`);
  });
});
