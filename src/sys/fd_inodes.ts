/**
 * The one fd-by-inode index: what statx last found at each fd number of this process (a socket's
 * inode, 0 for anything else open, {@link FREE}, or {@link UNSEEN}), shared by handle lookups
 * (inode_lookup.ts) and the policy's ticks (policy_scan.ts). Both use it for one thing: where to
 * look first. Nothing is ever answered from it: whoever finds a socket here has just read it from
 * the kernel (and then checks its addresses or cookie), so a stale entry can cost a probe but never
 * name the wrong socket.
 *
 * @module
 */
import { sockDiag } from "./sock_diag.ts";

/** Never read since the index last forgot (or above the highest fd read). */
export const UNSEEN = -2;
/** Not open when last read, or its socket has closed since. */
export const FREE = -1;

let at: Float64Array = /* @__PURE__ */ new Float64Array(0);
let highest = -1;
let probes = 0;

function grow(fd: number): void {
  const grown = new Float64Array(Math.max(fd + 1, at.length * 2, 256)).fill(UNSEEN);
  grown.set(at);
  at = grown;
}

/**
 * Reads `fd` now (one statx) and records what it holds.
 * @returns The socket's inode, 0 for anything else open, or {@link FREE}.
 */
export function look(fd: number): number {
  probes++;
  if (fd >= at.length) grow(fd);
  const inode = sockDiag()!.socketInode(fd);
  at[fd] = inode;
  if (inode >= 0 && fd > highest) highest = fd;
  return inode;
}

/** What `fd` held when last read: an inode, 0, {@link FREE} or {@link UNSEEN}. */
export function known(fd: number): number {
  return fd < at.length ? at[fd] : UNSEEN;
}

/** Notes that the socket at `fd` closed (a dump no longer shows it): the next socket may get the number. */
export function freed(fd: number): void {
  if (fd < at.length) at[fd] = FREE;
}

/** One past the highest fd number the index has an entry for (read, or freed). */
export function extent(): number {
  return at.length;
}

/** The highest fd number read open since the index last forgot, or -1. */
export function highestOpen(): number {
  return highest;
}

/** Forgets everything, before a full listing reads every fd again. */
export function forget(): void {
  at.fill(UNSEEN);
  highest = -1;
}

/** How many statx the index has made, for tests and the benchmark. */
export function indexProbes(): number {
  return probes;
}
