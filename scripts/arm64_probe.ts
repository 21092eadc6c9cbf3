/**
 * Asks the kernel, through sockopts' own FFI calls, for the three things user-mode emulators are
 * known to mistranslate, and whether this runtime can start a copy of itself. Run once under the
 * emulated runtime and once natively by `scripts/test_arm64.ts`: a gap is what fails under the
 * emulator only. Prints one JSON line.
 *
 * Run with `deno run -A scripts/arm64_probe.ts` or `bun scripts/arm64_probe.ts`.
 */
import { spawnSync } from "node:child_process";
import { createServer, Socket } from "node:net";
import type { OptionConstant } from "../platforms/types.ts";
import { fdOf, getOption, options, setOption } from "../mod.ts";
import { getBytes } from "../src/sys/libc.ts";
import { VALUE_CAPACITY } from "../src/sys/native.ts";
import { currentHost } from "../src/sys/host.ts";
import { tcpInfoLayout } from "../src/options/tcp_info.ts";

function attempt(run: () => unknown): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    return { ok: false, error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

const server = createServer();
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const port = (server.address() as { port: number }).port;
const socket = new Socket();
await new Promise<void>((resolve) => socket.connect(port, "127.0.0.1", resolve));
const fd = fdOf(socket);
const { platform } = currentHost();
const info: OptionConstant = {
  native: tcpInfoLayout(platform.os).native,
  level: platform.IPPROTO_TCP,
  optname: tcpInfoLayout(platform.os).optname,
  unit: "struct",
  min: 0,
  max: 0,
  readOnly: true,
};

const report = {
  arch: process.arch,
  // Linux writes 232 bytes or more of struct tcp_info; qemu has been seen to write 4.
  tcpInfoBytes: attempt(() => getBytes(fd, "TCP_INFO", info, VALUE_CAPACITY)),
  soCookie: attempt(() => String(getOption(fd, "SO_COOKIE"))),
  // Setting the algorithm the socket already has changes nothing, and needs no privilege.
  congestionSet: attempt(() => setOption(fd, "TCP_CONGESTION", getOption(fd, "TCP_CONGESTION"))),
  // Linux writes the whole 16-byte name buffer; qemu has been seen to treat it as a 4-byte int.
  congestionBytes: attempt(() => {
    const constant = options.TCP_CONGESTION.os[platform.os]!;
    return getBytes(fd, "TCP_CONGESTION", constant, constant.size ?? 16);
  }),
  // The tests start children with process.execPath; under user-mode emulation without binfmt_misc
  // the kernel cannot run a foreign binary (ENOEXEC).
  spawnSelf: attempt(() => {
    const child = spawnSync(process.execPath, ["--version"], { encoding: "utf8" });
    if (child.error !== undefined) throw child.error;
    if (child.status !== 0) throw new Error(`${process.execPath} --version exited with ${child.status}`);
    return child.status;
  }),
};
socket.destroy();
server.close();
console.log(JSON.stringify(report));
