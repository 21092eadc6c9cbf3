/**
 * Windows: the paths of builds older than the keep-alive options (platforms/windows/option_calls.ts),
 * run on this system by making the backend act as that build: before 1709 both times go through
 * SIO_KEEPALIVE_VALS (checked in the Linux socket beneath under Wine), before 1703 the count is
 * fixed at 10, before 1607 TCP_FASTOPEN is unsupported. Run by scripts/test_windows.ts.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  getKeepAlive,
  getOption,
  setKeepAlive,
  setKeepAliveInterval,
  setKeepAliveProbes,
  setOption,
  UnsupportedError,
} from "../../mod.ts";
import { useWindowsBuild } from "../../platforms/windows/backend.ts";
import { dropNative } from "../../src/sys/native.ts";
import { kernel, netPair, runtime } from "./support.ts";

const LIMIT = { timeout: 60_000 };

function actAs(build: number | undefined): void {
  useWindowsBuild(build);
  dropNative();
}

describe(`Windows builds before the keep-alive options (${runtime})`, () => {
  after(() => actAs(undefined));

  it(
    "before 1709 (build 14393): idle and interval through SIO_KEEPALIVE_VALS, the count fixed at 10",
    LIMIT,
    async () => {
      actAs(14393);
      const pair = await netPair();
      try {
        setKeepAlive(pair.client, { idle: 45_000, interval: 3_000 });
        // Not read back from Windows (it cannot be): what sockopts wrote, and the fixed count.
        assert.deepEqual(getKeepAlive(pair.client), { enable: true, idle: 45_000, interval: 3_000, count: 10 });
        let k = await kernel(pair.clientPort, pair.serverPort);
        if (k !== null) {
          assert.equal(k.keepAlive.enable, true);
          assert.equal(k.keepAlive.idle, 45_000);
          assert.equal(k.keepAlive.interval, 3_000);
        }
        // One time alone: the other is the one written before, on the same socket.
        setKeepAliveInterval(pair.client, 5_000);
        assert.deepEqual(getKeepAlive(pair.client), { enable: true, idle: 45_000, interval: 5_000, count: 10 });
        k = await kernel(pair.clientPort, pair.serverPort);
        if (k !== null) assert.deepEqual([k.keepAlive.idle, k.keepAlive.interval], [45_000, 5_000]);

        assert.throws(() => setKeepAliveProbes(pair.client, 4), (error: unknown) => {
          assert.ok(error instanceof UnsupportedError, String(error));
          assert.equal(error.option, "TCP_KEEPCNT");
          assert.match(error.message, /needs Windows 10 1703 \(build 15063\) or later, and this is build 14393/);
          return true;
        });

        // A socket sockopts never wrote to: Windows's defaults (2 h, 1 s), whatever the system holds.
        assert.deepEqual(getKeepAlive(pair.server), { enable: false, idle: 7_200_000, interval: 1_000, count: 10 });

        // SIO_KEEPALIVE_VALS turns keep-alive on; an `enable: false` beside the times turns it off after.
        setKeepAlive(pair.server, { enable: false, idle: 30_000 });
        k = await kernel(pair.serverPort, pair.clientPort);
        if (k !== null) {
          assert.deepEqual([k.keepAlive.enable, k.keepAlive.idle, k.keepAlive.interval], [
            false,
            30_000,
            1_000,
          ]);
        }
        setKeepAliveInterval(pair.server, 2_000);
        assert.equal(getKeepAlive(pair.server).enable, true);
      } finally {
        await pair.close();
      }
    },
  );

  it("from 1703 (build 15063): the times through SIO_KEEPALIVE_VALS, the count with TCP_KEEPCNT", LIMIT, async () => {
    actAs(15063);
    const pair = await netPair();
    try {
      setKeepAlive(pair.client, { idle: 52_000, interval: 6_000, count: 4 });
      assert.deepEqual(getKeepAlive(pair.client), { enable: true, idle: 52_000, interval: 6_000, count: 4 });
      const k = await kernel(pair.clientPort, pair.serverPort);
      if (k !== null) assert.deepEqual(k.keepAlive, { enable: true, idle: 52_000, interval: 6_000, count: 4 });
    } finally {
      await pair.close();
    }
  });

  it("before 1607 (build 10586) TCP_FASTOPEN is unsupported; from 1607 it is Winsock's to answer", LIMIT, async () => {
    actAs(10586);
    const pair = await netPair();
    try {
      assert.throws(() => setOption(pair.client, "TCP_FASTOPEN", 1), (error: unknown) => {
        assert.ok(error instanceof UnsupportedError, String(error));
        assert.match(error.message, /^Unsupported option: TCP_FASTOPEN needs Windows 10 1607 \(build 14393\)/);
        return true;
      });
      assert.throws(() => getOption(pair.client, "TCP_FASTOPEN"), UnsupportedError);
    } finally {
      await pair.close();
    }
  });
});
