// Numbers of the wrong type and options objects that are not plain objects (issue 20, item 7):
// a TypeError naming the type, no caller code run to print a value, and nothing touched. Every
// "untouched" is read back through tests/support/kernel.ts, a libc binding of its own.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { configureSockets, deadPeerPlan, fdOf, keepConfigured, setKeepAlive } from "../mod.ts";
import { keepAliveState } from "./support/kernel.ts";
import { type TcpPair, tcpPair } from "./support/net.ts";

const LIMIT = { timeout: 30_000 };
const FRESH = { on: 0, idleSeconds: 7200, count: 9 };

/** An object whose every conversion and tag throws, and records that it ran. */
function booby(ran: string[]): object {
  return {
    toString() {
      ran.push("toString");
      throw new Error("toString ran");
    },
    valueOf() {
      ran.push("valueOf");
      throw new Error("valueOf ran");
    },
    [Symbol.toPrimitive]() {
      ran.push("toPrimitive");
      throw new Error("toPrimitive ran");
    },
    get [Symbol.toStringTag]() {
      ran.push("toStringTag");
      throw new Error("toStringTag ran");
    },
  };
}

/** A Proxy that counts every trap it runs, over `target`. */
function counting(target: object, traps: string[]): object {
  const names = [
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
    "apply",
    "construct",
  ] as const;
  const handler: ProxyHandler<object> = {};
  for (const name of names) {
    (handler as Record<string, unknown>)[name] = (...args: unknown[]) => {
      traps.push(name);
      return (Reflect[name] as (...a: unknown[]) => unknown)(...args);
    };
  }
  return new Proxy(target, handler);
}

describe("numbers of the wrong type", () => {
  let pair: TcpPair;
  before(async () => {
    pair = await tcpPair();
  });
  after(() => pair.close());

  it("detectWithin as a string or a bigint is a TypeError naming the type, wherever it is given", LIMIT, () => {
    const cases: [unknown, string][] = [["5000", 'string "5000"'], [5000n, "bigint 5000n"], [null, "null"]];
    for (const [value, shown] of cases) {
      const message = `Cannot use detectWithin: expected a number of milliseconds, got ${shown}`;
      assert.throws(() => deadPeerPlan(value as number), { name: "TypeError", message });
      assert.throws(() => setKeepAlive(pair.clientFd, { detectWithin: value as number }), {
        name: "TypeError",
        message,
      });
      const filter = { remotePort: pair.port };
      assert.throws(() => configureSockets(filter, { detectWithin: value as number }), { name: "TypeError", message });
      assert.throws(() => keepConfigured(filter, { detectWithin: value as number }), { name: "TypeError", message });
    }
    assert.deepEqual(keepAliveState(pair.clientFd), FRESH, "nothing was configured");
  });

  it("period and atLeast of the wrong type are TypeErrors naming the type", LIMIT, () => {
    const filter = { remotePort: pair.port };
    const settings = { detectWithin: 10_000 };
    assert.throws(() => keepConfigured(filter, settings, { period: "50" as never }), {
      name: "TypeError",
      message: 'Cannot keep sockets configured: period must be a number of milliseconds, got string "50"',
    });
    assert.throws(() => keepConfigured(filter, settings, { period: 50n as never }), {
      name: "TypeError",
      message: "Cannot keep sockets configured: period must be a number of milliseconds, got bigint 50n",
    });
    assert.throws(() => keepConfigured(filter, settings, { period: NaN }), {
      name: "RangeError",
      message: "Cannot keep sockets configured: period NaN is outside 0..2147483647 ms",
    });
    assert.throws(() => configureSockets(filter, settings, { atLeast: "1" as never }), {
      name: "TypeError",
      message: 'Cannot configure sockets: atLeast must be a number of sockets, got string "1"',
    });
    assert.throws(() => configureSockets(filter, settings, { atLeast: 1n as never }), {
      name: "TypeError",
      message: "Cannot configure sockets: atLeast must be a number of sockets, got bigint 1n",
    });
    assert.deepEqual(keepAliveState(pair.clientFd), FRESH, "nothing was configured");
  });

  it("a value whose toString, valueOf or tag throws is described without running any of them", LIMIT, () => {
    const filter = { remotePort: pair.port };
    const entries: [string, (value: never) => unknown, string][] = [
      ["deadPeerPlan", (v) => deadPeerPlan(v), "Cannot use detectWithin: expected a number of milliseconds"],
      ["setKeepAlive", (v) => setKeepAlive(pair.clientFd, { detectWithin: v }), "Cannot use detectWithin"],
      ["configureSockets", (v) => configureSockets(filter, { detectWithin: v }), "Cannot use detectWithin"],
      ["period", (v) => keepConfigured(filter, { detectWithin: 10_000 }, { period: v }), "period must be a number"],
      ["atLeast", (v) => configureSockets(filter, { detectWithin: 10_000 }, { atLeast: v }), "atLeast must be"],
      ["reassert", (v) => keepConfigured(filter, { detectWithin: 10_000 }, { reassert: v }), "reassert must be"],
    ];
    for (const [name, call, start] of entries) {
      const ran: string[] = [];
      assert.throws(() => call(booby(ran) as never), (e: unknown) => {
        assert.ok(e instanceof TypeError, `${name}: ${e}`);
        assert.ok(e.message.includes(start), `${name}: ${e.message}`);
        assert.match(e.message, /got an object \(a plain object\)$/, name);
        return true;
      });
      assert.deepEqual(ran, [], `${name}: none of the value's code ran`);
    }
    assert.deepEqual(keepAliveState(pair.clientFd), FRESH, "nothing was configured");
  });

  it("atLeast beyond any process's sockets is refused before any socket is touched", LIMIT, () => {
    for (const atLeast of [1e308, 2 ** 31, Number.MAX_SAFE_INTEGER, 1.5, -1]) {
      assert.throws(() => configureSockets({ remotePort: pair.port }, { detectWithin: 10_000 }, { atLeast }), {
        name: "RangeError",
        message: `Cannot configure sockets: atLeast ${atLeast} is not a number of sockets ` +
          "(expected an integer 0..2147483647)",
      });
    }
    assert.deepEqual(keepAliveState(pair.clientFd), FRESH, "the matching socket was not configured");
  });
});

describe("options objects must be plain objects", () => {
  let pair: TcpPair;
  before(async () => {
    pair = await tcpPair();
  });
  after(() => pair.close());

  it("configureSockets' and keepConfigured's options refuse what is not a plain object", LIMIT, () => {
    let getterRan = false;
    class Options {
      get atLeast(): number {
        getterRan = true;
        return 0;
      }
      get period(): number {
        getterRan = true;
        return 0;
      }
    }
    const filter = { remotePort: pair.port };
    const settings = { detectWithin: 10_000 };
    const bad: [string, unknown, RegExp][] = [
      [
        "a class instance",
        new Options(),
        /expected an options object \(a plain object\), got an object \(a class instance\)/,
      ],
      ["an array", [1], /expected an options object, got an array/],
      ["new Number", new Number(1), /\(a plain object\), got an object \(Number\)/],
      ["a Date", new Date(), /\(a plain object\), got an object \(Date\)/],
      [
        "an inherited key",
        Object.create({ atLeast: 0, period: 0 }),
        /\(a plain object\), got an object \(a class instance\)/,
      ],
      ["a symbol key", { [Symbol("atLeast")]: 1 }, /unexpected symbol key Symbol\(atLeast\)/],
      ["null", null, /expected an options object, got null/],
      ["a number", 5, /expected an options object, got number 5/],
    ];
    for (const [name, options, message] of bad) {
      for (
        const call of [
          () => configureSockets(filter, settings, options as never),
          () => keepConfigured(filter, settings, options as never),
        ]
      ) {
        assert.throws(call, (e: unknown) => {
          assert.ok(e instanceof TypeError, `${name}: ${e}`);
          assert.match(e.message, message, name);
          return true;
        });
      }
    }
    assert.equal(getterRan, false, "no getter of the class ran");
    assert.deepEqual(keepAliveState(pair.clientFd), FRESH, "nothing was configured");
  });

  it("a Proxy as any options object is refused without running one of its traps", LIMIT, () => {
    const filter = { remotePort: pair.port };
    const settings = { detectWithin: 10_000 };
    const calls: [string, (proxy: never) => unknown][] = [
      ["setKeepAlive options", (p) => setKeepAlive(pair.clientFd, p)],
      ["configureSockets filter", (p) => configureSockets(p, settings)],
      ["configureSockets settings", (p) => configureSockets(filter, p)],
      ["configureSockets options", (p) => configureSockets(filter, settings, p)],
      ["keepConfigured options", (p) => keepConfigured(filter, settings, p)],
      ["fdOf options", (p) => fdOf(pair.clientFd, p)],
      ["a period", (p) => keepConfigured(filter, settings, { period: p })],
    ];
    for (const [name, call] of calls) {
      const traps: string[] = [];
      assert.throws(() => call(counting({ idle: 5_000 }, traps) as never), (e: unknown) => {
        assert.ok(e instanceof TypeError, `${name}: ${e}`);
        assert.match(e.message, /got an object \(a proxy\)$/, name);
        return true;
      });
      assert.deepEqual(traps, [], `${name}: no trap ran`);
    }
    assert.deepEqual(keepAliveState(pair.clientFd), FRESH, "nothing was configured");
  });
});
