/**
 * Windows: setOption/getOption for the options Winsock has (checked against the Linux socket
 * beneath under Wine), UnsupportedError naming Windows for the others, and Winsock's errors as
 * the library's typed errors with their WSA names. Run by scripts/test_windows.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  getKeepAlive,
  getOption,
  getTcpInfo,
  type OptionName,
  options,
  setKeepAlive,
  setOption,
  SockoptError,
  UnsupportedError,
} from "../../mod.ts";
import { kernel, netPair, runtime, underWine } from "./support.ts";

const LIMIT = { timeout: 60_000 };

describe(`Windows options (${runtime})`, () => {
  it("sets and reads TCP_NODELAY, SO_LINGER, SO_RCVBUF, SO_SNDBUF and SO_REUSEADDR", LIMIT, async () => {
    const pair = await netPair();
    try {
      const c = pair.client;
      setOption(c, "TCP_NODELAY", true);
      setOption(c, "SO_LINGER", { enable: true, seconds: 7 });
      setOption(c, "SO_RCVBUF", 65_536);
      setOption(c, "SO_SNDBUF", 32_768);
      setOption(c, "SO_REUSEADDR", true);
      assert.equal(getOption(c, "TCP_NODELAY"), true);
      // Winsock's struct linger is two u_shorts: both halves come back.
      assert.deepEqual(getOption(c, "SO_LINGER"), { enable: true, seconds: 7 });
      assert.equal(getOption(c, "SO_REUSEADDR"), true);
      // Windows reads back the sizes it was given (Wine too: it keeps them itself).
      assert.equal(getOption(c, "SO_RCVBUF"), 65_536);
      assert.equal(getOption(c, "SO_SNDBUF"), 32_768);
      const k = await kernel(pair.clientPort, pair.serverPort);
      if (k !== null) {
        assert.equal(k.nodelay, true);
        assert.deepEqual(k.linger, { enable: true, seconds: 7 });
        assert.equal(k.reuseaddr, true);
        // Wine hands the sizes to Linux, which doubles them.
        assert.equal(k.rcvbuf, 131_072);
        assert.equal(k.sndbuf, 65_536);
      }
      setOption(c, "TCP_NODELAY", false);
      setOption(c, "SO_LINGER", { enable: false, seconds: 0 });
      assert.equal(getOption(c, "TCP_NODELAY"), false);
      const after = await kernel(pair.clientPort, pair.serverPort);
      if (after !== null) {
        assert.equal(after.nodelay, false);
        assert.equal(after.linger.enable, false);
      }
      assert.equal(getOption(pair.listener as never, "SO_ACCEPTCONN"), true);
      assert.equal(getOption(c, "SO_ACCEPTCONN"), false);
      assert.equal(getOption(c, "SO_TYPE"), 1); // SOCK_STREAM
      assert.equal(getOption(c, "SO_ERROR"), 0);
    } finally {
      await pair.close();
    }
  });

  it("throws UnsupportedError naming Windows for every option Windows lacks, and for getTcpInfo", LIMIT, async () => {
    const pair = await netPair();
    try {
      const lacking = (Object.keys(options) as OptionName[]).filter((name) => options[name].os.windows === null);
      assert.deepEqual(lacking, ["SO_REUSEPORT", "SO_COOKIE", "TCP_QUICKACK", "TCP_CONGESTION", "TCP_NOTSENT_LOWAT"]);
      for (const name of lacking) {
        assert.throws(() => getOption(pair.client, name), (error: unknown) => {
          assert.ok(error instanceof UnsupportedError, `${name}: ${error}`);
          assert.equal(error.os, "windows");
          assert.equal(error.option, name);
          assert.equal(error.message, `Unsupported option: ${name} does not exist on Windows (windows)`);
          return true;
        });
      }
      assert.throws(() => getTcpInfo(pair.client), (error: unknown) => {
        assert.ok(error instanceof UnsupportedError);
        assert.match(error.message, /SIO_TCP_INFO/);
        return true;
      });
    } finally {
      await pair.close();
    }
  });

  it("reports Winsock's errors as typed errors with their WSA names", LIMIT, async () => {
    const pair = await netPair();
    try {
      setKeepAlive(pair.client, { count: 5 });
      if (underWine) {
        // Wine hands TCP_KEEPCNT to Linux, which stops at 127: WSAEINVAL, and the count stays.
        assert.throws(() => setKeepAlive(pair.client, { count: 200 }), (error: unknown) => {
          assert.ok(error instanceof SockoptError, String(error));
          assert.equal(error.code, "EINVAL");
          assert.equal(error.errno, 10022);
          assert.equal(error.syscall, "setsockopt");
          assert.match(
            error.message,
            /^Cannot set TCP_KEEPCNT on fd \d+: EINVAL \(WSAEINVAL 10022: invalid argument\)$/,
          );
          return true;
        });
        assert.equal(getKeepAlive(pair.client).count, 5);
      } else {
        setKeepAlive(pair.client, { count: 200 }); // Windows takes up to 255
        assert.equal(getKeepAlive(pair.client).count, 200);
      }
      // Out of Windows's range: refused before any call.
      assert.throws(() => setKeepAlive(pair.client, { count: 256 }), RangeError);
      // A multiple of 4 that is no handle of this process: WSAEBADF's name, decided by asking
      // GetHandleInformation, not by trusting the last error.
      assert.throws(() => getKeepAlive(0x7ffffff0), (error: unknown) => {
        assert.ok(error instanceof SockoptError, String(error));
        assert.equal(error.code, "EBADF");
        assert.equal(error.errno, 10009);
        assert.match(error.message, /EBADF \(WSAEBADF 10009: bad file descriptor\)/);
        return true;
      });
    } finally {
      await pair.close();
    }
  });
});
