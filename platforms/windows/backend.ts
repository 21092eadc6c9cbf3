/**
 * Windows: Winsock (ws2_32) for the socket calls, with `WSAGetLastError()` for the last error;
 * ntdll and kernel32 for the process's handle table (the socket handles are the fd table: where a
 * runtime exposes no socket handle, the core finds one by its addresses among them) and the
 * build number, which decides how the keep-alive times are set (platforms/windows/option_calls.ts).
 * A SOCKET is a pointer-sized handle, a small multiple of 4: it travels through the core as the
 * number an fd would be.
 *
 * @module
 */
import { nativeBytes } from "../../src/ffi/adapter.ts";
import type { Pointer } from "../../src/ffi/symbols.ts";
import type { OsBackend, SystemLibrary } from "../backend.ts";
import { NT, windowsCore } from "./constants.ts";
import { listSocketHandles } from "./handles.ts";
import { windowsOptionCalls } from "./option_calls.ts";
import { WINDOWS_PLAN, type WindowsSymbols } from "./symbols.ts";

let forcedBuild: number | undefined;

/**
 * Makes the backend act as on Windows build `build` (`undefined`: the real one), for tests that
 * run the paths of older builds (SIO_KEEPALIVE_VALS, the fixed probe count) on a newer system.
 * Takes effect when the library is next loaded (src/sys/native.ts `dropNative()`). Not exported
 * by `mod.ts`.
 *
 * @param build A build number, such as 14393 (Windows 10 1607).
 */
export function useWindowsBuild(build: number | undefined): void {
  forcedBuild = build;
}

/**
 * The Windows build number, from `RtlGetVersion` (which, unlike GetVersionEx, does not answer
 * 9200 to programs without a compatibility manifest).
 *
 * @param sys The Windows DLLs, bound.
 * @returns dwBuildNumber, such as 19045.
 */
export function windowsBuild(sys: SystemLibrary): number {
  const layout = NT.osVersionInfo;
  const info = nativeBytes(sys.lib, layout.size);
  const view = new DataView(info.buffer, info.byteOffset, info.byteLength);
  view.setUint32(0, layout.size, true);
  const status = (sys.fn as unknown as WindowsSymbols).RtlGetVersion(sys.lib.pointerOf(info));
  if (status < 0) throw new Error(`Cannot read the Windows version: RtlGetVersion failed with NTSTATUS ${status}`);
  return view.getUint32(layout.build, true);
}

let flags: { sys: SystemLibrary; bytes: Uint8Array; at: Pointer } | undefined;

/** The Windows backend. */
export const windowsBackend: OsBackend = {
  constants: windowsCore,
  library: () => WINDOWS_PLAN,
  isOpen(sys, fd) {
    if (flags === undefined || flags.sys.lib !== sys.lib) {
      const bytes = nativeBytes(sys.lib, 4);
      flags = { sys, bytes, at: sys.lib.pointerOf(bytes) };
    }
    // Fails (ERROR_INVALID_HANDLE) only for a handle that is not open.
    return (sys.fn as unknown as WindowsSymbols).GetHandleInformation(fd, flags.at) !== 0;
  },
  optionCalls: (sys) => windowsOptionCalls(sys, forcedBuild ?? windowsBuild(sys)),
  listFds: listSocketHandles,
  listedOnly: true,
};
