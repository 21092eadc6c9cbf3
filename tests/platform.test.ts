import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { darwin, darwinCore } from "../platforms/darwin/constants.ts";
import { freebsd, freebsdCore } from "../platforms/freebsd/constants.ts";
import { linux, linuxCore } from "../platforms/linux/constants.ts";
import { windows, windowsCore } from "../platforms/windows/constants.ts";
import type { OptionName, PlatformTable } from "../platforms/types.ts";
import { PermissionError, UnsupportedError } from "../mod.ts";
import { hostFor, optionConstant } from "../src/sys/host.ts";
import { tcpInfoLayout } from "../src/options/tcp_info.ts";
import type { RuntimeAdapter } from "../src/ffi/adapter.ts";
import { fromKernelDuration, toKernelDuration } from "../src/values.ts";
import { denoOnly } from "./support/runtime.ts";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");

function compiler(): string | undefined {
  for (const cc of ["cc", "gcc", "clang"]) {
    if (spawnSync(cc, ["--version"]).status === 0) return cc;
  }
  return undefined;
}

const cc = compiler();

describe("platform constants", () => {
  it("match this machine's C headers (Linux)", {
    skip: cc === undefined ? "no C compiler (cc, gcc or clang) on PATH" : false,
  }, () => {
    const dir = mkdtempSync(join(tmpdir(), "sockopts-cc-"));
    try {
      const exe = join(dir, "constants");
      execFileSync(cc!, [join(here, "fixtures", "constants.c"), "-o", exe]);
      const headers = JSON.parse(execFileSync(exe, { encoding: "utf8" })) as Record<string, number>;
      const p = linux;
      for (
        const key of [
          "SOL_SOCKET",
          "IPPROTO_TCP",
          "F_GETFD",
          "F_DUPFD_CLOEXEC",
          "FD_CLOEXEC",
          "SO_NETNS_COOKIE",
          "SOCK_CLOEXEC",
          "AF_UNIX",
          "AF_INET",
          "AF_INET6",
          "SOCK_STREAM",
          "SOCK_DGRAM",
        ] as const
      ) {
        assert.equal(p[key], headers[key], key);
      }
      for (const [name, constant] of Object.entries(p.options)) {
        assert.ok(constant, name);
        assert.equal(constant.optname, headers[constant.native], `${name} optname`);
        const level = name.startsWith("SO_") ? headers.SOL_SOCKET : headers.IPPROTO_TCP;
        assert.equal(constant.level, level, `${name} level`);
      }
      for (const [name, value] of Object.entries(p.errno)) assert.equal(value, headers[name], name);
      assert.equal(p.direntNameOffset, headers["offsetof(struct dirent, d_name)"], "d_name offset");
      // struct tcp_info: the optname, each decoded field's offset, and the state numbers.
      assert.equal(tcpInfoLayout(p.os).optname, headers.TCP_INFO, "TCP_INFO");
      const cName: Record<string, string> = {
        state: "tcpi_state",
        retransmits: "tcpi_retransmits",
        probes: "tcpi_probes",
        rto: "tcpi_rto",
        mss: "tcpi_snd_mss",
        unacked: "tcpi_unacked",
        lastDataSent: "tcpi_last_data_sent",
        lastDataReceived: "tcpi_last_data_recv",
        rtt: "tcpi_rtt",
        rttvar: "tcpi_rttvar",
        cwnd: "tcpi_snd_cwnd",
        totalRetransmits: "tcpi_total_retrans",
      };
      for (const [field, layout] of Object.entries(tcpInfoLayout(p.os).fields)) {
        assert.ok(layout, field);
        assert.equal(layout.offset, headers[`offsetof.${cName[field]}`], `tcp_info ${field} offset`);
      }
      const cState: Record<string, string> = {
        ESTABLISHED: "TCP_ESTABLISHED",
        SYN_SENT: "TCP_SYN_SENT",
        SYN_RECEIVED: "TCP_SYN_RECV",
        FIN_WAIT_1: "TCP_FIN_WAIT1",
        FIN_WAIT_2: "TCP_FIN_WAIT2",
        TIME_WAIT: "TCP_TIME_WAIT",
        CLOSED: "TCP_CLOSE",
        CLOSE_WAIT: "TCP_CLOSE_WAIT",
        LAST_ACK: "TCP_LAST_ACK",
        LISTEN: "TCP_LISTEN",
        CLOSING: "TCP_CLOSING",
      };
      for (const [name, c] of Object.entries(cState)) {
        assert.equal(tcpInfoLayout(p.os).states.indexOf(name as never), headers[c], name);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("give every OS every option, with its own spelling and unit", () => {
    const names = Object.keys(linux.options).sort();
    for (const p of [darwin, freebsd]) assert.deepEqual(Object.keys(p.options).sort(), names, p.os);
    assert.equal(darwin.options.TCP_KEEPIDLE?.native, "TCP_KEEPALIVE");
    assert.equal(darwin.options.TCP_KEEPIDLE?.optname, 0x10);
    assert.equal(darwin.options.TCP_USER_TIMEOUT?.native, "TCP_RXT_CONNDROPTIME");
    assert.equal(darwin.options.TCP_USER_TIMEOUT?.optname, 0x80);
    assert.equal(darwin.options.TCP_USER_TIMEOUT?.unit, "seconds");
    assert.equal(linux.options.TCP_USER_TIMEOUT?.unit, "ms");
    assert.equal(freebsd.options.TCP_USER_TIMEOUT?.native, "TCP_MAXUNACKTIME");
    assert.equal(freebsd.options.TCP_USER_TIMEOUT?.optname, 68);
    assert.equal(freebsd.options.TCP_USER_TIMEOUT?.unit, "seconds");
    assert.equal(freebsd.options.TCP_KEEPIDLE?.optname, 256);
    assert.deepEqual([linux.errnoAccessor, darwin.errnoAccessor, freebsd.errnoAccessor], [
      "__errno_location",
      "__error",
      "__error",
    ]);
    assert.deepEqual(linux.libc, ["libc.so.6", "libc.musl-{arch}.so.1"]);
    assert.deepEqual(freebsd.libc, ["libc.so.7"]);
    assert.equal(darwin.libc[0], "libSystem.B.dylib");
  });

  it("convert macOS's user timeout to seconds, rounding up", () => {
    const c = darwin.options.TCP_USER_TIMEOUT!;
    assert.equal(toKernelDuration("TCP_USER_TIMEOUT", c, 1_500), 2);
    assert.equal(toKernelDuration("TCP_USER_TIMEOUT", c, 30_000), 30);
    assert.equal(toKernelDuration("TCP_USER_TIMEOUT", c, 0), 0);
    assert.equal(fromKernelDuration(c, 2), 2_000);
    // xnu rejects only negatives: any int of seconds is the kernel's range.
    assert.equal(toKernelDuration("TCP_USER_TIMEOUT", c, 4_294_967_001), 4_294_968);
    assert.equal(toKernelDuration("TCP_USER_TIMEOUT", c, 2_147_483_647_000), 2_147_483_647);
    assert.throws(() => toKernelDuration("TCP_USER_TIMEOUT", c, 2_147_483_647_001), {
      name: "RangeError",
      message:
        /^Cannot set TCP_USER_TIMEOUT \(TCP_RXT_CONNDROPTIME\): 2147483647001 ms is outside 0\.\.2147483647000 ms .*0 means the system default/,
    });
    // Linux keeps milliseconds as they are.
    assert.equal(toKernelDuration("TCP_USER_TIMEOUT", linux.options.TCP_USER_TIMEOUT!, 1_500), 1_500);
  });

  it("convert FreeBSD's user timeout (TCP_MAXUNACKTIME) to seconds, rounding up", () => {
    const c = optionConstant(freebsd, "TCP_USER_TIMEOUT");
    assert.equal(c.native, "TCP_MAXUNACKTIME");
    assert.equal(toKernelDuration("TCP_USER_TIMEOUT", c, 1, true), 1, "a deliberate 1 ms is 1 s");
    assert.throws(
      () => toKernelDuration("TCP_USER_TIMEOUT", c, 1),
      /1 ms: values are milliseconds; did you mean 1_000\?/,
    );
    assert.equal(toKernelDuration("TCP_USER_TIMEOUT", c, 1_500), 2);
    assert.equal(toKernelDuration("TCP_USER_TIMEOUT", c, 0), 0);
    assert.equal(fromKernelDuration(c, 45), 45_000);
    // UINT_MAX / hz (1000): tcp_default_ctloutput's bound for its u_int seconds.
    assert.equal(toKernelDuration("TCP_USER_TIMEOUT", c, 4_294_967_000), 4_294_967);
    assert.throws(() => toKernelDuration("TCP_USER_TIMEOUT", c, 4_294_967_001), {
      name: "RangeError",
      message: /^Cannot set TCP_USER_TIMEOUT \(TCP_MAXUNACKTIME\): 4294967001 ms is outside 0\.\.4294967000 ms/,
    });
  });
});

function fakeRuntime(os: string): RuntimeAdapter {
  return {
    name: "deno",
    version: "0",
    os,
    arch: "x86_64",
    open() {
      throw new Error("no library may be opened on an unsupported OS");
    },
  };
}

describe("unsupported hosts", () => {
  it("name the OS", () => {
    for (const os of ["netbsd", "android", "win32"]) {
      const host = hostFor(fakeRuntime(os));
      assert.ok(host instanceof UnsupportedError, os);
      assert.equal(host.os, os);
      assert.equal(host.message, `Unsupported OS: sockopts runs on Linux, macOS, FreeBSD and Windows, not on ${os}`);
    }
  });

  it("name Deno and Bun when the runtime has no usable FFI", () => {
    const host = hostFor(undefined);
    assert.ok(host instanceof UnsupportedError);
    assert.match(host.message, /^Unsupported runtime: sockopts needs /);
  });

  it("accept the four supported OSes", () => {
    const cores = { linux: linuxCore, darwin: darwinCore, freebsd: freebsdCore, windows: windowsCore };
    for (const p of [linux, darwin, freebsd, windows] as PlatformTable[]) {
      const host = hostFor(fakeRuntime(p.os));
      assert.ok(!(host instanceof UnsupportedError));
      // The host runs on the OS's core table: the full one minus the options no core call reads.
      assert.equal(host.platform, cores[p.os]);
      const { options: coreOptions, ...coreRest } = host.platform;
      const { options: allOptions, ...rest } = p;
      assert.deepEqual(coreRest, rest);
      for (const [name, constant] of Object.entries(coreOptions)) {
        assert.equal(constant, allOptions[name as OptionName], `${p.os} ${name}`);
      }
      assert.ok(Object.keys(coreOptions).length < Object.keys(allOptions).length);
    }
  });
});

describe("Deno permissions", { skip: denoOnly }, () => {
  it("import without any permission, and name --allow-ffi on the first call", async () => {
    const script = `
      import * as so from ${JSON.stringify(join(root, "mod.ts"))};
      console.log(JSON.stringify({ supported: so.isSupported() }));
      try { so.getKeepAlive(0); } catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message, isPermission: e instanceof so.PermissionError })); }
      try { so.setKeepAlive(0, { count: 500 }); } catch (e) { console.log(JSON.stringify({ name: e.name })); }
    `;
    // Deno.Command, not node:child_process: Deno's node compat grants -A to a `deno` it spawns.
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", "--no-prompt", "-"],
      cwd: tmpdir(),
      stdin: "piped",
      stdout: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(script));
    await writer.close();
    const out = new TextDecoder().decode((await child.output()).stdout);
    const [support, perm, range] = out.trim().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(support, { supported: true });
    assert.equal(perm.name, "PermissionError");
    assert.equal(perm.isPermission, true);
    assert.match(perm.message, /Deno needs --allow-ffi/);
    // Bad values are refused before libc is even loaded, so no permission is needed to see them.
    assert.deepEqual(range, { name: "RangeError" });
    assert.ok(PermissionError);
  });
});
