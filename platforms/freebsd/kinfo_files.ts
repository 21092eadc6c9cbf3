/**
 * FreeBSD's file table, read from the kernel: `sysctl` KERN_PROC_FILEDESC (`<sys/sysctl.h>`,
 * `<sys/user.h>` struct kinfo_file). FreeBSD's `/dev/fd` lists only 0, 1 and 2 unless fdescfs is
 * mounted, which it is not by default.
 *
 * @module
 */
import { nativeBytes } from "../../src/ffi/adapter.ts";
import type { Pointer } from "../../src/ffi/symbols.ts";
import { type FdEntry, listingFailed, type SystemLibrary } from "../backend.ts";
import type { KinfoFileLayout } from "../types.ts";

// A few rounds are plenty: each one sizes the buffer for what the kernel just reported.
const ROUNDS = 8;

/**
 * Decodes FreeBSD's packed `struct kinfo_file` records (KERN_PROC_FILEDESC): one record every
 * `kf_structsize` bytes, skipping the entries for the cwd, root, jail, text and ctty (negative
 * `kf_fd`).
 *
 * @param layout The offsets from `platforms/freebsd/constants.ts`.
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
 * Every open fd of this process from FreeBSD's per-process file table (`sysctl` KERN_PROC_FILEDESC).
 * @param n libc, bound.
 * @param layout The offsets from `constants.ts`.
 */
export function listKinfoFiles(n: SystemLibrary, layout: KinfoFileLayout): FdEntry[] {
  const sysctl = n.fn.sysctl!;
  const mib = nativeBytes(n.lib, 16);
  const mibView = new DataView(mib.buffer, mib.byteOffset, 16);
  [...layout.mib, n.fn.getpid!()].forEach((value, i) => mibView.setInt32(i * 4, value, true));
  const mibPtr = n.lib.pointerOf(mib);
  const lenBytes = nativeBytes(n.lib, 8);
  const lenView = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8);
  const lenPtr = n.lib.pointerOf(lenBytes);
  const none = null as unknown as Pointer;
  if (sysctl(mibPtr, 4, none, lenPtr, none, 0) !== 0) throw listingFailed("sysctl(KERN_PROC_FILEDESC)", n.lib.errno());
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
      throw listingFailed("sysctl(KERN_PROC_FILEDESC)", errno);
    }
    const length = Number(lenView.getBigUint64(0, true));
    if (length + layout.size <= capacity) return decodeKinfoFiles(layout, bytes, length);
    capacity = length;
  }
  throw new Error("Cannot list open file descriptors: the file table kept growing while it was read");
}
