/**
 * macOS's file table, read from the kernel: `proc_pidinfo` PROC_PIDLISTFDS (`<sys/proc_info.h>`
 * struct proc_fdinfo).
 *
 * @module
 */
import { nativeBytes } from "../../src/ffi/adapter.ts";
import type { Pointer } from "../../src/ffi/symbols.ts";
import { type FdEntry, listingFailed, type SystemLibrary } from "../backend.ts";
import type { ProcFdInfoLayout } from "../types.ts";

// A few rounds are plenty: each one sizes the buffer for what the kernel just reported.
const ROUNDS = 8;

/**
 * Decodes macOS's `struct proc_fdinfo` array (PROC_PIDLISTFDS).
 *
 * @param layout The offsets from `platforms/darwin/constants.ts`.
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

/**
 * Every open fd of this process from macOS's `proc_pidinfo` PROC_PIDLISTFDS.
 * @param n libSystem, bound.
 * @param layout The offsets from `constants.ts`.
 */
export function listProcFds(n: SystemLibrary, layout: ProcFdInfoLayout): FdEntry[] {
  const info = n.fn.proc_pidinfo!;
  const pid = n.fn.getpid!();
  const none = null as unknown as Pointer;
  // With no buffer, proc_pidfdlist answers (open fds + 20) records' worth of bytes.
  let capacity = info(pid, layout.flavor, 0, none, 0);
  if (capacity <= 0) throw listingFailed("proc_pidinfo(PROC_PIDLISTFDS)", n.lib.errno());
  for (let round = 0; round < ROUNDS; round++) {
    const bytes = nativeBytes(n.lib, capacity);
    const written = info(pid, layout.flavor, 0, n.lib.pointerOf(bytes), capacity);
    if (written <= 0) throw listingFailed("proc_pidinfo(PROC_PIDLISTFDS)", n.lib.errno());
    // It fills at most the buffer and says nothing of what did not fit: only room to spare proves
    // the list whole.
    if (written + layout.size <= capacity) return decodeProcFdInfo(layout, bytes, written);
    capacity *= 2;
  }
  throw new Error("Cannot list open file descriptors: the fd list kept growing while it was read");
}
