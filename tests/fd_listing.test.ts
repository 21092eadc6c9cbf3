import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { darwin } from "../platforms/darwin/constants.ts";
import { freebsd } from "../platforms/freebsd/constants.ts";
import { linux } from "../platforms/linux/constants.ts";
import type { KinfoFileLayout, ProcFdInfoLayout } from "../platforms/types.ts";
import { decodeKinfoFiles } from "../platforms/freebsd/kinfo_files.ts";
import { decodeProcFdInfo } from "../platforms/darwin/proc_fds.ts";
import { listFdEntries, useFdDirectory } from "../src/sys/fd_listing.ts";
import { listFds } from "../src/sys/fd_listing.ts";
import { isDeno, scriptArgs } from "./support/runtime.ts";

const child = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "fd_listing_child.ts");

/**
 * Lays out a C struct by the C rules (each field at the next multiple of its alignment, the
 * whole rounded up to the largest alignment) from its declaration, so the offsets the tests use
 * come from the header text, not from the platform module under test.
 */
function layOut(fields: readonly [name: string, size: number, align: number][]): Record<string, number> {
  const at: Record<string, number> = {};
  let offset = 0;
  let widest = 1;
  for (const [name, size, align] of fields) {
    offset = Math.ceil(offset / align) * align;
    at[name] = offset;
    offset += size;
    widest = Math.max(widest, align);
  }
  at.sizeof = Math.ceil(offset / widest) * widest;
  return at;
}

// sys/sys/user.h, struct kinfo_file (FreeBSD 12+), as declared; the kf_un union is as large as
// its largest member (kf_file, kf_pipe, kf_pts and kf_sock: 304 bytes, 8-aligned), and kf_sock
// is the member whose fields sockopts names. cap_rights_t is uint64_t cr_rights[2].
const KF = layOut([
  ["kf_structsize", 4, 4],
  ["kf_type", 4, 4],
  ["kf_fd", 4, 4],
  ["kf_ref_count", 4, 4],
  ["kf_flags", 4, 4],
  ["kf_pad0", 4, 4],
  ["kf_offset", 8, 8],
  ["kf_un", 304, 8],
  ["kf_status", 2, 2],
  ["kf_pad1", 2, 2],
  ["_kf_ispare0", 4, 4],
  ["kf_cap_rights", 16, 8],
  ["_kf_cap_spare", 8, 8],
  ["kf_path", 1024, 1], // PATH_MAX
]);
// kf_sock inside kf_un: uint32_t kf_sock_sendq, int kf_sock_domain0, int kf_sock_type0,
// int kf_sock_protocol0, struct sockaddr_storage kf_sa_local, kf_sa_peer (128 bytes, 8-aligned), …
const KF_SOCK = layOut([
  ["kf_sock_sendq", 4, 4],
  ["kf_sock_domain0", 4, 4],
  ["kf_sock_type0", 4, 4],
  ["kf_sock_protocol0", 4, 4],
  ["kf_sa_local", 128, 8],
  ["kf_sa_peer", 128, 8],
  ["kf_sock_pcb", 8, 8],
  ["kf_sock_inpcb", 8, 8],
  ["kf_sock_unpconn", 8, 8],
  ["kf_sock_snd_sb_state", 2, 2],
  ["kf_sock_rcv_sb_state", 2, 2],
  ["kf_sock_recvq", 4, 4],
]);
const KF_TYPE_VNODE = 1;
const KF_TYPE_SOCKET = 2;
const KF_TYPE_PIPE = 3;
const KF_FD_TYPE_CWD = -1;
const KF_FD_TYPE_ROOT = -2;

/** One record as sysctl_kern_proc_filedesc packs it: cut after kf_path's NUL, rounded up to 8. */
function kinfoRecord(
  fields: { type: number; fd: number; path?: string; domain?: number; sockType?: number; protocol?: number },
): Uint8Array {
  const path = new TextEncoder().encode(fields.path ?? "");
  const size = Math.ceil((KF.kf_path + path.length + 1) / 8) * 8;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setInt32(KF.kf_structsize, size, true);
  view.setInt32(KF.kf_type, fields.type, true);
  view.setInt32(KF.kf_fd, fields.fd, true);
  view.setInt32(KF.kf_ref_count, 1, true);
  view.setBigInt64(KF.kf_offset, 12345n, true);
  if (fields.type === KF_TYPE_SOCKET) {
    view.setInt32(KF.kf_un + KF_SOCK.kf_sock_domain0, fields.domain ?? 2, true);
    view.setInt32(KF.kf_un + KF_SOCK.kf_sock_type0, fields.sockType ?? 1, true);
    view.setInt32(KF.kf_un + KF_SOCK.kf_sock_protocol0, fields.protocol ?? 6, true);
    // sockaddr_in: sa_len 16, AF_INET, port 5432 big-endian, 127.0.0.1.
    bytes.set([16, 2, 0x15, 0x38, 127, 0, 0, 1], KF.kf_un + KF_SOCK.kf_sa_local);
  }
  bytes.set(path, KF.kf_path);
  return bytes;
}

function concat(parts: readonly Uint8Array[], slack = 0): Uint8Array {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0) + slack);
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

describe("FreeBSD's file table (struct kinfo_file)", () => {
  const layout = (freebsd.fdListing as { kind: "kinfo_file"; layout: KinfoFileLayout }).layout;

  it("is where FreeBSD lists fds, at the header's offsets and sysctl name", () => {
    assert.equal(freebsd.fdListing.kind, "kinfo_file");
    // The header pins the size: CTASSERT(sizeof(struct kinfo_file) == KINFO_FILE_SIZE), 1392.
    assert.equal(KF.sizeof, 1392);
    assert.equal(KF.kf_path, 368);
    assert.equal(layout.size, KF.sizeof);
    assert.equal(layout.structsize, KF.kf_structsize);
    assert.equal(layout.type, KF.kf_type);
    assert.equal(layout.fd, KF.kf_fd);
    assert.equal(layout.sockDomain, KF.kf_un + KF_SOCK.kf_sock_domain0);
    assert.equal(layout.sockType, KF.kf_un + KF_SOCK.kf_sock_type0);
    assert.equal(layout.sockProtocol, KF.kf_un + KF_SOCK.kf_sock_protocol0);
    assert.equal(layout.saLocal, KF.kf_un + KF_SOCK.kf_sa_local);
    assert.equal(layout.saPeer, KF.kf_un + KF_SOCK.kf_sa_peer);
    assert.equal(layout.typeSocket, KF_TYPE_SOCKET);
    // sys/sys/sysctl.h: CTL_KERN 1, KERN_PROC 14, KERN_PROC_FILEDESC 33.
    assert.deepEqual(layout.mib, [1, 14, 33]);
  });

  it("decodes packed records of every length, skipping the cwd and root entries", () => {
    const records = [
      kinfoRecord({ type: KF_TYPE_VNODE, fd: KF_FD_TYPE_CWD, path: "/home/app" }),
      kinfoRecord({ type: KF_TYPE_VNODE, fd: KF_FD_TYPE_ROOT, path: "/" }),
      kinfoRecord({ type: KF_TYPE_VNODE, fd: 0, path: "/dev/pts/0" }),
      kinfoRecord({ type: KF_TYPE_VNODE, fd: 1, path: "/dev/pts/0" }),
      kinfoRecord({ type: KF_TYPE_VNODE, fd: 2, path: "/dev/null" }),
      kinfoRecord({ type: KF_TYPE_PIPE, fd: 5 }),
      // The point of it all: sockets far above numbers that are closed.
      kinfoRecord({ type: KF_TYPE_SOCKET, fd: 40 }),
      kinfoRecord({ type: KF_TYPE_SOCKET, fd: 1000, domain: 1, sockType: 1, protocol: 0 }),
    ];
    // Records are 8-byte multiples of different lengths (the path decides).
    assert.deepEqual(records.map((r) => r.length), [384, 376, 384, 384, 384, 376, 376, 376]);
    const bytes = concat(records, 64); // the kernel's length, then stale buffer bytes
    const entries = decodeKinfoFiles(layout, bytes, bytes.length - 64);
    assert.deepEqual(entries, [
      { fd: 0, socket: false },
      { fd: 1, socket: false },
      { fd: 2, socket: false },
      { fd: 5, socket: false },
      { fd: 40, socket: true },
      { fd: 1000, socket: true },
    ]);
    // A full-sized (unpacked) record decodes the same.
    const full = new Uint8Array(KF.sizeof);
    full.set(kinfoRecord({ type: KF_TYPE_SOCKET, fd: 7 }));
    new DataView(full.buffer).setInt32(KF.kf_structsize, KF.sizeof, true);
    assert.deepEqual(decodeKinfoFiles(layout, full, full.length), [{ fd: 7, socket: true }]);
  });

  it("refuses a record whose size the kernel could not have written", () => {
    const bytes = kinfoRecord({ type: KF_TYPE_SOCKET, fd: 3 });
    new DataView(bytes.buffer).setInt32(KF.kf_structsize, 0, true);
    assert.throws(() => decodeKinfoFiles(layout, bytes, bytes.length), {
      message: /^Cannot read the file table: a kinfo_file record at byte 0 claims 0 bytes/,
    });
  });
});

describe("macOS's fd list (proc_pidinfo PROC_PIDLISTFDS)", () => {
  const layout = (darwin.fdListing as { kind: "proc_pidinfo"; layout: ProcFdInfoLayout }).layout;

  it("is where macOS lists fds, at the header's offsets", () => {
    // bsd/sys/proc_info.h: struct proc_fdinfo { int32_t proc_fd; uint32_t proc_fdtype; };
    const fdinfo = layOut([["proc_fd", 4, 4], ["proc_fdtype", 4, 4]]);
    assert.equal(darwin.fdListing.kind, "proc_pidinfo");
    assert.equal(layout.flavor, 1); // PROC_PIDLISTFDS
    assert.equal(layout.size, fdinfo.sizeof); // PROC_PIDLISTFD_SIZE
    assert.equal(layout.fd, fdinfo.proc_fd);
    assert.equal(layout.type, fdinfo.proc_fdtype);
    assert.equal(layout.typeSocket, 2); // PROX_FDTYPE_SOCKET
  });

  it("decodes the array, and only the bytes proc_pidinfo returned", () => {
    const PROX_FDTYPE_VNODE = 1;
    const PROX_FDTYPE_KQUEUE = 5;
    const list: [number, number][] = [[0, PROX_FDTYPE_VNODE], [1, PROX_FDTYPE_VNODE], [4, PROX_FDTYPE_KQUEUE], [
      97,
      layout.typeSocket,
    ]];
    const bytes = new Uint8Array(list.length * 8 + 16);
    const view = new DataView(bytes.buffer);
    list.forEach(([fd, type], i) => {
      view.setInt32(i * 8, fd, true);
      view.setUint32(i * 8 + 4, type, true);
    });
    view.setInt32(list.length * 8, 555, true); // past the returned length: not an fd
    assert.deepEqual(decodeProcFdInfo(layout, bytes, list.length * 8), [
      { fd: 0, socket: false },
      { fd: 1, socket: false },
      { fd: 4, socket: false },
      { fd: 97, socket: true },
    ]);
  });
});

describe("Linux's /proc/self/fd listing", () => {
  it("is the directory Linux lists fds in", () => {
    assert.equal(linux.fdListing.kind, "directory");
    assert.equal(linux.fdDirectory, "/proc/self/fd");
  });

  it("lists an fd just opened, and not the directory stream it was read through", () => {
    const fd = openSync("/dev/null", "r");
    try {
      const fds = listFds();
      assert.ok(fds.includes(fd), `fd ${fd} is open but not listed`);
      assert.ok(fds.includes(0) && fds.includes(1) && fds.includes(2));
      assert.deepEqual(listFdEntries().map((e) => e.fd), fds);
      // The stream's own fd took the lowest free number, which is free again now.
      const next = openSync("/dev/null", "r");
      closeSync(next);
      assert.ok(!fds.includes(next), `fd ${next} was the stream's own and is closed`);
    } finally {
      closeSync(fd);
    }
  });

  it("is refused, loudly, when it lists only 0, 1 and 2 (FreeBSD's /dev/fd without fdescfs)", () => {
    const folder = mkdtempSync(join(tmpdir(), "sockopts-fd-"));
    for (const name of ["0", "1", "2"]) writeFileSync(join(folder, name), "");
    useFdDirectory(folder);
    try {
      assert.throws(() => listFds(), {
        message: new RegExp(
          `^Cannot list open file descriptors: ${folder} lists 3 fds \\(0, 1, 2\\) but not fd \\d+ it was read through`,
        ),
      });
    } finally {
      useFdDirectory(undefined);
      rmSync(folder, { recursive: true, force: true });
    }
    assert.ok(listFds().length > 3);
  });
});

interface ChildReport {
  listedBefore: number;
  list: { ok: number } | { name: string; message: string };
  fdOf: { ok: number } | { name: string; message: string };
  tcpSockets: { ok: number } | { name: string; message: string };
}

function runChild(folder?: string): Promise<ChildReport> {
  const extra = folder === undefined ? [] : [folder];
  const args = scriptArgs(child, extra);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { encoding: "utf8", timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split("\n").at(-1)!));
    });
  });
}

describe("a connection above 64 closed fds", () => {
  it("is found through the real listing", async () => {
    const report = await runChild();
    assert.ok("ok" in report.fdOf, JSON.stringify(report.fdOf));
    assert.equal(typeof report.fdOf.ok, "number");
    assert.deepEqual(report.tcpSockets, { ok: 1 });
  });

  it("is never silently missed when the listing holds only 0, 1 and 2", async () => {
    const folder = mkdtempSync(join(tmpdir(), "sockopts-fd-"));
    for (const name of ["0", "1", "2"]) writeFileSync(join(folder, name), "");
    try {
      const report = await runChild(folder);
      const listing = /^Cannot list open file descriptors: .* lists 3 fds \(0, 1, 2\) but not fd \d+/;
      assert.ok("message" in report.list && listing.test(report.list.message), JSON.stringify(report.list));
      // Before: tcpSockets returned [] and configureSockets configured nothing.
      assert.ok("message" in report.tcpSockets && listing.test(report.tcpSockets.message), JSON.stringify(report));
      // Before: fdOf(denoConn) threw SocketClosedError for the open connection. Bun's sockets carry
      // their fd, and so do Node's (libuv reports it), so fdOf needs no listing there.
      if (!isDeno) assert.ok("ok" in report.fdOf, JSON.stringify(report.fdOf));
      else assert.ok("message" in report.fdOf && listing.test(report.fdOf.message), JSON.stringify(report.fdOf));
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
