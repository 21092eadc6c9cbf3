/**
 * Finding a socket's Winsock SOCKET when the runtime does not expose it (Deno, Node): list the
 * process's own handles, keep File objects named \Device\Afd (asked with NtQueryObject, which
 * sends nothing to the object's driver), and only then match getsockname/getpeername. A blind
 * getsockname on every handle would also reach pipes and files, and on real Windows an ioctl on
 * a synchronous file handle can block. Wine names its sockets "" (no \Device\Afd): under Wine
 * (and only there) unnamed File objects are candidates too, and Wine's getsockname answers
 * WSAENOTSOCK for a non-socket at once.
 *
 * @module
 */
import { windows } from "../../platforms/windows/constants.ts";
import type { WindowsFfi } from "./ffi.ts";

const NT = windows.nt;

/** How the handle list was read, and what it held. */
export interface HandleList {
  readonly method: "ProcessHandleInformation" | "SystemExtendedHandleInformation";
  /** NTSTATUS of the call that filled the list (0 = STATUS_SUCCESS). */
  readonly status: number;
  readonly handles: readonly number[];
}

/** Calls `query(buffer, size, returnLength)` with a growing buffer until it fits. */
function grow(w: WindowsFfi, first: number, query: (b: Uint8Array, size: number, ret: Uint8Array) => number) {
  let size = first;
  for (let i = 0; i < 12; i++) {
    const buffer = w.alloc(size);
    const ret = w.alloc(4);
    const status = query(buffer, size, ret);
    if (
      status === NT.STATUS_INFO_LENGTH_MISMATCH || status === NT.STATUS_BUFFER_TOO_SMALL ||
      status === NT.STATUS_BUFFER_OVERFLOW
    ) {
      size = Math.max(size * 2, new DataView(ret.buffer, ret.byteOffset).getUint32(0, true) + 4096);
      continue;
    }
    return { status, buffer };
  }
  throw new Error(`Cannot list handles: the buffer still did not fit at ${size} bytes`);
}

/** This process's handles through NtQueryInformationProcess(ProcessHandleInformation), Windows 8+. */
export function ownHandles(w: WindowsFfi): HandleList {
  const layout = NT.processHandleSnapshot;
  const { status, buffer } = grow(
    w,
    64 * 1024,
    (b, size, ret) => w.nt.NtQueryInformationProcess(-1, NT.ProcessHandleInformation, b, size, ret),
  );
  if (status < 0) return { method: "ProcessHandleInformation", status, handles: [] };
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const count = Number(view.getBigUint64(layout.count, true));
  const handles: number[] = [];
  for (let i = 0; i < count; i++) {
    handles.push(Number(view.getBigUint64(layout.entries + i * layout.entrySize + layout.handleValue, true)));
  }
  return { method: "ProcessHandleInformation", status, handles };
}

/** This process's handles from NtQuerySystemInformation(SystemExtendedHandleInformation), by pid. */
export function systemHandles(w: WindowsFfi): HandleList {
  const layout = NT.systemHandleInformationEx;
  const pid = w.k32.GetCurrentProcessId();
  const { status, buffer } = grow(
    w,
    1024 * 1024,
    (b, size, ret) => w.nt.NtQuerySystemInformation(NT.SystemExtendedHandleInformation, b, size, ret),
  );
  if (status < 0) return { method: "SystemExtendedHandleInformation", status, handles: [] };
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const count = Number(view.getBigUint64(layout.count, true));
  const handles: number[] = [];
  for (let i = 0; i < count; i++) {
    const at = layout.entries + i * layout.entrySize;
    if (at + layout.entrySize > buffer.byteLength) break;
    if (Number(view.getBigUint64(at + layout.uniqueProcessId, true)) !== pid) continue;
    handles.push(Number(view.getBigUint64(at + layout.handleValue, true)));
  }
  return { method: "SystemExtendedHandleInformation", status, handles };
}

/**
 * The UNICODE_STRING NtQueryObject writes at the start of its buffer (type or object name);
 * `null` when the call fails. Its Buffer points into the same block, after the struct.
 */
export function objectString(w: WindowsFfi, handle: number, infoClass: number): string | null {
  const size = 2048;
  const buffer = w.alloc(size);
  const ret = w.alloc(4);
  const status = w.nt.NtQueryObject(handle, infoClass, buffer, size, ret);
  if (status < 0) return null;
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const length = view.getUint16(NT.unicodeString.length, true);
  if (length === 0) return "";
  const offset = Number(view.getBigUint64(NT.unicodeString.buffer, true) - w.addressOf(buffer));
  if (offset < 0 || offset + length > size) return null;
  return new TextDecoder("utf-16le").decode(buffer.subarray(offset, offset + length));
}

/** An IPv4 address and port, as getsockname/getpeername report them. */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** getsockname or getpeername of a SOCKET, IPv4 only; `null` on failure. */
export function endpoint(w: WindowsFfi, socket: number, which: "getsockname" | "getpeername"): Endpoint | null {
  const address = w.alloc(128);
  const length = w.alloc(4);
  new DataView(length.buffer, length.byteOffset).setInt32(0, 128, true);
  if (w.ws2[which](socket, address, length) !== 0) return null;
  const view = new DataView(address.buffer, address.byteOffset, address.byteLength);
  if (view.getUint16(0, true) !== windows.AF_INET) return null;
  return { address: address.subarray(4, 8).join("."), port: view.getUint16(2, false) };
}

/** What the search saw: every handle, the File objects, the socket candidates (\Device\Afd, or
 * unnamed under Wine), and the match. */
export interface SocketSearch {
  readonly list: HandleList;
  readonly files: number;
  readonly afd: readonly number[];
  readonly match: number | null;
}

/** The SOCKET whose local and peer ports are these, among the \Device\Afd handles in `list`. */
export function findSocket(w: WindowsFfi, list: HandleList, local: number, peer: number): SocketSearch {
  let files = 0;
  const afd: number[] = [];
  for (const handle of list.handles) {
    if (objectString(w, handle, NT.ObjectTypeInformation) !== "File") continue;
    files++;
    const name = objectString(w, handle, NT.ObjectNameInformation);
    if (name === NT.afdDevice || (w.wine && name === "")) afd.push(handle);
  }
  let match: number | null = null;
  for (const handle of afd) {
    if (endpoint(w, handle, "getsockname")?.port !== local) continue;
    if (endpoint(w, handle, "getpeername")?.port !== peer) continue;
    match = handle;
  }
  return { list, files, afd, match };
}
