// The duplicate fd process-wide configuration goes through (src/sys/libc.ts duplicate): on this
// Linux machine a real one (close-on-exec, the same socket), and, through a recording libc in
// place of the real one, which call each ABI makes: fcntl(F_DUPFD_CLOEXEC) where a variadic int
// is passed like a named one, dup() on Apple arm64, where fcntl would never see the argument.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { darwin } from "../platforms/darwin/constants.ts";
import { linux } from "../platforms/linux/constants.ts";
import type { Library, RuntimeAdapter } from "../src/ffi/adapter.ts";
import type { Pointer, Symbols } from "../src/ffi/symbols.ts";
import { closeDuplicate, duplicate } from "../src/sys/libc.ts";
import { dropNative } from "../src/sys/native.ts";
import { hostFor, overrideHost } from "../src/sys/host.ts";
import { answersOption } from "./support/kernel.ts";
import { tcpPair } from "./support/net.ts";

const O_CLOEXEC = 0o2000000; // <asm-generic/fcntl.h>
const SOL_SOCKET = 1;
const SO_COOKIE = 57; // <asm-generic/socket.h>

/** The flags /proc/self/fdinfo shows for `fd` (octal there). */
function flagsOf(fd: number): number {
  const line = readFileSync(`/proc/self/fdinfo/${fd}`, "utf8").split("\n").find((l) => l.startsWith("flags:"));
  return parseInt(line!.split(/\s+/)[1], 8);
}

describe("the duplicate a socket is configured through", () => {
  it("is a new, close-on-exec fd for the same socket; -1 for an fd that is not open", async () => {
    const pair = await tcpPair();
    try {
      const copy = duplicate(pair.clientFd);
      assert.ok(copy >= 0 && copy !== pair.clientFd, `a new number (${copy})`);
      try {
        assert.equal(flagsOf(copy) & O_CLOEXEC, O_CLOEXEC, "close-on-exec: no child process inherits it");
        assert.ok(answersOption(copy, SOL_SOCKET, SO_COOKIE, 8));
        const inode = (fd: number) => readFileSync(`/proc/self/fdinfo/${fd}`, "utf8").match(/^ino:\s*(\d+)/m)?.[1];
        assert.equal(inode(copy), inode(pair.clientFd), "the same socket (the same inode)");
      } finally {
        closeDuplicate(copy);
      }
      assert.throws(() => readFileSync(`/proc/self/fdinfo/${copy}`), "closed again");
      assert.equal(duplicate(1_000_000), -1, "an fd that is not open");
    } finally {
      await pair.close();
    }
  });

  for (
    const [name, platform, arch, expected] of [
      ["Linux x86_64", linux, "x86_64", ["fcntl 7 1030 0"]],
      ["Linux aarch64", linux, "aarch64", ["fcntl 7 1030 0"]],
      ["macOS x86_64", darwin, "x86_64", ["fcntl 7 67 0"]],
      ["macOS arm64", darwin, "aarch64", ["dup 7"]],
    ] as const
  ) {
    it(`calls ${expected[0].split(" ")[0]} on ${name}`, () => {
      const calls: string[] = [];
      const symbols = {
        fcntl: (fd: number, cmd: number, arg: number) => (calls.push(`fcntl ${fd} ${cmd} ${arg}`), 40),
        dup: (fd: number) => (calls.push(`dup ${fd}`), 40),
        close: (fd: number) => (calls.push(`close ${fd}`), 0),
      };
      const runtime: RuntimeAdapter = {
        name: "deno",
        version: "recording",
        os: platform.os,
        arch,
        open(plan): Library {
          return {
            path: plan.libraries[0].paths[0],
            symbols: symbols as unknown as Symbols,
            pointerOf: () => 0 as unknown as Pointer,
            errno: () => 0,
            isNull: (pointer) => pointer === null,
            cString: () => "",
            copyInto: () => {},
          };
        },
      };
      const host = hostFor(runtime);
      if (host instanceof Error) throw host;
      dropNative();
      overrideHost(host);
      try {
        assert.equal(duplicate(7), 40);
        closeDuplicate(40);
      } finally {
        overrideHost(undefined);
        dropNative();
      }
      assert.deepEqual(calls, [...expected, "close 40"]);
    });
  }
});
