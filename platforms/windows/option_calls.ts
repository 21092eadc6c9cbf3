/**
 * The options Windows sets and reads otherwise than with one setsockopt/getsockopt of their
 * constant, by build:
 *
 * - Before 1709 (16299) TCP_KEEPIDLE and TCP_KEEPINTVL do not exist: both times are written at
 *   once with `WSAIoctl(SIO_KEEPALIVE_VALS)`, which also turns keep-alive on and cannot be read
 *   back. The time not given is the one sockopts last wrote to that socket (same handle, same
 *   addresses), else Windows's default (2 h idle, 1 s interval); reads answer the same way.
 * - Before 1703 (15063) TCP_KEEPCNT does not exist: the count is fixed at 10, which reads answer;
 *   setting it is UnsupportedError.
 * - Before 1607 (14393) TCP_FASTOPEN does not exist: UnsupportedError.
 * - The user timeout is TCP_MAXRTMS (ms) where the system takes it, else TCP_MAXRT (seconds);
 *   where it takes neither (Wine), UnsupportedError.
 *
 * @module
 */
import { nativeBytes } from "../../src/ffi/adapter.ts";
import type { Pointer } from "../../src/ffi/symbols.ts";
import { UnsupportedError } from "../../src/errors.ts";
import type { OptionCalls, SystemLibrary } from "../backend.ts";
import type { OptionConstant } from "../types.ts";
import { BUILD, KEEPALIVE_VALS, TCP_MAXRT, WINDOWS_FASTOPEN, windowsCore } from "./constants.ts";
import type { WindowsSymbols } from "./symbols.ts";

const WSAENOPROTOOPT = windowsCore.errno.ENOPROTOOPT;

/** The keep-alive times sockopts last wrote with SIO_KEEPALIVE_VALS, with the socket's addresses then. */
interface Written {
  readonly names: string;
  idle: number;
  interval: number;
}

interface Scratch {
  readonly sys: SystemLibrary;
  readonly fn: WindowsSymbols;
  readonly value: Uint8Array;
  readonly valuePtr: Pointer;
  readonly length: Uint8Array;
  readonly lengthPtr: Pointer;
  readonly vals: Uint8Array;
  readonly valsPtr: Pointer;
  /** WSAIoctl's lpcbBytesReturned: held here, since a pointer does not keep its memory alive. */
  readonly returned: Uint8Array;
  readonly returnedPtr: Pointer;
  readonly name: Uint8Array;
  readonly namePtr: Pointer;
  readonly nameLength: Uint8Array;
  readonly nameLengthPtr: Pointer;
  readonly written: Map<number, Written>;
}

function scratch(sys: SystemLibrary): Scratch {
  const { lib } = sys;
  const bytes = (size: number) => nativeBytes(lib, size);
  const value = bytes(4);
  const length = bytes(4);
  const vals = bytes(KEEPALIVE_VALS.size);
  const name = bytes(256);
  const nameLength = bytes(4);
  const returned = bytes(4);
  return {
    sys,
    fn: sys.fn as unknown as WindowsSymbols,
    value,
    valuePtr: lib.pointerOf(value),
    length,
    lengthPtr: lib.pointerOf(length),
    vals,
    valsPtr: lib.pointerOf(vals),
    returned,
    returnedPtr: lib.pointerOf(returned),
    name,
    namePtr: lib.pointerOf(name),
    nameLength,
    nameLengthPtr: lib.pointerOf(nameLength),
    written: new Map(),
  };
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function setDword(s: Scratch, fd: number, level: number, optname: number, value: number): number {
  view(s.value).setInt32(0, value, true);
  return s.fn.setsockopt(fd, level, optname, s.valuePtr, 4);
}

function getDword(s: Scratch, fd: number, level: number, optname: number, into: Int32Array): number {
  view(s.value).setInt32(0, 0, true);
  view(s.length).setInt32(0, 4, true);
  if (s.fn.getsockopt(fd, level, optname, s.valuePtr, s.lengthPtr) !== 0) return -1;
  into[0] = view(s.length).getInt32(0, true) === 1 ? s.value[0] : view(s.value).getInt32(0, true);
  return 0;
}

/** Both addresses of a socket as text, to tell whether a handle still holds the socket written to. */
function names(s: Scratch, fd: number): string {
  let text = "";
  for (const call of [s.fn.getsockname, s.fn.getpeername]) {
    view(s.nameLength).setInt32(0, s.name.length, true);
    if (call(fd, s.namePtr, s.nameLengthPtr) !== 0) return "";
    const length = view(s.nameLength).getInt32(0, true);
    for (let i = 0; i < length; i++) text += s.name[i].toString(16).padStart(2, "0");
    text += "/";
  }
  return text;
}

function written(s: Scratch, fd: number): Written {
  const current = names(s, fd);
  const known = s.written.get(fd);
  // A handle closed and given to another socket since is not the socket written to.
  if (known !== undefined && known.names === current && current !== "") return known;
  return {
    names: current,
    idle: KEEPALIVE_VALS.defaultIdleMs / 1000,
    interval: KEEPALIVE_VALS.defaultIntervalMs / 1000,
  };
}

/** Writes both keep-alive times (seconds) with SIO_KEEPALIVE_VALS, which turns keep-alive on. */
function keepAliveVals(s: Scratch, fd: number, which: "idle" | "interval", seconds: number): number {
  const times = written(s, fd);
  const next = { ...times, [which]: seconds };
  const v = view(s.vals);
  v.setUint32(0, 1, true); // onoff
  v.setUint32(4, next.idle * 1000, true); // keepalivetime, ms
  v.setUint32(8, next.interval * 1000, true); // keepaliveinterval, ms
  const none = null as unknown as Pointer;
  const ok = s.fn.WSAIoctl(fd, KEEPALIVE_VALS.code, s.valsPtr, KEEPALIVE_VALS.size, none, 0, s.returnedPtr, none, none);
  if (ok !== 0) return -1;
  s.written.set(fd, next);
  return 0;
}

function unsupported(option: string, why: string): UnsupportedError {
  return new UnsupportedError(`Unsupported option: ${option} ${why}`, "windows", option);
}

function buildName(build: number): string {
  return build === BUILD.v1709 ? "1709" : build === BUILD.v1703 ? "1703" : "1607";
}

/** An option this build lacks altogether. */
function missing(option: string, constant: OptionConstant, build: number, detail = ""): OptionCalls {
  const why = `needs Windows 10 ${buildName(constant.minBuild!)} (build ${constant.minBuild}) or later, ` +
    `and this is build ${build}${detail}`;
  return {
    set: () => {
      throw unsupported(option, why);
    },
    get: () => {
      throw unsupported(option, why);
    },
  };
}

/** The user timeout: TCP_MAXRTMS, else TCP_MAXRT, else UnsupportedError. */
function userTimeout(s: Scratch, constant: OptionConstant, build: number): OptionCalls {
  const { level, optname } = constant;
  const neither = () =>
    unsupported(
      "TCP_USER_TIMEOUT",
      `is refused by this Windows (build ${build}): neither TCP_MAXRTMS nor TCP_MAXRT is implemented ` +
        `(WSAENOPROTOOPT; Wine implements neither)`,
    );
  return {
    set(fd, ms) {
      if (setDword(s, fd, level, optname, ms) === 0) return 0;
      if (s.sys.lib.errno() !== WSAENOPROTOOPT) return -1;
      if (setDword(s, fd, TCP_MAXRT.level, TCP_MAXRT.optname, Math.ceil(ms / 1000)) === 0) return 0;
      if (s.sys.lib.errno() !== WSAENOPROTOOPT) return -1;
      throw neither();
    },
    get(fd, into) {
      if (getDword(s, fd, level, optname, into) === 0) return 0;
      if (s.sys.lib.errno() !== WSAENOPROTOOPT) return -1;
      if (getDword(s, fd, TCP_MAXRT.level, TCP_MAXRT.optname, into) === 0) {
        // -1 s: retransmit for ever, kept as -1.
        if (into[0] !== -1) into[0] *= 1000;
        return 0;
      }
      if (s.sys.lib.errno() !== WSAENOPROTOOPT) return -1;
      throw neither();
    },
  };
}

/**
 * The Windows backend's option calls for this build.
 *
 * @param sys The Windows DLLs, bound.
 * @param build The Windows build number.
 * @returns The options to set and read some other way, by their constant.
 */
export function windowsOptionCalls(sys: SystemLibrary, build: number): Map<OptionConstant, OptionCalls> {
  const s = scratch(sys);
  const o = windowsCore.options;
  const calls = new Map<OptionConstant, OptionCalls>();
  calls.set(o.TCP_USER_TIMEOUT!, userTimeout(s, o.TCP_USER_TIMEOUT!, build));
  if (build < o.TCP_KEEPIDLE!.minBuild!) {
    for (const [name, which] of [["TCP_KEEPIDLE", "idle"], ["TCP_KEEPINTVL", "interval"]] as const) {
      calls.set(o[name]!, {
        set: (fd, seconds) => keepAliveVals(s, fd, which, seconds),
        get(fd, into) {
          // A closed or foreign handle fails here as it would in getsockopt.
          if (getDword(s, fd, o.SO_KEEPALIVE!.level, o.SO_KEEPALIVE!.optname, into) !== 0) return -1;
          into[0] = written(s, fd)[which];
          return 0;
        },
      });
    }
  }
  if (build < o.TCP_KEEPCNT!.minBuild!) {
    const count = o.TCP_KEEPCNT!;
    calls.set(count, {
      set: missing("TCP_KEEPCNT", count, build, `; the count stays at ${KEEPALIVE_VALS.fixedCount}`).set,
      get(fd, into) {
        if (getDword(s, fd, o.SO_KEEPALIVE!.level, o.SO_KEEPALIVE!.optname, into) !== 0) return -1;
        into[0] = KEEPALIVE_VALS.fixedCount;
        return 0;
      },
    });
  }
  if (build < WINDOWS_FASTOPEN.minBuild!) {
    calls.set(WINDOWS_FASTOPEN, missing("TCP_FASTOPEN", WINDOWS_FASTOPEN, build));
  }
  return calls;
}
