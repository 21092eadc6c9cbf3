// Look-alike handles built from real ones (issue 20, item 5): objects on a handle class's
// prototype, objects inheriting from a live handle, Proxies of live handles and of their native
// handles, a plain object shaped like Deno.serve()'s server. Each is a TypeError on every runtime,
// no trap of a Proxy runs, and the socket each one names is read back untouched through
// tests/support/kernel.ts, a libc binding of its own.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { fdOf, getKeepAlive, getOption, getTcpInfo, setKeepAlive, setOption, type SocketHandle } from "../mod.ts";
import { keepAliveState } from "./support/kernel.ts";
import { type TcpPair, tcpPair } from "./support/net.ts";
import { listenerFd } from "./support/proc.ts";
import { isBun, isDeno } from "./support/runtime.ts";

const LIMIT = { timeout: 30_000 };
const FRESH = { on: 0, idleSeconds: 7200, count: 9 };
const NOT_A_SOCKET = /^Cannot set keep-alive: .* is not a socket sockopts can use; expected /;

const TRAPS = [
  "get",
  "set",
  "has",
  "ownKeys",
  "getOwnPropertyDescriptor",
  "getPrototypeOf",
  "defineProperty",
  "deleteProperty",
  "isExtensible",
  "preventExtensions",
  "setPrototypeOf",
] as const;

/** A Proxy of `target` that records every trap it runs; `override` answers some property reads. */
function counting<T extends object>(target: T, ran: string[], override: Record<PropertyKey, unknown> = {}): T {
  const handler: ProxyHandler<T> = {};
  for (const trap of TRAPS) {
    (handler as Record<string, unknown>)[trap] = (...args: unknown[]) => {
      ran.push(trap);
      if (trap === "get" && (args[1] as PropertyKey) in override) return override[args[1] as PropertyKey];
      return (Reflect[trap] as (...a: unknown[]) => unknown)(...args);
    };
  }
  return new Proxy(target, handler);
}

/** The native handle a node:net object holds (Node and Deno keep it behind a getter). */
function nativeOf(object: object): object {
  return (object as { _handle: object })._handle;
}

/** Asserts every look-alike is a TypeError from setKeepAlive and fdOf, and that no trap ran. */
function refuses(lookAlikes: Record<string, object>, ran: string[]): void {
  for (const [name, handle] of Object.entries(lookAlikes)) {
    assert.throws(() => setKeepAlive(handle as SocketHandle, { idle: 5_000, count: 3 }), (e: unknown) => {
      assert.ok(e instanceof TypeError, `${name}: ${e}`);
      assert.match(e.message, NOT_A_SOCKET, name);
      return true;
    });
    assert.throws(() => fdOf(handle as SocketHandle), TypeError, name);
  }
  assert.deepEqual(ran, [], "no trap of the caller's ran");
}

describe("look-alikes built from real node:net handles are TypeErrors", () => {
  let a: TcpPair;
  let b: TcpPair;
  before(async () => {
    a = await tcpPair();
    b = await tcpPair();
  });
  after(async () => {
    await a.close();
    await b.close();
  });

  it("refuses sockets on the class's prototype, inheriting from a live one, or Proxies of one", LIMIT, () => {
    const ran: string[] = [];
    const live = a.client;
    const addresses = {
      localAddress: { value: live.localAddress },
      localPort: { value: live.localPort },
      remoteAddress: { value: live.remoteAddress },
      remotePort: { value: live.remotePort },
      remoteFamily: { value: live.remoteFamily },
    };
    refuses({
      "Object.create(net.Socket.prototype) with live addresses": Object.create(net.Socket.prototype, addresses),
      "the same, holding the live socket's native handle": Object.create(net.Socket.prototype, {
        ...addresses,
        _handle: { value: nativeOf(live) },
      }),
      "Object.create(liveSocket)": Object.create(live),
      "new Proxy(liveSocket, {})": new Proxy(live, {}),
      "a counting Proxy of a live socket": counting(live, ran),
      "a Proxy of socket a whose _handle is socket b's": counting(live, ran, { _handle: nativeOf(b.client) }),
      "an object inheriting from a counting Proxy": Object.create(counting(live, ran)),
      "a socket-classed object holding b's native handle": Object.assign(Object.create(net.Socket.prototype), {
        _handle: nativeOf(b.client),
      }),
    }, ran);
    for (const fd of [a.clientFd, b.clientFd, a.acceptedFd, b.acceptedFd]) {
      assert.deepEqual(keepAliveState(fd), FRESH, `fd ${fd} untouched`);
    }
    setKeepAlive(live, { idle: 5_000, count: 3 });
    assert.deepEqual(keepAliveState(a.clientFd), { on: 1, idleSeconds: 5, count: 3 }, "the real socket still works");
    setKeepAlive(a.clientFd, { enable: false, idle: 7_200_000, count: 9 });
  });

  it("refuses servers on the class's prototype with an address(), and Proxies of a live server", LIMIT, () => {
    const ran: string[] = [];
    const server = a.server;
    const address = () => server.address();
    refuses({
      "Object.create(net.Server.prototype) with address()": Object.assign(Object.create(net.Server.prototype), {
        address,
      }),
      "the same, holding the live server's native handle": Object.assign(Object.create(net.Server.prototype), {
        address,
        _handle: nativeOf(server),
      }),
      "Object.create(http.Server.prototype) with address()": Object.assign(Object.create(http.Server.prototype), {
        address,
      }),
      "Object.create(liveServer)": Object.create(server),
      "new Proxy(liveServer, {})": new Proxy(server, {}),
      "a counting Proxy of server a whose _handle is server b's": counting(server, ran, {
        _handle: nativeOf(b.server),
      }),
    }, ran);
    assert.deepEqual(keepAliveState(a.listenerFd), FRESH, "server a's listener is untouched");
    assert.deepEqual(keepAliveState(b.listenerFd), FRESH, "server b's listener is untouched");
  });

  it("refuses a plain { addr, shutdown, finished } shaped like Deno.serve()'s server", LIMIT, () => {
    const addr = { transport: "tcp", hostname: "127.0.0.1", port: a.port };
    const finished = new Promise<void>(() => {});
    refuses({
      "{ addr, shutdown, finished }": { addr, shutdown: async () => {}, finished },
      "{ addr, shutdown, finished, ref, unref }": { addr, async shutdown() {}, finished, ref() {}, unref() {} },
      "an object built on Object.prototype with a shutdown getter": Object.create(Object.prototype, {
        addr: { value: addr },
        shutdown: { get: () => async () => {} },
        finished: { value: finished },
      }),
    }, []);
    assert.deepEqual(keepAliveState(a.listenerFd), FRESH, "the listener at that address is untouched");
  });

  it("runs no getter a look-alike defines, on any prototype it is built on", LIMIT, () => {
    const ran: string[] = [];
    // Every property a recogniser reads of some handle, as getters that record being run.
    const names = [
      "_handle",
      "destroyed",
      "connecting",
      "pending",
      "localAddress",
      "localPort",
      "remoteAddress",
      "remotePort",
      "address",
      "listening",
      "listen",
      "fd",
      "addr",
      "localAddr",
      "remoteAddr",
      "shutdown",
      "finished",
      "ref",
      "unref",
      "accept",
      "send",
      "setKeepAlive",
      "port",
      "hostname",
      "unix",
      "readyState",
      "_parent",
      "_connectionKey",
      "constructor",
    ];
    const getters = Object.fromEntries(names.map((name) => [name, {
      get() {
        ran.push(name);
        return undefined;
      },
    }]));
    refuses({
      "on net.Socket.prototype": Object.create(net.Socket.prototype, getters),
      "on net.Server.prototype": Object.create(net.Server.prototype, getters),
      "on http.Server.prototype": Object.create(http.Server.prototype, getters),
      "on Object.prototype": Object.create(Object.prototype, getters),
      "on a live socket": Object.create(a.client, getters),
      "on a live server": Object.create(a.server, getters),
    }, ran);
  });

  it("runs none of a Proxy's traps in any call, whatever it wraps", LIMIT, () => {
    const calls: [string, (handle: SocketHandle) => unknown][] = [
      ["setKeepAlive", (h) => setKeepAlive(h, { idle: 5_000 })],
      ["getKeepAlive", (h) => getKeepAlive(h)],
      ["setOption", (h) => setOption(h, "TCP_NODELAY", true)],
      ["getOption", (h) => getOption(h, "TCP_NODELAY")],
      ["getTcpInfo", (h) => getTcpInfo(h)],
      ["fdOf", (h) => fdOf(h)],
    ];
    for (const target of [a.client, a.server, a.accepted, {}, Object.create(null)]) {
      for (const [name, call] of calls) {
        const ran: string[] = [];
        assert.throws(() => call(counting(target, ran) as SocketHandle), { name: "TypeError" }, name);
        assert.throws(() => call(Object.create(counting(target, ran)) as SocketHandle), { name: "TypeError" }, name);
        assert.deepEqual(ran, [], `${name}: no trap ran`);
      }
    }
    assert.deepEqual(keepAliveState(a.clientFd), FRESH, "the wrapped socket is untouched");
  });
});

describe("look-alikes of the runtime's own handles", { skip: !isBun && !isDeno && "Bun and Deno handles" }, () => {
  it("refuses Proxies of and objects inheriting from this runtime's own connection and listener", LIMIT, async () => {
    const ran: string[] = [];
    if (isBun) {
      const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
      const socket = await Bun.connect({ hostname: "127.0.0.1", port: listener.port, socket: { data() {} } });
      const served = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("ok") });
      try {
        refuses({
          "Proxy(Bun socket)": counting(socket, ran),
          "Object.create(Bun socket)": Object.create(socket),
          "Proxy(Bun listener)": counting(listener, ran),
          "Object.create(Bun listener)": Object.create(listener),
          "Proxy(Bun.serve server)": counting(served, ran),
          "Object.create(Bun.serve server)": Object.create(served),
        }, ran);
        assert.deepEqual(keepAliveState(listenerFd(listener.port)), FRESH);
        assert.deepEqual(keepAliveState(listenerFd(served.port!)), FRESH);
      } finally {
        socket.end();
        listener.stop(true);
        await served.stop(true);
      }
      return;
    }
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    const accepted = await listener.accept();
    const served = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("ok"));
    try {
      refuses({
        "Proxy(Deno.Conn)": counting(conn, ran),
        "Object.create(Deno.Conn)": Object.create(conn),
        "Proxy(Deno.Listener)": counting(listener, ran),
        "Proxy(Deno.serve server)": counting(served, ran),
        "Object.create(Deno.serve server)": Object.create(served),
        "a copy of the Deno.serve server without ref, unref and asyncDispose": {
          addr: served.addr,
          shutdown: served.shutdown,
          finished: served.finished,
        },
      }, ran);
      assert.deepEqual(keepAliveState(listenerFd(listener.addr.port)), FRESH);
      assert.deepEqual(keepAliveState(listenerFd(served.addr.port)), FRESH);
      setKeepAlive(served, { idle: 5_000, count: 3 });
      assert.deepEqual(keepAliveState(listenerFd(served.addr.port)), { on: 1, idleSeconds: 5, count: 3 });
    } finally {
      conn.close();
      accepted.close();
      listener.close();
      await served.shutdown();
    }
  });
});
