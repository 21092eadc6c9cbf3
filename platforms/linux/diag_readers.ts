/**
 * Linux's dump of every TCP socket and listing of every open fd, read a part at a time: each
 * `step()` is one recv (one part of the kernel's walk of its TCP hash) or one getdents64, into
 * storage of the reader's own, so that the policy can spread a tick at 20,000 fds over event-loop
 * turns, and one reader in progress never disturbs another. Run to the end at once, they are the
 * view's one-call `dumpTcp` and `openFds`.
 *
 * Constants: `<fcntl.h>` (O_DIRECTORY, O_CLOEXEC).
 *
 * @module
 */
import { nativeBytes } from "../../src/ffi/adapter.ts";
import type { Pointer } from "../../src/ffi/symbols.ts";
import type { DiagTable, FdListingReader, TcpDumpReader } from "../backend.ts";
import {
  AF_INET,
  AF_INET6,
  AF_NETLINK,
  BUFFER,
  DONE,
  MORE,
  type Netlink,
  NETLINK_SOCK_DIAG,
  type Records,
  SOCK_CLOEXEC,
  SOCK_RAW,
  walk,
  writeRequest,
} from "./netlink.ts";

const O_RDONLY_DIRECTORY_CLOEXEC = 0o200000 | 0o2000000;

const FAMILIES = [AF_INET, AF_INET6];

/**
 * A dump of every TCP socket read one recv at a time into replies of its own (received in place,
 * never copied): each recv hands back one part of the kernel's walk and has it write the next, so
 * a dump can be spread over event-loop turns, and one in progress never disturbs another.
 */
export class DumpReader implements TcpDumpReader {
  readonly #d: Netlink;
  #fd = -1;
  #family = 0;
  /** The last family's reply is in: the next step asks for the next family. */
  #asking = false;
  #used = 0;
  #replies: Uint8Array;
  #view: DataView;
  readonly #records: Records = { offsets: new Int32Array(1024), count: 0 };

  constructor(d: Netlink) {
    this.#d = d;
    this.#replies = nativeBytes(d.n.lib, BUFFER * 4);
    this.#view = new DataView(this.#replies.buffer);
  }

  start(): void {
    this.cancel();
    const { n } = this.#d;
    const fd = n.fn.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) throw new Error(`Cannot open a NETLINK_SOCK_DIAG socket: errno ${n.lib.errno()}`);
    this.#fd = fd;
    this.#family = 0;
    this.#asking = false;
    this.#used = 0;
    this.#records.count = 0;
    this.#ask();
  }

  step(): boolean {
    if (this.#fd < 0) return true;
    try {
      if (this.#asking) {
        this.#asking = false;
        this.#ask();
        return false;
      }
      const status = this.#receive();
      if (status === MORE) return false;
      if (status !== DONE) throw new Error(`Cannot read the sock_diag dump: the kernel answered errno ${status}`);
      if (++this.#family === FAMILIES.length) {
        this.cancel();
        return true;
      }
      this.#asking = true;
      return false;
    } catch (error) {
      this.cancel();
      throw error;
    }
  }

  longNext(): boolean {
    return this.#asking;
  }

  table(): DiagTable {
    const { offsets, count } = this.#records;
    return { bytes: this.#replies, view: this.#view, count, offsets };
  }

  cancel(): void {
    if (this.#fd >= 0) this.#d.n.fn.close(this.#fd);
    this.#fd = -1;
  }

  /** The whole dump at once. */
  toEnd(): DiagTable {
    this.start();
    while (!this.step());
    return this.table();
  }

  #ask(): void {
    const { n } = this.#d;
    writeRequest(this.#d, FAMILIES[this.#family]);
    if (Number(n.fn.send(this.#fd, this.#d.requestPtr, 72, 0)) !== 72) {
      const errno = n.lib.errno();
      this.cancel();
      throw new Error(`Cannot ask sock_diag for TCP sockets: send failed with errno ${errno}`);
    }
  }

  /** One recv after the bytes already held: {@link MORE}, {@link DONE} or an errno. */
  #receive(): number {
    const { n } = this.#d;
    if (this.#used + BUFFER > this.#replies.length) {
      const bigger = nativeBytes(n.lib, this.#replies.length * 2);
      bigger.set(this.#replies.subarray(0, this.#used));
      this.#replies = bigger;
      this.#view = new DataView(bigger.buffer);
    }
    const start = this.#used;
    // Straight into the reply area: the records are read where the kernel wrote them.
    const got = Number(n.fn.recv(this.#fd, n.lib.pointerOf(this.#replies.subarray(start)), BUFFER, 0));
    if (got < 0) throw new Error(`Cannot read the sock_diag dump: recv failed with errno ${n.lib.errno()}`);
    if (got === 0) return DONE;
    this.#used += got;
    return walk(this.#view, start, this.#used, this.#records);
  }
}

/** How many bytes of `/proc/self/fd` one step of a stepped listing reads: about 500 fds. */
export const STEP_LISTING = 16 * 1024;

/**
 * Every open fd number, read from `/proc/self/fd` with getdents64 (`chunk` bytes a step, into
 * storage of its own), so that a listing of 20,000 fds can be spread over event-loop turns.
 */
export class ListingReader implements FdListingReader {
  readonly #d: Netlink;
  readonly #chunk: number;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #ptr: Pointer;
  #dir = -1;
  #list = new Int32Array(1024);
  #count = 0;

  constructor(d: Netlink, chunk: number) {
    this.#d = d;
    this.#chunk = chunk;
    this.#bytes = nativeBytes(d.n.lib, chunk);
    this.#view = new DataView(this.#bytes.buffer);
    this.#ptr = d.n.lib.pointerOf(this.#bytes);
  }

  start(): void {
    this.cancel();
    const { n } = this.#d;
    const dir = n.fn.open(this.#d.fdDirPtr, O_RDONLY_DIRECTORY_CLOEXEC);
    if (dir < 0) {
      throw new Error(`Cannot list open file descriptors: open(/proc/self/fd) failed with errno ${n.lib.errno()}`);
    }
    this.#dir = dir;
    this.#count = 0;
  }

  step(): boolean {
    if (this.#dir < 0) return true;
    const { n } = this.#d;
    const dir = this.#dir;
    const got = Number(n.fn.getdents64!(dir, this.#ptr, this.#chunk));
    if (got < 0) {
      const errno = n.lib.errno();
      this.cancel();
      throw new Error(`Cannot list open file descriptors: getdents64 failed with errno ${errno}`);
    }
    if (got > 0) {
      this.#entries(got);
      return false;
    }
    this.cancel();
    // The directory itself was open while it was read, so a listing without it is not this
    // process's whole table (the same proof fd_directory.ts asks of a directory listing).
    const list = this.#list;
    const count = this.#count;
    let out = 0;
    for (let i = 0; i < count; i++) if (list[i] !== dir) list[out++] = list[i];
    this.#count = out;
    if (out === count) {
      throw new Error(
        `Cannot list open file descriptors: /proc/self/fd lists ${count} fds but not fd ${dir} it was read ` +
          `through, so it is not this process's full fd table (is procfs mounted?)`,
      );
    }
    return true;
  }

  longNext(): boolean {
    return false;
  }

  fds(): Int32Array {
    return this.#list.subarray(0, this.#count);
  }

  cancel(): void {
    if (this.#dir >= 0) this.#d.n.fn.close(this.#dir);
    this.#dir = -1;
  }

  /** The whole listing at once. */
  toEnd(): Int32Array {
    this.start();
    while (!this.step());
    return this.fds();
  }

  // struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
  #entries(got: number): void {
    const bytes = this.#bytes;
    const v = this.#view;
    let list = this.#list;
    let count = this.#count;
    for (let at = 0; at < got; at += v.getUint16(at + 16, true)) {
      let fd = 0;
      let i = at + 19;
      for (; bytes[i] >= 48 && bytes[i] <= 57; i++) fd = fd * 10 + bytes[i] - 48;
      if (i === at + 19 || bytes[i] !== 0) continue; // "." and ".."
      if (count === list.length) {
        const bigger = new Int32Array(count * 2);
        bigger.set(list);
        this.#list = list = bigger;
      }
      list[count++] = fd;
    }
    this.#count = count;
  }
}
