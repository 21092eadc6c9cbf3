/**
 * The netlink pieces Linux's sock_diag view shares between its dumps, its questions and its
 * readers: the constants, the request, and the one walk over the kernel's messages.
 *
 * Constants: `<linux/netlink.h>` (NETLINK_SOCK_DIAG, nlmsghdr, NLM_F_*, NLMSG_DONE/ERROR),
 * `<linux/sock_diag.h>` (SOCK_DIAG_BY_FAMILY), `<linux/inet_diag.h>` (inet_diag_req_v2),
 * `<bits/socket.h>` (AF_NETLINK, SOCK_CLOEXEC).
 *
 * @module
 */
import type { Pointer } from "../../src/ffi/symbols.ts";
import { REC, type SystemLibrary } from "../backend.ts";

export const AF_NETLINK = 16;
export const SOCK_RAW = 3;
export const SOCK_CLOEXEC = 0o2000000;
export const NETLINK_SOCK_DIAG = 4;
export const SOCK_DIAG_BY_FAMILY = 20;
/** TCPDIAG_GETSOCK (<linux/inet_diag.h>): the older request, whose dump walks both families at once. */
export const TCPDIAG_GETSOCK = 18;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_DUMP = 0x300; // NLM_F_ROOT | NLM_F_MATCH
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const IPPROTO_TCP = 6;
export const AF_INET = 2;
export const AF_INET6 = 10;
// Every state but TIME_WAIT (6) and NEW_SYN_RECV (12): those are not sockets anyone holds (inode 0).
export const STATES = 0xfff & ~(1 << 6);

/** How many bytes one recv (or getdents64) of the view reads. */
export const BUFFER = 64 * 1024;

/** What sending a request needs: the library and one 72-byte request area. */
export interface Netlink {
  readonly n: SystemLibrary;
  readonly request: Uint8Array;
  readonly requestPtr: Pointer;
  /** `/proc/self/fd`, NUL-terminated. */
  readonly fdDirPtr: Pointer;
}

/** Where the records of a reply start, as {@link walk} notes them. */
export interface Records {
  offsets: Int32Array;
  count: number;
}

/** Writes a SOCK_DIAG_BY_FAMILY request for TCP sockets of `family` into `d.request`. */
export function writeRequest(d: Netlink, family: number, flags = NLM_F_DUMP, states = STATES): DataView {
  const v = new DataView(d.request.buffer);
  d.request.fill(0);
  v.setUint32(0, 72, true); // nlmsg_len
  v.setUint16(4, SOCK_DIAG_BY_FAMILY, true); // nlmsg_type
  v.setUint16(6, NLM_F_REQUEST | flags, true); // nlmsg_flags
  v.setUint32(8, 1, true); // nlmsg_seq
  d.request[16] = family; // sdiag_family
  d.request[17] = IPPROTO_TCP; // sdiag_protocol
  v.setUint32(20, states, true); // idiag_states; the socket id (24..72) stays zero: all sockets
  return v;
}

/** {@link walk}: the reply goes on in the next recv. */
export const MORE = -1;
/** {@link walk}: NLMSG_DONE (or a truncated header) ended the reply. */
export const DONE = 0;

/**
 * The one walk over netlink messages: notes where each SOCK_DIAG_BY_FAMILY record of
 * `view[start..end)` starts, appending to `into`. Locals, not `into`, in the loop: a dump runs it
 * for every TCP socket of the namespace.
 * @returns {@link MORE}, {@link DONE}, or the errno of an NLMSG_ERROR (positive).
 */
export function walk(v: DataView, start: number, end: number, into: Records): number {
  let offsets = into.offsets;
  let count = into.count;
  let status = MORE;
  for (let at = start; at + 16 <= end;) {
    const len = v.getUint32(at, true);
    const type = v.getUint16(at + 4, true);
    if (len < 16 || type === NLMSG_DONE) {
      status = DONE;
      break;
    }
    if (type === NLMSG_ERROR) {
      status = -v.getInt32(at + 16, true);
      break;
    }
    if ((type === SOCK_DIAG_BY_FAMILY || type === TCPDIAG_GETSOCK) && len >= 16 + REC.size) {
      if (count === offsets.length) {
        const bigger = new Int32Array(offsets.length * 2);
        bigger.set(offsets);
        into.offsets = offsets = bigger;
      }
      offsets[count++] = at + 16;
    }
    at += (len + 3) & ~3; // NLMSG_ALIGN
  }
  into.count = count;
  return status;
}
