// macOS cannot run here, so its system-call layer is driven through a recording adapter in place
// of libc: this checks the values sockopts hands to setsockopt on macOS (seconds, not
// milliseconds, for TCP_RXT_CONNDROPTIME). Linux behaviour is never tested this way.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { darwin } from "../platforms/darwin/constants.ts";
import { getUserTimeout, setKeepAlive, setUserTimeout } from "../mod.ts";
import type { Library, RuntimeAdapter } from "../src/ffi/adapter.ts";
import type { Pointer, Symbols } from "../src/ffi/symbols.ts";
import { dropNative } from "../src/sys/native.ts";
import { type Host, hostFor, overrideHost } from "../src/sys/host.ts";

interface Call {
  readonly fn: "setsockopt" | "getsockopt";
  readonly fd: number;
  readonly level: number;
  readonly optname: number;
  readonly value: number;
  readonly optlen: number;
}

/** A macOS "libc" that records every setsockopt and answers getsockopt from what was set. */
function recordingDarwin(): { host: Host; calls: Call[] } {
  const calls: Call[] = [];
  const kernel = new Map<string, number>();
  const views: Uint8Array[] = [];
  const view = (pointer: Pointer) => views[pointer as unknown as number];
  const int = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, 4);
  const symbols = {
    setsockopt(fd: number, level: number, optname: number, value: Pointer, optlen: number) {
      const v = int(view(value)).getInt32(0, true);
      calls.push({ fn: "setsockopt", fd, level, optname, value: v, optlen });
      kernel.set(`${fd}:${level}:${optname}`, v);
      return 0;
    },
    getsockopt(fd: number, level: number, optname: number, value: Pointer, optlen: Pointer) {
      const v = kernel.get(`${fd}:${level}:${optname}`) ?? 0;
      int(view(value)).setInt32(0, v, true);
      int(view(optlen)).setUint32(0, 4, true);
      calls.push({ fn: "getsockopt", fd, level, optname, value: v, optlen: 4 });
      return 0;
    },
  };
  const runtime: RuntimeAdapter = {
    name: "deno",
    version: "recording",
    os: "darwin",
    arch: "aarch64",
    open(plan): Library {
      return {
        path: plan.libraries[0].paths[0],
        symbols: symbols as unknown as Symbols,
        pointerOf: (bytes) => (views.push(bytes) - 1) as unknown as Pointer,
        errno: () => 0,
        isNull: (pointer) => pointer === null,
        cString: () => "",
        copyInto: () => {},
      };
    },
  };
  const host = hostFor(runtime);
  if (host instanceof Error) throw host;
  return { host, calls };
}

function onDarwin<T>(host: Host, body: () => T): T {
  dropNative();
  overrideHost(host);
  try {
    return body();
  } finally {
    overrideHost(undefined);
    dropNative();
  }
}

describe("macOS system calls, recorded", () => {
  it("setUserTimeout hands TCP_RXT_CONNDROPTIME whole seconds, rounded up", () => {
    const { host, calls } = recordingDarwin();
    const tcp = darwin.IPPROTO_TCP;
    const drop = darwin.options.TCP_USER_TIMEOUT!.optname; // 0x80 in <netinet/tcp.h>
    onDarwin(host, () => {
      setUserTimeout(7, 1_500);
      setUserTimeout(7, 30_000);
      setUserTimeout(7, 1, { subSecond: true }); // a deliberate 1 ms: the shortest macOS holds is 1 s
      assert.equal(getUserTimeout(7), 1_000, "read back as ms");
    });
    const sets = calls.filter((call) => call.fn === "setsockopt");
    assert.deepEqual(sets, [
      { fn: "setsockopt", fd: 7, level: tcp, optname: drop, value: 2, optlen: 4 },
      { fn: "setsockopt", fd: 7, level: tcp, optname: drop, value: 30, optlen: 4 },
      { fn: "setsockopt", fd: 7, level: tcp, optname: drop, value: 1, optlen: 4 },
    ]);
  });

  it("setKeepAlive hands TCP_KEEPALIVE and TCP_KEEPINTVL seconds, and SO_KEEPALIVE at SOL_SOCKET", () => {
    const { host, calls } = recordingDarwin();
    onDarwin(host, () => setKeepAlive(9, { idle: 2_500, interval: 1_000, count: 4 }));
    assert.deepEqual(calls.map(({ level, optname, value }) => [level, optname, value]), [
      [darwin.IPPROTO_TCP, 0x10, 3], // TCP_KEEPALIVE, <netinet/tcp.h>
      [darwin.IPPROTO_TCP, 0x101, 1], // TCP_KEEPINTVL
      [darwin.IPPROTO_TCP, 0x102, 4], // TCP_KEEPCNT
      [darwin.SOL_SOCKET, 0x8, 1], // SO_KEEPALIVE, <sys/socket.h>
    ]);
  });
});
