import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { getOption, getsockoptRaw, setOption, setsockoptRaw } from "../mod.ts";
import { linux } from "../platforms/linux/constants.ts";
import { type TcpPair, tcpPair } from "./support/net.ts";

const NEVER_OPEN = 2_000_000_000;
// Every test here may open sockets: a hang fails the test after this long instead of the run.
const LIMIT = { timeout: 30_000 };
const { SOL_SOCKET, IPPROTO_TCP } = linux;
const opt = linux.options;

function int32(value: number): Uint8Array {
  return new Uint8Array(new Int32Array([value]).buffer);
}

describe("getsockoptRaw and setsockoptRaw (unchecked)", () => {
  let pair: TcpPair;
  before(async () => {
    pair = await tcpPair();
  });
  after(() => pair.close());

  it("set and read the same kernel state as setOption and getOption", LIMIT, () => {
    setsockoptRaw(pair.clientFd, IPPROTO_TCP, opt.TCP_NODELAY!.optname, int32(1));
    assert.equal(getOption(pair.clientFd, "TCP_NODELAY"), true);
    setOption(pair.clientFd, "TCP_NODELAY", false);
    assert.deepEqual(getsockoptRaw(pair.clientFd, IPPROTO_TCP, opt.TCP_NODELAY!.optname, 4), int32(0));

    setOption(pair.clientFd, "TCP_CONGESTION", "reno");
    const name = getsockoptRaw(pair.clientFd, IPPROTO_TCP, opt.TCP_CONGESTION!.optname, 16);
    assert.equal(name.length, 16);
    assert.equal(new TextDecoder().decode(name.subarray(0, name.indexOf(0))), "reno");

    const cookie = getsockoptRaw(pair.clientFd, SOL_SOCKET, opt.SO_COOKIE!.optname, 8);
    assert.equal(new DataView(cookie.buffer).getBigUint64(0, true), getOption(pair.clientFd, "SO_COOKIE"));
  });

  it("return only the bytes the kernel wrote, as a copy", LIMIT, () => {
    // An int option offered 64 bytes comes back as 4.
    const type = getsockoptRaw(pair.clientFd, SOL_SOCKET, opt.SO_TYPE!.optname, 64);
    assert.deepEqual(type, int32(linux.SOCK_STREAM));
    type[0] = 99;
    assert.deepEqual(getsockoptRaw(pair.clientFd, SOL_SOCKET, opt.SO_TYPE!.optname, 64), int32(linux.SOCK_STREAM));
  });

  it("pass values through unchecked: the kernel decides", LIMIT, () => {
    // setOption would refuse 50 before the call; raw lets the kernel say EINVAL.
    assert.throws(() => setsockoptRaw(pair.clientFd, IPPROTO_TCP, opt.TCP_MAXSEG!.optname, int32(50)), {
      name: "SockoptError",
      code: "EINVAL",
      syscall: "setsockopt",
      option: `option ${opt.TCP_MAXSEG!.optname} at level ${IPPROTO_TCP}`,
      message: `Cannot set option 2 at level 6 on fd ${pair.clientFd}: EINVAL (invalid argument)`,
    });
    // Two bytes where an int is due.
    assert.throws(() => setsockoptRaw(pair.clientFd, SOL_SOCKET, opt.SO_RCVBUF!.optname, new Uint8Array(2)), {
      code: "EINVAL",
    });
    // An unknown algorithm's ENOENT comes through as the kernel's errno.
    assert.throws(
      () => setsockoptRaw(pair.clientFd, IPPROTO_TCP, opt.TCP_CONGESTION!.optname, new TextEncoder().encode("nosuch")),
      { code: "ENOENT" },
    );
    assert.throws(() => getsockoptRaw(pair.clientFd, IPPROTO_TCP, 9999, 4), {
      code: "ENOPROTOOPT",
      message: `Cannot get option 9999 at level 6 on fd ${pair.clientFd}: ENOPROTOOPT (protocol not available)`,
    });
  });

  it("check only the arguments' shapes, before any system call", LIMIT, () => {
    const cases: [() => unknown, string, RegExp][] = [
      [() => getsockoptRaw(NEVER_OPEN, 1.5, 1, 4), "RangeError", /^Cannot get a raw option: level 1.5 is not a C int/],
      [() => getsockoptRaw(NEVER_OPEN, 6, 2 ** 31, 4), "RangeError", /optname 2147483648 is not a C int/],
      [() => getsockoptRaw(NEVER_OPEN, "6" as never, 1, 4), "TypeError", /expected an integer level, got string/],
      [
        () => getsockoptRaw(NEVER_OPEN, 6, 1, 769),
        "RangeError",
        /^Cannot get a raw option: byteLength 769 is outside 0\.\.768$/,
      ],
      [() => getsockoptRaw(NEVER_OPEN, 6, 1, -1), "RangeError", /byteLength -1 is outside/],
      [() => setsockoptRaw(NEVER_OPEN, 6, 1, [1, 0, 0, 0] as never), "TypeError", /expected a Uint8Array/],
      [() => setsockoptRaw(NEVER_OPEN, 6, 1, new Uint8Array(769)), "RangeError", /769 bytes is more than 768/],
      [
        () => setsockoptRaw(undefined as never, 6, 1, int32(1)),
        "TypeError",
        /^Cannot set a raw option: missing socket/,
      ],
    ];
    for (const [call, name, message] of cases) assert.throws(call, { name, message });
    // With good arguments, the call is made: EBADF.
    assert.throws(() => getsockoptRaw(NEVER_OPEN, 6, 1, 4), { name: "SockoptError", code: "EBADF" });
  });
});
