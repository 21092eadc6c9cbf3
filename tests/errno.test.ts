import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runtimeName, scriptArgs } from "./support/runtime.ts";

const child = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "errno_child.ts");
const PROCESSES = 20;
const CALLS = 100_000;
const PARALLEL = 4;

interface Report {
  calls: number;
  wrong: Record<string, number>;
  stillClosed: boolean;
}

function run(): Promise<Report> {
  const args = scriptArgs(child, [String(CALLS)], ["--allow-ffi", "--allow-read"]);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split("\n").at(-1)!));
    });
  });
}

describe(`errno under ${runtimeName}`, () => {
  it(`is EBADF every time: ${PROCESSES} processes x ${CALLS} calls on a closed fd`, async () => {
    const reports: Report[] = [];
    let next = 0;
    const worker = async () => {
      while (next < PROCESSES) {
        next++;
        reports.push(await run());
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    assert.equal(reports.length, PROCESSES);
    for (const report of reports) {
      assert.equal(report.calls, CALLS);
      assert.equal(report.stillClosed, true, "the fd stayed closed for the whole run");
      assert.deepEqual(report.wrong, {}, "no call reported anything but EBADF");
    }
  });
});
