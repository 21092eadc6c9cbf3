/**
 * The policy's scanner where there is no sock_diag (macOS, FreeBSD, Windows, qemu-user): a full
 * listing each tick, sockets known by cookie where the OS has one, else by fd and both addresses.
 *
 * @module
 */
import { cookieParts, hasCookies, readCookie } from "../sys/inspect.ts";
import { type Scanner, type ScanResult, type Seen, TWO32 } from "./policy_scan.ts";
import type { Budget, Work } from "./policy_slices.ts";
import { eachSocket, socketKind } from "./process_sockets.ts";

/** Elsewhere (or without statx): a full listing each tick. */
export class ListingScanner implements Scanner {
  readonly known = new Map<number | string, Seen>();
  #others = new Set<string>();
  #tick = 0;

  // One listing, at once: the hosts without sock_diag (macOS, FreeBSD) have no part-by-part read.
  // deno-lint-ignore require-yield
  *scan(_full: boolean, _budget: Budget): Work<ScanResult> {
    const tick = ++this.#tick;
    const added: Seen[] = [];
    const others: ScanResult["others"] = [];
    const otherKeys = new Set<string>();
    const cookies = hasCookies();
    eachSocket((socket) => {
      let key: number | string = `${socket.fd} ${socket.localText} ${socket.remoteText}`;
      if (cookies && readCookie(socket.fd)) {
        const [low, high] = cookieParts();
        key = high * TWO32 + low;
      }
      const seen = this.known.get(key);
      if (seen !== undefined) {
        seen.stamp = tick;
        seen.socket = socket;
        return;
      }
      const fresh: Seen = {
        key,
        fd: socket.fd,
        inode: 0,
        socket,
        stamp: tick,
        matched: false,
        configuredIn: undefined,
        code: -1,
      };
      this.known.set(key, fresh);
      added.push(fresh);
    }, (fd) => {
      const kind = socketKind(fd);
      if (kind === undefined) return;
      const key = `${fd} ${kind.detail}`;
      otherKeys.add(key);
      if (!this.#others.has(key)) {
        others.push({ fd, kind: kind.kind as "unix" | "udp" | "socket", detail: kind.detail });
      }
    });
    this.#others = otherKeys;
    const removed: Seen[] = [];
    const changed: Seen[] = [];
    for (const [key, seen] of this.known) {
      if (seen.stamp === tick) {
        if (seen.configuredIn !== undefined && seen.configuredIn !== seen.socket.state) changed.push(seen);
        continue;
      }
      this.known.delete(key);
      removed.push(seen);
    }
    return { added, changed, removed, others, seen: this.known.size };
  }
}
