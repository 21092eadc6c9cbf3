/**
 * What `npm run bench` measures: the rows of the table, grouped, each naming the worker operation
 * that times it, the C operation it is compared with, and the target where there is one.
 */

/** Which process times a row: "node" is net-keepalive's worker, "nodeffi" sockopts under Node 26. */
export type Impl = "c" | "bun" | "deno" | "node" | "nodeffi";

/** A target judged on a row's median ratio, or on how much slower a peer is than sockopts. */
export type Target =
  | {
    readonly kind: "ratio";
    readonly max: number;
    /** The C op in the same group the target is judged against, when not the row's own baseline. */
    readonly against?: string;
    /** Key of the NOTES line saying what the target means to a user. */
    readonly meaning?: string;
  }
  | {
    readonly kind: "slower";
    readonly min: number;
    /** The sockopts rows compared; `min` of an entry overrides the target's. */
    readonly than: readonly { impl: Impl; op: string; min?: number }[];
    readonly meaning?: string;
  };

/** One row of the timed table. */
export interface Member {
  readonly impl: Impl;
  /** The worker operation (bench/worker.ts, bench/node_worker.ts, or the C program's op). */
  readonly op: string;
  readonly label: string;
  /** The C op in the same group this row's ratio is taken against; C rows have none. */
  readonly baseline?: string;
  readonly target?: Target;
  /** A footnote for this row. */
  readonly note?: string;
}

/** Rows timed one after another in each round, so they share the machine's state. */
export interface Group {
  readonly title: string;
  readonly members: readonly Member[];
}

const c = (op: string, label: string, note?: string): Member => ({ impl: "c", op, label, note });

export const GROUPS: readonly Group[] = [
  {
    title: "set TCP_KEEPINTVL, raw fd",
    members: [
      c("set", "C `setsockopt`"),
      {
        impl: "bun",
        op: "set-fd",
        label: "Bun `setKeepAliveInterval(fd, ms)`",
        baseline: "set",
        target: { kind: "ratio", max: 1.4 },
      },
      {
        impl: "deno",
        op: "set-fd",
        label: "Deno `setKeepAliveInterval(fd, ms)`",
        baseline: "set",
        target: { kind: "ratio", max: 1.5 },
      },
      { impl: "bun", op: "set-ffi", label: "Bun bare FFI `setsockopt`, no library", baseline: "set", note: "floor" },
      { impl: "deno", op: "set-ffi", label: "Deno bare FFI `setsockopt`, no library", baseline: "set", note: "floor" },
      {
        impl: "nodeffi",
        op: "set-fd",
        label: "Node `setKeepAliveInterval(fd, ms)`",
        baseline: "set",
        target: { kind: "ratio", max: 1.6 },
      },
      {
        impl: "nodeffi",
        op: "set-ffi",
        label: "Node bare `node:ffi` `setsockopt`, no library",
        baseline: "set",
        note: "floor",
      },
      {
        impl: "nodeffi",
        op: "set-ffi-pointer",
        label: "Node bare `node:ffi` `setsockopt`, pointer arguments as documented",
        baseline: "set",
        note: "pointer",
      },
      {
        impl: "nodeffi",
        op: "compat-set",
        label: "Node `sockopts/net-keepalive` `setKeepAliveInterval(socket, ms)`",
        baseline: "set",
        note: "compat",
      },
      {
        impl: "node",
        op: "nk-set",
        label: "Node `net-keepalive` `setKeepAliveInterval(socket, ms)`",
        baseline: "set",
        note: "ceiling",
        // 20×, not 25×: net-keepalive costs about 29× C here, and nothing can cost less than C itself.
        // Node's node:ffi call alone costs about 2× C, so sockopts under Node is held to 15×.
        target: {
          kind: "slower",
          min: 20,
          than: [{ impl: "bun", op: "set-fd" }, { impl: "deno", op: "set-fd" }, {
            impl: "nodeffi",
            op: "set-fd",
            min: 15,
          }],
          meaning: "meaningNetKeepalive",
        },
      },
    ],
  },
  {
    title: "get TCP_KEEPINTVL, raw fd",
    members: [
      c("get", "C `getsockopt`"),
      {
        impl: "bun",
        op: "get-fd",
        label: "Bun `getKeepAliveInterval(fd)`",
        baseline: "get",
        target: { kind: "ratio", max: 1.4 },
      },
      {
        impl: "deno",
        op: "get-fd",
        label: "Deno `getKeepAliveInterval(fd)`",
        baseline: "get",
        target: { kind: "ratio", max: 1.5 },
      },
      { impl: "bun", op: "get-ffi", label: "Bun bare FFI `getsockopt`, no library", baseline: "get", note: "floor" },
      { impl: "deno", op: "get-ffi", label: "Deno bare FFI `getsockopt`, no library", baseline: "get", note: "floor" },
      {
        impl: "nodeffi",
        op: "get-fd",
        label: "Node `getKeepAliveInterval(fd)`",
        baseline: "get",
        target: { kind: "ratio", max: 1.6 },
      },
      {
        impl: "nodeffi",
        op: "get-ffi",
        label: "Node bare `node:ffi` `getsockopt`, no library",
        baseline: "get",
        note: "floor",
      },
      {
        impl: "nodeffi",
        op: "get-ffi-pointer",
        label: "Node bare `node:ffi` `getsockopt`, pointer arguments as documented",
        baseline: "get",
        note: "pointer",
      },
      {
        impl: "nodeffi",
        op: "compat-get",
        label: "Node `sockopts/net-keepalive` `getKeepAliveInterval(socket)`",
        baseline: "get",
        note: "compat",
      },
      {
        impl: "node",
        op: "nk-get",
        label: "Node `net-keepalive` `getKeepAliveInterval(socket)`",
        baseline: "get",
        note: "ceiling",
        target: {
          kind: "slower",
          min: 20,
          than: [{ impl: "bun", op: "get-fd" }, { impl: "deno", op: "get-fd" }, {
            impl: "nodeffi",
            op: "get-fd",
            min: 15,
          }],
          meaning: "meaningNetKeepalive",
        },
      },
    ],
  },
  {
    title: "set TCP_KEEPINTVL through a handle",
    members: [
      c("set", "C `setsockopt`"),
      {
        impl: "c",
        op: "cookie+set",
        label: "C `getsockopt(SO_COOKIE)` + `setsockopt`",
        baseline: "set",
        note: "identity",
      },
      {
        impl: "bun",
        op: "set-handle",
        label: "Bun `setKeepAliveInterval(socket, ms)`",
        baseline: "set",
        target: { kind: "ratio", max: 1.5 },
      },
      {
        impl: "deno",
        op: "set-handle",
        label: "Deno `setKeepAliveInterval(conn, ms)`, identity-checked",
        baseline: "set",
        // Judged against C making the same two calls: one setsockopt alone is below what any
        // identity-checked set can cost, since the SO_COOKIE read is itself a system call.
        target: { kind: "ratio", max: 1.4, against: "cookie+set", meaning: "meaningIdentity" },
        note: "identity",
      },
      {
        impl: "nodeffi",
        op: "set-handle",
        label: "Node `setKeepAliveInterval(socket, ms)` (`net.Socket`)",
        baseline: "set",
        target: { kind: "ratio", max: 1.8 },
      },
    ],
  },
  {
    title: "`setKeepAlive({ idle, interval, count })`",
    members: [
      c("set4", "C: the same 4 `setsockopt` calls"),
      {
        impl: "bun",
        op: "ka4-fd",
        label: "Bun `setKeepAlive(fd, …)`",
        baseline: "set4",
        target: { kind: "ratio", max: 1.6 },
      },
      {
        impl: "deno",
        op: "ka4-fd",
        label: "Deno `setKeepAlive(fd, …)`",
        baseline: "set4",
        target: { kind: "ratio", max: 1.6 },
      },
      {
        impl: "bun",
        op: "ka4-handle",
        label: "Bun `setKeepAlive(socket, …)`",
        baseline: "set4",
        target: { kind: "ratio", max: 1.6 },
      },
      {
        impl: "deno",
        op: "ka4-handle",
        label: "Deno `setKeepAlive(conn, …)`, identity-checked",
        baseline: "set4",
        note: "identity",
      },
      { impl: "nodeffi", op: "ka4-fd", label: "Node `setKeepAlive(fd, …)`", baseline: "set4" },
      { impl: "nodeffi", op: "ka4-handle", label: "Node `setKeepAlive(socket, …)`", baseline: "set4" },
    ],
  },
  {
    title: "`getTcpInfo`",
    members: [
      c("tcpinfo", "C `getsockopt(TCP_INFO)`"),
      { impl: "bun", op: "tcpinfo-fd", label: "Bun `getTcpInfo(fd)`", baseline: "tcpinfo" },
      { impl: "deno", op: "tcpinfo-fd", label: "Deno `getTcpInfo(fd)`", baseline: "tcpinfo" },
      { impl: "nodeffi", op: "tcpinfo-fd", label: "Node `getTcpInfo(fd)`", baseline: "tcpinfo" },
    ],
  },
  {
    title: "the runtimes' own `setKeepAlive`",
    members: [
      c("set4", "C: 4 `setsockopt` calls"),
      c("keepalive", "C: `SO_KEEPALIVE` alone"),
      c("keepalive+idle", "C: `SO_KEEPALIVE` + `TCP_KEEPIDLE`"),
      {
        impl: "bun",
        op: "builtin",
        label: "Bun `socket.setKeepAlive(true, ms)` (4 calls)",
        baseline: "set4",
        note: "builtin",
      },
      {
        impl: "bun",
        op: "builtin-node",
        label: "Bun `node:net` `setKeepAlive(true, ms)` (4 calls)",
        baseline: "set4",
        note: "nodeNet",
      },
      {
        impl: "deno",
        op: "builtin",
        label: "Deno `conn.setKeepAlive(true)` (1 call)",
        baseline: "keepalive",
        note: "builtin",
      },
      {
        impl: "deno",
        op: "builtin-node",
        label: "Deno `node:net` `setKeepAlive(true, ms)` (2 calls)",
        baseline: "keepalive+idle",
        note: "nodeNet",
      },
      {
        impl: "node",
        op: "builtin-node",
        label: "Node `net.Socket.setKeepAlive(true, ms)` (4 calls)",
        baseline: "set4",
        note: "nodeNet",
      },
    ],
  },
];

/** Open connections for the Deno handle-resolution rows. */
export const RESOLUTION_SIZES: readonly number[] = [100, 1_000, 5_000];

/** Resolution targets: first lookup at the largest size, per-connection growth from smallest to largest. */
export const RESOLUTION_TARGETS = { firstLookupMs: 10, growth: 2 } as const;

/** One memory row: 5,000,000 calls of `op` in a fresh process. */
export interface MemoryRow {
  readonly impl: Impl;
  readonly op: string;
  readonly label: string;
  /** Growth limit in bytes, where the issue sets one. */
  readonly maxGrowth?: number;
}

export const MEMORY_CALLS = 5_000_000;

export const MEMORY_ROWS: readonly MemoryRow[] = [
  { impl: "c", op: "mem", label: "C `setsockopt`" },
  { impl: "bun", op: "set-fd", label: "Bun `setKeepAliveInterval(fd, ms)`", maxGrowth: 2 * 1024 * 1024 },
  { impl: "deno", op: "set-fd", label: "Deno `setKeepAliveInterval(fd, ms)`", maxGrowth: 2 * 1024 * 1024 },
  { impl: "bun", op: "set-handle", label: "Bun `setKeepAliveInterval(socket, ms)`", maxGrowth: 2 * 1024 * 1024 },
  { impl: "deno", op: "set-handle", label: "Deno `setKeepAliveInterval(conn, ms)`", maxGrowth: 2 * 1024 * 1024 },
  { impl: "nodeffi", op: "set-fd", label: "Node `setKeepAliveInterval(fd, ms)`", maxGrowth: 2 * 1024 * 1024 },
  {
    impl: "nodeffi",
    op: "set-handle",
    label: "Node `setKeepAliveInterval(socket, ms)`",
    maxGrowth: 2 * 1024 * 1024,
  },
  { impl: "node", op: "nk-set", label: "Node `net-keepalive` `setKeepAliveInterval`" },
];

/** Footnotes that rows point at. */
export const NOTES: Readonly<Record<string, string>> = {
  floor: "Bare FFI rows bind `setsockopt`/`getsockopt` directly with pointers made once and check only the return " +
    "value: the floor for any library in that runtime; the gap to the sockopts row is the library's own cost.",
  ceiling: "The vs C column of a net-keepalive row is also the most any library could be faster than it on this " +
    "machine: sockopts can approach the C call's cost but not go below it.",
  identity: "A Deno connection has no fd: sockopts finds it by address once, then re-reads its `SO_COOKIE` before " +
    "every use, so a closed connection can never reach the socket that took its number. The C row with " +
    "`SO_COOKIE` does that same pair of calls.",
  meaningIdentity: "Setting an option on a `Deno.Conn` costs at most 1.4× what C " +
    "pays for the same safety (the `SO_COOKIE` check plus the set), under a microsecond on this machine, so " +
    "configuring every connection a server accepts costs nothing you can see next to the connection itself.",
  meaningNetKeepalive: "A call that costs 7 to 14 µs with net-keepalive costs " +
    "under 0.5 µs with sockopts on a raw fd, in every runtime. No library can be faster than net-keepalive by " +
    "more than its vs C column: sockopts cannot cost less than the C call.",
  builtin: "Bun's `socket.setKeepAlive(true, ms)` makes 4 calls (SO_KEEPALIVE, TCP_KEEPIDLE, and TCP_KEEPINTVL 1 s, " +
    "TCP_KEEPCNT 10); Deno's `conn.setKeepAlive(true)` makes 1 (SO_KEEPALIVE). Counted with strace on this machine.",
  pointer: "The same bare calls with the pointer arguments declared `pointer`, as `node:ffi`'s documentation " +
    "writes them. Node 26.10 sends a function of more than three arguments with `pointer` arguments down a " +
    "slower path; sockopts declares them `function` and passes bigint addresses (src/ffi/node.ts), the row above.",
  compat: "The drop-in for net-keepalive: its argument assertions (`node:assert`), then the library's call through " +
    "the socket's own handle. Compare it with the net-keepalive row below it.",
  nodeNet: "`node:net` skips `setKeepAlive` when the settings equal its last call's, so these loops alternate the " +
    "delay (30 s, 31 s) to make every call reach the kernel: 4 calls in Bun and Node (libuv), 2 in Deno.",
};
