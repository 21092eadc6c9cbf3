/**
 * Network interfaces by name (`if_nametoindex`), for a filter's zone: the `eth0` of
 * `fe80::1%eth0`, compared with the interface a link-local socket is bound to.
 *
 * @module
 */
import { nativeBytes } from "../ffi/adapter.ts";
import type { Pointer } from "../ffi/symbols.ts";
import { getNative, type Native } from "./native.ts";

// IFNAMSIZ (<net/if.h>) is 16 on Linux, macOS and FreeBSD, the terminating NUL included.
const IFNAMSIZ = 16;

// The name's native buffer, for the library it was allocated with (tests reload libc).
let buffer: { n: Native; bytes: Uint8Array; pointer: Pointer } | undefined;

/**
 * The index of the interface called `name` in the calling thread's network namespace.
 *
 * @param name An interface name, such as `eth0`.
 * @returns The index (1 or more), or undefined when there is no such interface (or libc has no
 *   `if_nametoindex`).
 */
export function interfaceIndex(name: string): number | undefined {
  const n = getNative("if_nametoindex");
  const encoded = new TextEncoder().encode(name);
  if (n.fn.if_nametoindex === null || encoded.length >= IFNAMSIZ || encoded.includes(0)) return undefined;
  if (buffer?.n !== n) {
    const bytes = nativeBytes(n.lib, IFNAMSIZ);
    buffer = { n, bytes, pointer: n.lib.pointerOf(bytes) };
  }
  buffer.bytes.fill(0);
  buffer.bytes.set(encoded);
  const index = n.fn.if_nametoindex(buffer.pointer);
  return index === 0 ? undefined : index;
}
