/**
 * This process's open file descriptors, as the kernel itself lists them: Linux's `/proc/self/fd`,
 * FreeBSD's per-process file table (`sysctl` KERN_PROC_FILEDESC) and macOS's `proc_pidinfo`
 * PROC_PIDLISTFDS. FreeBSD's `/dev/fd` lists only 0, 1 and 2 unless fdescfs is mounted, which it
 * is not by default, so a directory is trusted only once it lists the fd it was read through.
 *
 * @module
 */
import type { KinfoFileLayout, ProcFdInfoLayout } from "../../platforms/types.ts";
import type { Library } from "../ffi/adapter.ts";
import type { Pointer } from "../ffi/symbols.ts";
import { getNative, type Native, nativeBytes } from "./native.ts";

/** One entry of the kernel's file table. */
export interface FdEntry {
  /** The descriptor. */
  readonly fd: number;
  /** Whether the kernel says it is a socket (FreeBSD, macOS); `undefined` where it does not say (Linux). */
  readonly socket?: boolean;
}

/**
 * Decodes FreeBSD's packed `struct kinfo_file` records (KERN_PROC_FILEDESC): one record every
 * `kf_structsize` bytes, skipping the entries for the cwd, root, jail, text and ctty (negative
 * `kf_fd`).
 *
 * @param layout The offsets from `platforms/freebsd.ts`.
 * @param bytes The records as the kernel wrote them.
 * @param length How many bytes the kernel wrote (the `oldlenp` it returned).
 * @returns The open descriptors, in the kernel's order (ascending).
 * @throws {Error} for a record whose size is impossible (a layout that does not match the kernel).
 */
export function decodeKinfoFiles(layout: KinfoFileLayout, bytes: Uint8Array, length: number): FdEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, Math.min(length, bytes.length));
  const entries: FdEntry[] = [];
  for (let at = 0; at + layout.fd + 4 <= view.byteLength;) {
    const size = view.getInt32(at + layout.structsize, true);
    if (size < layout.fd + 4 || size > layout.size || size % 8 !== 0) {
      throw new Error(`Cannot read the file table: a kinfo_file record at byte ${at} claims ${size} bytes`);
    }
    const fd = view.getInt32(at + layout.fd, true);
    if (fd >= 0) entries.push({ fd, socket: view.getInt32(at + layout.type, true) === layout.typeSocket });
    at += size;
  }
  return entries;
}

/**
 * Decodes macOS's `struct proc_fdinfo` array (PROC_PIDLISTFDS).
 *
 * @param layout The offsets from `platforms/darwin.ts`.
 * @param bytes The array as the kernel wrote it.
 * @param length How many bytes `proc_pidinfo` returned.
 * @returns The open descriptors.
 */
export function decodeProcFdInfo(layout: ProcFdInfoLayout, bytes: Uint8Array, length: number): FdEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, Math.min(length, bytes.length));
  const entries: FdEntry[] = [];
  for (let at = 0; at + layout.size <= view.byteLength; at += layout.size) {
    entries.push({
      fd: view.getInt32(at + layout.fd, true),
      socket: view.getUint32(at + layout.type, true) === layout.typeSocket,
    });
  }
  return entries;
}

// The directory read, NUL-terminated, and the bytes a pointer to it is taken from.
let directory: string | undefined;
let directoryBytes: Uint8Array | undefined;
let directoryLib: Library | undefined;

/**
 * Points the listing at another directory of fd numbers, or back at the platform's own
 * (`undefined`). For tests, which reproduce FreeBSD's fdescfs-less `/dev/fd` with a folder
 * holding only 0, 1 and 2.
 *
 * @param path The directory, or `undefined` for the platform's.
 */
export function useFdDirectory(path: string | undefined): void {
  directory = path;
  directoryBytes = undefined;
}

/**
 * The directory {@link useFdDirectory} set, or `undefined` for the platform's own.
 * @returns The directory tests pointed the listing at, if any.
 */
export function fdDirectoryOverride(): string | undefined {
  return directory;
}

// fd numbers have at most 10 digits; d_name is read a few bytes at a time, without a string.
const NAME = /* @__PURE__ */ new Uint8Array(12);

function listDirectory(
  lib: Library,
  fn: Native["fn"],
  path: string,
  nameOffset: number,
): number[] {
  // Native memory belongs to the library that allocated it (tests reload libc for other hosts).
  if (directoryBytes === undefined || directoryLib !== lib) {
    directoryLib = lib;
    const encoded = new TextEncoder().encode(`${path}\0`);
    directoryBytes = nativeBytes(lib, encoded.length);
    directoryBytes.set(encoded);
  }
  const dir = fn.opendir(lib.pointerOf(directoryBytes));
  if (lib.isNull(dir)) throw new Error(`Cannot list open file descriptors: opendir(${path}) failed`);
  const fds: number[] = [];
  // The stream's own fd is open while it is read, so a listing without it is not this process's.
  const own = fn.dirfd === undefined ? -1 : fn.dirfd(dir);
  let sawOwn = false;
  try {
    for (;;) {
      const entry = fn.readdir(dir);
      if (lib.isNull(entry)) break;
      lib.copyInto(entry, nameOffset, NAME);
      let fd = 0;
      let digits = 0;
      for (; digits < NAME.length; digits++) {
        const c = NAME[digits];
        if (c < 48 || c > 57) break;
        fd = fd * 10 + c - 48;
      }
      // "." and "..", or anything else that is not a plain number, end before a digit or after.
      if (digits === 0 || NAME[digits] !== 0) continue;
      if (fd === own) sawOwn = true;
      else fds.push(fd);
    }
  } finally {
    fn.closedir(dir);
  }
  fds.sort((a, b) => a - b);
  if (own >= 0 && !sawOwn) {
    throw new Error(
      `Cannot list open file descriptors: ${path} lists ${fds.length} fds (${fds.slice(0, 8).join(", ")}` +
        `${fds.length > 8 ? ", …" : ""}) but not fd ${own} it was read through, so it is not this ` +
        `process's full fd table (is procfs mounted?)`,
    );
  }
  return fds;
}

// A few rounds are plenty: each one sizes the buffer for what the kernel just reported.
const ROUNDS = 8;

function listKinfoFiles(layout: KinfoFileLayout): FdEntry[] {
  const n = getNative("sysctl");
  const sysctl = n.fn.sysctl!;
  const mib = nativeBytes(n.lib, 16);
  const mibView = new DataView(mib.buffer, mib.byteOffset, 16);
  [...layout.mib, n.fn.getpid!()].forEach((value, i) => mibView.setInt32(i * 4, value, true));
  const mibPtr = n.lib.pointerOf(mib);
  const lenBytes = nativeBytes(n.lib, 8);
  const lenView = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8);
  const lenPtr = n.lib.pointerOf(lenBytes);
  const none = null as unknown as Pointer;
  if (sysctl(mibPtr, 4, none, lenPtr, none, 0) !== 0) fail("sysctl(KERN_PROC_FILEDESC)", n.lib.errno());
  let capacity = Number(lenView.getBigUint64(0, true));
  for (let round = 0; round < ROUNDS; round++) {
    // Room for the fds opened since, and at least one whole record of slack: the kernel stops
    // (without an error) at the first record that does not fit, so a full buffer may be cut short.
    capacity = Math.ceil(capacity * 4 / 3) + layout.size * 4;
    const bytes = nativeBytes(n.lib, capacity);
    lenView.setBigUint64(0, BigInt(capacity), true);
    if (sysctl(mibPtr, 4, n.lib.pointerOf(bytes), lenPtr, none, 0) !== 0) {
      const errno = n.lib.errno();
      if (errno === n.platform.errno.ENOMEM) continue;
      fail("sysctl(KERN_PROC_FILEDESC)", errno);
    }
    const length = Number(lenView.getBigUint64(0, true));
    if (length + layout.size <= capacity) return decodeKinfoFiles(layout, bytes, length);
    capacity = length;
  }
  throw new Error("Cannot list open file descriptors: the file table kept growing while it was read");
}

function listProcFds(layout: ProcFdInfoLayout): FdEntry[] {
  const n = getNative("proc_pidinfo");
  const info = n.fn.proc_pidinfo!;
  const pid = n.fn.getpid!();
  const none = null as unknown as Pointer;
  // With no buffer, proc_pidfdlist answers (open fds + 20) records' worth of bytes.
  let capacity = info(pid, layout.flavor, 0, none, 0);
  if (capacity <= 0) fail("proc_pidinfo(PROC_PIDLISTFDS)", n.lib.errno());
  for (let round = 0; round < ROUNDS; round++) {
    const bytes = nativeBytes(n.lib, capacity);
    const written = info(pid, layout.flavor, 0, n.lib.pointerOf(bytes), capacity);
    if (written <= 0) fail("proc_pidinfo(PROC_PIDLISTFDS)", n.lib.errno());
    // It fills at most the buffer and says nothing of what did not fit: only room to spare proves
    // the list whole.
    if (written + layout.size <= capacity) return decodeProcFdInfo(layout, bytes, written);
    capacity *= 2;
  }
  throw new Error("Cannot list open file descriptors: the fd list kept growing while it was read");
}

function fail(call: string, errno: number): never {
  throw new Error(`Cannot list open file descriptors: ${call} failed with errno ${errno}`);
}

/**
 * Every open fd of this process, from the kernel's own table.
 *
 * @returns The descriptors, each with whether it is a socket where the kernel says so.
 * @throws {Error} when the kernel's table cannot be read, or a directory listing proves incomplete.
 */
export function listFdEntries(): FdEntry[] {
  const n = getNative("opendir");
  const listing = n.platform.fdListing;
  if (directory === undefined && listing.kind === "kinfo_file") return listKinfoFiles(listing.layout);
  if (directory === undefined && listing.kind === "proc_pidinfo") return listProcFds(listing.layout);
  const path = directory ?? n.platform.fdDirectory;
  return listDirectory(n.lib, n.fn, path, n.platform.direntNameOffset).map((fd) => ({ fd }));
}

/**
 * Every open fd number of this process, from the kernel's own table.
 *
 * @returns The descriptors.
 * @throws {Error} when the kernel's table cannot be read, or a directory listing proves incomplete.
 */
export function listFds(): number[] {
  return listFdEntries().map((entry) => entry.fd);
}
