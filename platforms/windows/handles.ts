/**
 * The socket handles of this process, from its own handle table: what `listFds` is on Windows,
 * where a runtime exposes no socket handle and the core finds one by its addresses among
 * these.
 *
 * 1. List the process's handles: `NtQueryInformationProcess(ProcessHandleInformation)` (Windows
 *    8 and later; Wine 10 lacks it), else `NtQuerySystemInformation(SystemExtendedHandleInformation)`
 *    filtered by this process's id.
 * 2. Keep objects of type "File" (`NtQueryObject(ObjectTypeInformation)`), then those opened for
 *    overlapped I/O (`NtQueryInformationFile(FileModeInformation)`, which the I/O manager answers
 *    from the file object's flags): Winsock opens every socket so, and asking a synchronous file's
 *    name can wait behind a read pending on it (a pipe on stdin).
 * 3. Keep those named `\Device\Afd` (`NtQueryObject(ObjectNameInformation)`). Wine names no
 *    socket at all: under Wine only (ntdll exports `wine_get_version`) unnamed files are kept too,
 *    and Wine answers a socket call on a non-socket with WSAENOTSOCK at once.
 *
 * Nothing here sends a socket call to a handle; the core's probes (getsockname) reach only the
 * handles returned.
 *
 * @module
 */
import { nativeBytes } from "../../src/ffi/adapter.ts";
import type { Pointer } from "../../src/ffi/symbols.ts";
import type { FdEntry, SystemLibrary } from "../backend.ts";
import { NT } from "./constants.ts";
import type { WindowsSymbols } from "./symbols.ts";

// FILE_INFORMATION_CLASS FileModeInformation, and the FILE_MODE_INFORMATION flags of a file
// opened for synchronous I/O (`wdm.h`).
const FILE_MODE_INFORMATION = 16;
const FILE_SYNCHRONOUS_IO = 0x10 | 0x20; // FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT
// STATUS_INVALID_INFO_CLASS: this system has no such information class (Wine 10 for
// ProcessHandleInformation).
const STATUS_INVALID_INFO_CLASS = 0xc0000003 | 0;
// A few rounds are plenty: each sizes the buffer for what the last one reported.
const ROUNDS = 8;
const NAME_BYTES = 1024;

interface Buffers {
  readonly sys: SystemLibrary;
  list: Uint8Array;
  readonly listLength: Uint8Array;
  readonly name: Uint8Array;
  readonly nameLength: Uint8Array;
  readonly status: Uint8Array;
  readonly mode: Uint8Array;
}

let buffers: Buffers | undefined;
// Whether ProcessHandleInformation answered; false once the system said it has no such class.
let ownTable = true;

function ready(sys: SystemLibrary): Buffers {
  if (buffers === undefined || buffers.sys.lib !== sys.lib) {
    buffers = {
      sys,
      list: nativeBytes(sys.lib, 64 * 1024),
      listLength: nativeBytes(sys.lib, 4),
      name: nativeBytes(sys.lib, NAME_BYTES),
      nameLength: nativeBytes(sys.lib, 4),
      status: nativeBytes(sys.lib, 16), // IO_STATUS_BLOCK
      mode: nativeBytes(sys.lib, 4),
    };
  }
  return buffers;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Calls `query` with the list buffer, growing it until the answer fits; the NTSTATUS. */
function fill(b: Buffers, query: (buffer: Pointer, size: number, returned: Pointer) => number): number {
  const { lib } = b.sys;
  for (let round = 0; round < ROUNDS; round++) {
    const status = query(lib.pointerOf(b.list), b.list.length, lib.pointerOf(b.listLength));
    if (
      status !== NT.STATUS_INFO_LENGTH_MISMATCH && status !== NT.STATUS_BUFFER_TOO_SMALL &&
      status !== NT.STATUS_BUFFER_OVERFLOW
    ) {
      return status;
    }
    const wanted = view(b.listLength).getUint32(0, true);
    b.list = nativeBytes(lib, Math.max(b.list.length * 2, wanted + 64 * 1024));
  }
  throw new Error("Cannot list this process's handles: the handle table kept growing while it was read");
}

/** Every handle value of this process. */
function allHandles(b: Buffers): number[] {
  const fn = b.sys.fn as unknown as WindowsSymbols;
  if (ownTable) {
    const status = fill(b, (buffer, size, returned) =>
      // (HANDLE)-1: this process.
      fn.NtQueryInformationProcess(-1, NT.ProcessHandleInformation, buffer, size, returned));
    if (status >= 0) {
      const layout = NT.processHandleSnapshot;
      const v = view(b.list);
      const count = Number(v.getBigUint64(layout.count, true));
      const handles: number[] = [];
      for (let i = 0; i < count; i++) {
        const at = layout.entries + i * layout.entrySize;
        if (at + layout.entrySize > b.list.length) break;
        handles.push(Number(v.getBigUint64(at + layout.handleValue, true)));
      }
      return handles;
    }
    if (status !== STATUS_INVALID_INFO_CLASS) {
      throw failed("NtQueryInformationProcess(ProcessHandleInformation)", status);
    }
    ownTable = false;
  }
  const status = fill(
    b,
    (buffer, size, returned) => fn.NtQuerySystemInformation(NT.SystemExtendedHandleInformation, buffer, size, returned),
  );
  if (status < 0) throw failed("NtQuerySystemInformation(SystemExtendedHandleInformation)", status);
  const layout = NT.systemHandleInformationEx;
  const pid = fn.GetCurrentProcessId();
  const v = view(b.list);
  const count = Number(v.getBigUint64(layout.count, true));
  const handles: number[] = [];
  for (let i = 0; i < count; i++) {
    const at = layout.entries + i * layout.entrySize;
    if (at + layout.entrySize > b.list.length) break;
    if (Number(v.getBigUint64(at + layout.uniqueProcessId, true)) !== pid) continue;
    handles.push(Number(v.getBigUint64(at + layout.handleValue, true)));
  }
  return handles;
}

function failed(call: string, status: number): Error {
  return new Error(`Cannot list this process's handles: ${call} failed with NTSTATUS 0x${(status >>> 0).toString(16)}`);
}

/**
 * The UNICODE_STRING that NtQueryObject wrote at the start of the name buffer (a type name or an
 * object name), or null when the call failed. Its characters lie in the same buffer, after the
 * struct, found from its Buffer pointer and the buffer's own address.
 */
function objectString(b: Buffers, handle: number, infoClass: number): string | null {
  const { lib } = b.sys;
  const fn = b.sys.fn as unknown as WindowsSymbols;
  const at = lib.pointerOf(b.name);
  const status = fn.NtQueryObject(handle, infoClass, at, NAME_BYTES, lib.pointerOf(b.nameLength));
  if (status < 0) return null;
  const v = view(b.name);
  const length = v.getUint16(NT.unicodeString.length, true);
  if (length === 0) return "";
  const offset = Number(v.getBigUint64(NT.unicodeString.buffer, true) - BigInt(fn.address_of(at, at, 0)));
  if (offset < 0 || offset + length > NAME_BYTES) return null;
  let text = "";
  for (let i = 0; i < length; i += 2) text += String.fromCharCode(v.getUint16(offset + i, true));
  return text;
}

/** Whether a file handle was opened for overlapped I/O (never a synchronous one's name is asked). */
function overlapped(b: Buffers, handle: number): boolean {
  const { lib } = b.sys;
  const fn = b.sys.fn as unknown as WindowsSymbols;
  const status = fn.NtQueryInformationFile(
    handle,
    lib.pointerOf(b.status),
    lib.pointerOf(b.mode),
    4,
    FILE_MODE_INFORMATION,
  );
  return status >= 0 && (view(b.mode).getUint32(0, true) & FILE_SYNCHRONOUS_IO) === 0;
}

/**
 * This process's socket handles, ascending: the Windows backend's `listFds`.
 *
 * @param sys The Windows DLLs, bound.
 * @returns Each socket handle, with `socket: true`.
 * @throws {Error} when the handle table cannot be read.
 */
export function listSocketHandles(sys: SystemLibrary): FdEntry[] {
  const b = ready(sys);
  const fn = sys.fn as unknown as WindowsSymbols;
  const wine = fn.wine_get_version !== null;
  const sockets: FdEntry[] = [];
  for (const handle of allHandles(b).sort((x, y) => x - y)) {
    if (objectString(b, handle, NT.ObjectTypeInformation) !== NT.fileType || !overlapped(b, handle)) continue;
    const name = objectString(b, handle, NT.ObjectNameInformation);
    if (name === NT.afdDevice || (wine && name === "")) sockets.push({ fd: handle, socket: true });
  }
  return sockets;
}

/**
 * Whether ProcessHandleInformation lists the handles here (false once the system refused it, as
 * Wine 10 does, and the system-wide list is read instead), for tests and docs.
 * @returns Which list the last listing read.
 */
export function handleListSource(): "ProcessHandleInformation" | "SystemExtendedHandleInformation" {
  return ownTable ? "ProcessHandleInformation" : "SystemExtendedHandleInformation";
}
