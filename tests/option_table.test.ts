/**
 * The option table itself, without sockets: frozen, consistent with each OS's constants and notes,
 * and an UnsupportedError naming the OS for every option an OS lacks. (tests/options.test.ts
 * drives each option on real sockets.)
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type OptionName, options, optionSchema, UnsupportedError } from "../mod.ts";
import { darwin } from "../platforms/darwin/constants.ts";
import { freebsd } from "../platforms/freebsd/constants.ts";
import { linux } from "../platforms/linux/constants.ts";
import { windows } from "../platforms/windows/constants.ts";
import { OPTION_NOTES } from "../platforms/notes.ts";
import type { PlatformTable } from "../platforms/types.ts";
import { optionConstant } from "../src/sys/host.ts";

const LIMIT = { timeout: 60_000 };

describe("the option table", () => {
  const platforms: readonly PlatformTable[] = [linux, darwin, freebsd, windows];

  it("is frozen, down to each OS's constants", LIMIT, () => {
    assert.ok(Object.isFrozen(options));
    assert.ok(Object.isFrozen(options.SO_LINGER));
    assert.ok(Object.isFrozen(options.SO_LINGER.os));
    assert.ok(Object.isFrozen(options.SO_LINGER.os.linux));
    assert.ok(Object.isFrozen(options.TCP_CONGESTION.os.linux!.errnos));
    assert.throws(() => {
      (options as unknown as Record<string, unknown>).TCP_NODELAY = null;
    }, TypeError);
  });

  it("describes every option on every OS, consistently", LIMIT, () => {
    for (const p of platforms) {
      for (const name of Object.keys(OPTION_NOTES[p.os]) as OptionName[]) {
        assert.notEqual(p.options[name], null, `${p.os} has the ${name} its note is about`);
      }
    }
    for (const [name, info] of Object.entries(options)) {
      assert.equal(info.name, name);
      assert.equal(info.type, optionSchema[name as OptionName].type);
      assert.deepEqual(
        info.supportedOn,
        platforms.filter((p) => p.options[name as OptionName] !== null).map((p) => p.os),
      );
      for (const p of platforms) {
        const constant = info.os[p.os];
        // The OS table's constant, plus the OS's note on it (platforms/notes.ts) where it has one.
        const note = OPTION_NOTES[p.os][name as OptionName];
        const expected = p.options[name as OptionName];
        assert.deepEqual(constant, note === undefined ? expected : { ...expected, note }, `${name} on ${p.os}`);
        if (constant === null) continue;
        const units = info.type === "ms" ? ["ms", "seconds"] : info.type === "int" ? ["int", "flag"] : [info.type];
        assert.ok(units.includes(constant.unit), `${name} on ${p.os}: unit ${constant.unit} for type ${info.type}`);
        assert.equal(constant.readOnly ?? false, info.readOnly, `${name} read-only on ${p.os}`);
        assert.equal(
          constant.level,
          info.level === "SOL_SOCKET" ? p.SOL_SOCKET : p.IPPROTO_TCP,
          `${name} level on ${p.os}`,
        );
        assert.ok(constant.min <= constant.max, `${name} range on ${p.os}`);
      }
    }
  });

  it("knows which OSes lack which option", LIMIT, () => {
    assert.deepEqual(options.SO_COOKIE.supportedOn, ["linux"]);
    assert.deepEqual(options.TCP_QUICKACK.supportedOn, ["linux"]);
    assert.deepEqual(options.TCP_CONGESTION.supportedOn, ["linux", "freebsd"]);
    assert.deepEqual(options.TCP_NOTSENT_LOWAT.supportedOn, ["linux", "darwin"]);
    assert.deepEqual(options.TCP_USER_TIMEOUT.supportedOn, ["linux", "darwin", "freebsd", "windows"]);
    assert.deepEqual(options.SO_ACCEPTCONN.supportedOn, ["linux", "freebsd", "windows"]);
    assert.deepEqual(options.SO_REUSEPORT.supportedOn, ["linux", "darwin", "freebsd"]);
    assert.equal(options.TCP_KEEPIDLE.os.windows?.native, "TCP_KEEPALIVE");
    assert.equal(options.TCP_KEEPIDLE.os.windows?.minBuild, 16299);
    assert.equal(options.TCP_KEEPCNT.os.windows?.minBuild, 15063);
    assert.equal(options.TCP_USER_TIMEOUT.os.windows?.native, "TCP_MAXRTMS");
    assert.equal(options.SO_LINGER.os.windows?.size, 4, "Winsock's struct linger: two u_shorts");
    assert.equal(options.SO_LINGER.os.darwin?.native, "SO_LINGER_SEC");
    assert.equal(options.SO_LINGER.os.darwin?.optname, 0x1080);
    assert.equal(options.TCP_KEEPIDLE.os.darwin?.native, "TCP_KEEPALIVE");
  });

  it("throws UnsupportedError naming the OS for every option an OS lacks", LIMIT, () => {
    let missing = 0;
    for (const p of platforms) {
      for (const [name, constant] of Object.entries(p.options)) {
        if (constant !== null) continue;
        missing++;
        assert.throws(() => optionConstant(p, name as OptionName), (e: unknown) => {
          assert.ok(e instanceof UnsupportedError);
          assert.equal(e.os, p.os);
          assert.equal(e.option, name);
          assert.equal(e.message, `Unsupported option: ${name} does not exist on ${p.displayName} (${p.os})`);
          return true;
        });
      }
    }
    assert.equal(missing, 12); // macOS: 4, FreeBSD: 3, Windows: 5
  });
});
