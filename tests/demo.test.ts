/**
 * `npm start`'s demo (demo/demo.ts) under this runtime: a dead peer noticed within
 * `detectWithin: 3_000` on the runtime's own handle, measured, while the control is still open,
 * in a user namespace of its own (the path a user without root takes); and, where no namespace
 * can be made, a plain word that nothing was measured, and the settings instead.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoNamespace } from "../demo/namespace.ts";
import { root, run } from "./support/exec.ts";
import { keepAliveDefaults } from "./support/proc.ts";
import { runtimeName, scriptArgs } from "./support/runtime.ts";

const MINUTE = 60_000;
const HANDLE = { deno: "Deno.connect", bun: "Bun.connect", node: "net.connect" }[runtimeName];

// As root too: the user-namespace path is what a user without root gets.
const userns = { SOCKOPTS_DEMO_USERNS: "1" };
const namespace = (() => {
  const saved = process.env.SOCKOPTS_DEMO_USERNS;
  process.env.SOCKOPTS_DEMO_USERNS = "1";
  try {
    return demoNamespace();
  } finally {
    if (saved === undefined) delete process.env.SOCKOPTS_DEMO_USERNS;
    else process.env.SOCKOPTS_DEMO_USERNS = saved;
  }
})();
if (!namespace.ok) {
  console.warn(`!!! demo (${runtimeName}): SKIPPED the measured dead peer: ${namespace.why} !!!`);
}

function demo(env: Record<string, string>) {
  return run(process.execPath, scriptArgs(join("demo", "demo.ts"), [], ["-A"]), { cwd: root, timeout: MINUTE, env });
}

describe(`npm start's demo under ${runtimeName}`, () => {
  it(
    `measures a dead peer noticed on a ${HANDLE} connection in seconds, and the control still open`,
    { skip: namespace.ok ? false : namespace.why, timeout: MINUTE },
    async () => {
      const { stdout } = await demo(userns);
      assert.match(stdout, /in a private network namespace \(in a user namespace of its own: no root needed\)/);
      assert.match(stdout, new RegExp(`Two idle ${HANDLE.replace(".", "\\.")} connections to an echo server`));
      const noticed = /dead peer noticed after (\d+\.\d) s, measured: the pending read failed with ETIMEDOUT/.exec(
        stdout,
      );
      assert.ok(noticed, stdout);
      const seconds = Number(noticed[1]);
      assert.ok(seconds >= 1 && seconds <= 3, `noticed after ${seconds} s, within detectWithin: 3_000`);
      const open = /still open after (\d+\.\d) s, measured/.exec(stdout);
      assert.ok(open && Number(open[1]) >= 6, stdout);
      assert.match(stdout, /by default \(SO_KEEPALIVE off\); turned on with the kernel's times \(\d+ s idle/);
    },
  );

  it("says plainly where it cannot make a namespace, and measures nothing", { timeout: MINUTE }, async () => {
    // A PATH with a shell and nothing else: no unshare, ip or nft.
    const bin = mkdtempSync(join(tmpdir(), "sockopts-demo-path-"));
    try {
      symlinkSync("/bin/sh", join(bin, "sh"));
      const { stdout } = await demo({ PATH: bin });
      assert.match(stdout, /cannot cut a connection off here, so nothing is measured:\n {2}`unshare` is not on PATH/);
      assert.doesNotMatch(stdout, /noticed after/);
      const idle = (keepAliveDefaults().idle / 1000).toFixed(1).replace(".", "\\.");
      assert.match(stdout, new RegExp(`^ {2}TCP_KEEPIDLE +${idle} s +1\\.0 s$`, "m"), stdout);
      assert.match(stdout, /^ {2}user timeout +none +2\.0 s$/m, stdout);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
