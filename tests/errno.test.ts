import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { closeSync, constants as fsc, mkdtempSync, openSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { linux } from "../platforms/linux/constants.ts";
import { verifyErrno } from "../src/sys/libc.ts";
import { readIntOption } from "./support/kernel.ts";
import { type TcpPair, tcpPair } from "./support/net.ts";
import { runtimeName, scriptArgs } from "./support/runtime.ts";

const child = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "errno_child.ts");
const { EBADF, ENOTSOCK, EINVAL, EAGAIN, ENOENT, ENOPROTOOPT } = linux.errno;
const IPPROTO_TCP = 6;
const TCP_NODELAY = 1; // <netinet/tcp.h>
const NO_SUCH_OPTION = 9999;

/** An errno source that returns `values` in turn (the last one for ever after), counting reads. */
function lying(...values: number[]): { read: () => number; reads: () => number } {
  let count = 0;
  return { read: () => values[Math.min(count++, values.length - 1)], reads: () => count };
}

// A real, idempotent getsockopt through the test's own libc binding: 0 or -1, as C returns.
const call = (fd: number, optname: number) => () => (readIntOption(fd, IPPROTO_TCP, optname) === -1 ? -1 : 0);

describe("errno verification, fed an errno that lies", () => {
  let pair: TcpPair;
  let dir: string;
  let pipe: number;
  before(async () => {
    pair = await tcpPair();
    dir = mkdtempSync(join(tmpdir(), "sockopts-"));
    execFileSync("mkfifo", [join(dir, "fifo")]);
    pipe = openSync(join(dir, "fifo"), fsc.O_RDWR | fsc.O_NONBLOCK);
  });
  after(async () => {
    closeSync(pipe);
    rmSync(dir, { recursive: true, force: true });
    await pair.close();
  });

  it("derives EBADF and ENOTSOCK from the kernel, whatever errno said", { timeout: 10_000 }, () => {
    const closed = openSync("/dev/null", "r");
    closeSync(closed);
    // EINVAL is a code setsockopt can return: only the kernel check can tell it is wrong here.
    const source = lying(EINVAL);
    assert.equal(verifyErrno(closed, EINVAL, call(closed, TCP_NODELAY), source.read), EBADF);
    assert.equal(verifyErrno(pipe, EINVAL, call(pipe, TCP_NODELAY), source.read), ENOTSOCK);
    assert.equal(verifyErrno(closed, ENOTSOCK, call(closed, TCP_NODELAY), source.read), EBADF);
    assert.equal(source.reads(), 0, "no repeat was needed to know");
  });

  it("repeats the call when errno names what the call cannot return, and believes the repeat", {
    timeout: 10_000,
  }, () => {
    // EAGAIN is stray: the repeat fails for real with ENOPROTOOPT, which the source then reports.
    const stray = lying(ENOPROTOOPT);
    assert.equal(verifyErrno(pair.clientFd, EAGAIN, call(pair.clientFd, NO_SUCH_OPTION), stray.read), ENOPROTOOPT);
    assert.equal(stray.reads(), 1);
    // A stray errno from a call whose repeat succeeds: no error at all.
    const never = lying(EBADF);
    assert.equal(verifyErrno(pair.clientFd, EAGAIN, call(pair.clientFd, TCP_NODELAY), never.read), 0);
    assert.equal(never.reads(), 0);
  });

  it("takes an option's own errno only once two calls in a row agree on it", { timeout: 10_000 }, () => {
    // ENOENT (TCP_CONGESTION's "no such algorithm") is reported once, then the repeat says ENOPROTOOPT.
    const flip = lying(ENOPROTOOPT);
    const got = verifyErrno(pair.clientFd, ENOENT, call(pair.clientFd, NO_SUCH_OPTION), flip.read, ["ENOENT"]);
    assert.equal(got, ENOPROTOOPT);
    // Reported twice in a row: believed.
    const agree = lying(ENOENT, ENOENT);
    assert.equal(
      verifyErrno(pair.clientFd, ENOENT, call(pair.clientFd, NO_SUCH_OPTION), agree.read, ["ENOENT"]),
      ENOENT,
    );
    assert.equal(agree.reads(), 1);
  });
});

// One short real-process check: errno read through each runtime's FFI stays EBADF under load.
const PROCESSES = 2;
const CALLS = 20_000;

interface Report {
  calls: number;
  wrong: Record<string, number>;
  stillClosed: boolean;
}

function run(): Promise<Report> {
  const args = scriptArgs(child, [String(CALLS)], ["--allow-ffi", "--allow-read"]);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { encoding: "utf8", maxBuffer: 1 << 20, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split("\n").at(-1)!));
      },
    );
  });
}

describe(`errno under ${runtimeName}`, () => {
  it(`is EBADF every time: ${PROCESSES} processes x ${CALLS} calls on a closed fd`, { timeout: 120_000 }, async () => {
    const reports = await Promise.all(Array.from({ length: PROCESSES }, run));
    for (const report of reports) {
      assert.equal(report.calls, CALLS);
      assert.equal(report.stillClosed, true, "the fd stayed closed for the whole run");
      assert.deepEqual(report.wrong, {}, "no call reported anything but EBADF");
    }
  });
});
