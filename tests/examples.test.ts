/**
 * Every program in examples/ runs to completion under its runtime within a short timeout, and
 * prints the settings the kernel holds. Deno examples run in the Deno test run, Bun examples in
 * the Bun test run, and the runtime-neutral one in all three (Node included). The driver recipes
 * in examples/recipes/ run the same way against real PostgreSQL and Redis servers this test
 * starts on loopback.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { RECIPES, type RecipeServers, startRecipeServers } from "./db/recipes.ts";
import { SERVER_START_LIMIT_MS, serversUnavailable } from "./db/servers.ts";
import { root, run } from "./support/exec.ts";
import { runtimeName, scriptArgs } from "./support/runtime.ts";

/**
 * How long one example program may run, in ms: a runtime's start, a few round trips and, for the
 * policy recipe, its ticks. Measured on a 2-core machine: 0.2 to 5.6 s (the policy recipe), and up
 * to 7.4 s with two busy loops per core beside other jobs.
 */
const TIMEOUT = 60_000;
const PROFILE = '{"enable":true,"idle":30000,"interval":5000,"count":3}';

interface Example {
  readonly runtimes: readonly ("deno" | "bun" | "node")[];
  check(stdout: string): void;
}

function count(stdout: string, pattern: RegExp): number {
  return stdout.split("\n").filter((line) => pattern.test(line)).length;
}

const EXAMPLES: Record<string, Example> = {
  "deno_pool.ts": {
    runtimes: ["deno"],
    check(stdout) {
      for (let i = 1; i <= 3; i++) assert.match(stdout, new RegExp(`^request ${i} on :\\d+: ping ${i}$`, "m"));
      const line = `{"keepAlive":${PROFILE},"userTimeout":45000}`;
      assert.equal(count(stdout, /^connection :\d+ -> :\d+ /), 3, stdout);
      assert.equal(stdout.split(line).length - 1, 3, `three connections hold ${line}\n${stdout}`);
    },
  },
  "deno_websocket.ts": {
    runtimes: ["deno"],
    check(stdout) {
      assert.match(stdout, new RegExp(`^server: listening on :\\d+ ${PROFILE}$`, "m"));
      assert.equal(count(stdout, new RegExp(`^server: accepted 127\\.0\\.0\\.1:\\d+ ${PROFILE}$`)), 2, stdout);
      assert.match(stdout, /^client alice: echo: hello from alice$/m);
      assert.match(stdout, /^client bob: echo: hello from bob$/m);
    },
  },
  "bun_serve.ts": {
    runtimes: ["bun"],
    check(stdout) {
      const settings = `"keepAlive":${PROFILE},"userTimeout":45000`;
      assert.match(stdout, new RegExp(`^listener :\\d+ \\{${settings}\\}$`, "m"));
      for (let i = 1; i <= 2; i++) {
        assert.match(stdout, new RegExp(`^request ${i}: \\{"peer":\\d+,${settings}\\}$`, "m"));
      }
    },
  },
  "bun_node_net.ts": {
    runtimes: ["bun"],
    check(stdout) {
      assert.match(stdout, /^kernel defaults: +\{"enable":false,/m);
      assert.match(stdout, /^after socket\.setKeepAlive: +\{"enable":true,"idle":30000,"interval":1000,"count":10\}$/m);
      assert.match(
        stdout,
        /^after sockopts: +\{"enable":true,"idle":30000,"interval":5000,"count":3,"userTimeout":45000\}$/m,
      );
      assert.match(stdout, /^echo: +"ping"$/m);
    },
  },
  "configure_sockets.ts": {
    runtimes: ["deno", "bun", "node"],
    check(stdout) {
      assert.match(stdout, /^query: ok: select 1$/m);
      assert.match(stdout, /^configured 3 of \d+ TCP sockets in this process$/m);
      const line = new RegExp(
        `^fd \\d+ :\\d+ -> 127\\.0\\.0\\.1:\\d+ ESTABLISHED \\{"keepAlive":${PROFILE},"userTimeout":45000\\}$`,
      );
      assert.equal(count(stdout, line), 3, stdout);
    },
  },
};

describe(`examples under ${runtimeName}`, () => {
  it("every file in examples/ is run by this test", () => {
    const files = readdirSync(join(root, "examples")).filter((f) => f.endsWith(".ts")).sort();
    assert.deepEqual(files, Object.keys(EXAMPLES).sort());
  });

  it("the README shows each example's command as this test runs it, through the pinned runtime (npx)", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const command = { deno: "npx deno run --allow-ffi --allow-net", bun: "npx bun", node: "npx node" };
    for (const [file, example] of Object.entries(EXAMPLES)) {
      for (const runtime of example.runtimes) {
        const line = `\`${command[runtime]} examples/${file}\``;
        assert.ok(readme.includes(line), `README shows ${line}`);
      }
    }
    // A fresh clone's `npm ci` builds dist/, which Node resolves the package's own name to.
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    assert.match(pkg.scripts.prepare, /\bnpm run (--silent )?build\b/, "npm ci builds dist/ (prepare)");
  });

  for (const [file, example] of Object.entries(EXAMPLES)) {
    const skip = example.runtimes.includes(runtimeName) ? false : `a ${example.runtimes.join("/")} example`;
    it(`${file} runs and prints the settings read back`, { skip, timeout: TIMEOUT + 10_000 }, async () => {
      const path = join("examples", file);
      const args = scriptArgs(path, [], ["--allow-ffi", "--allow-net"]);
      const { stdout } = await run(process.execPath, args, { cwd: root, timeout: TIMEOUT });
      example.check(stdout);
    });
  }
});

const serversMissing = serversUnavailable();
if (serversMissing) {
  console.warn(`!!! examples (${runtimeName}): SKIPPED the driver recipes against real servers: ${serversMissing} !!!`);
}

describe(`driver recipes under ${runtimeName}, against real PostgreSQL and Redis on loopback`, () => {
  it("every file in examples/recipes/ is run by this test", () => {
    const files = readdirSync(join(root, "examples", "recipes")).filter((f) => f.endsWith(".ts")).sort();
    assert.deepEqual(files, Object.keys(RECIPES).sort());
  });

  it("the README's driver recipes show the lines the recipe programs run", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const shown = new Set(readme.split("\n").map((line) => line.trim()));
    for (const [file, recipe] of Object.entries(RECIPES)) {
      const program = new Set(
        readFileSync(join(root, "examples", "recipes", file), "utf8").split("\n").map((l) => l.trim()),
      );
      for (const line of recipe.readme) {
        assert.ok(shown.has(line), `README shows ${line}`);
        assert.ok(program.has(line), `${file} runs ${line}`);
      }
    }
  });

  describe("each recipe", { skip: serversMissing }, () => {
    // Started by the first recipe's test rather than a `before` hook: a hook that fails shows up
    // as "cancelled by parent" under node --test, keeps its error out of the JUnit report, and is
    // not bounded at all under Deno; here every recipe's test fails with the servers' own error.
    let servers: Promise<RecipeServers> | undefined;
    const started = () => {
      servers ??= startRecipeServers().then((s) => {
        console.log(`recipes: PostgreSQL and Redis started in ${s.startupMs} ms`);
        return s;
      });
      return servers;
    };
    after(async () => {
      await (await servers?.catch(() => undefined))?.stop();
    });

    for (const [file, recipe] of Object.entries(RECIPES)) {
      const skip = recipe.runtimes.includes(runtimeName) ? false : `a ${recipe.runtimes.join("/")} recipe`;
      it(
        `${file} runs against the real server and prints the settings read back`,
        // The first one waits for the servers too.
        { skip, timeout: SERVER_START_LIMIT_MS + TIMEOUT + 10_000 },
        async () => {
          const { env } = await started();
          const path = join("examples", "recipes", file);
          const args = scriptArgs(path, [], ["--allow-ffi", "--allow-net", "--allow-env"]);
          const { stdout } = await run(process.execPath, args, { cwd: root, timeout: TIMEOUT, env });
          recipe.check(stdout);
        },
      );
    }
  });
});
