import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { darwinTcpInfo } from "../platforms/darwin/constants.ts";
import { freebsdTcpInfo } from "../platforms/freebsd/constants.ts";
import { linuxTcpInfo } from "../platforms/linux/constants.ts";
import { getsockoptRaw, getTcpInfo, SockoptError, type TcpInfo } from "../mod.ts";
import { decodeTcpInfo } from "../src/options/tcp_info.ts";
import { type TcpPair, tcpPair, udpSocket } from "./support/net.ts";
import { SS_STATES, ssConnection, ssListener, ssMissing, type SsSocket } from "./support/ss.ts";

// Every test here opens sockets: a hang fails that test after this long instead of the run.
const LIMIT = { timeout: 60_000 };

const TCP_INFO = 11; // Linux

/** A loopback connection whose sides stay open after the other's FIN (allowHalfOpen). */
function halfOpenPair(): Promise<TcpPair> {
  return tcpPair("127.0.0.1", true);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads sockopts, then ss, then sockopts again, so time-varying fields can be bracketed. */
function readAround(fd: number, oracle: () => SsSocket): { before: TcpInfo; ss: SsSocket; after: TcpInfo } {
  const before = getTcpInfo(fd);
  const ss = oracle();
  const after = getTcpInfo(fd);
  return { before, ss, after };
}

function assertMatchesSs({ before, ss, after }: { before: TcpInfo; ss: SsSocket; after: TcpInfo }): void {
  const where = `\n${ss.text}\n${JSON.stringify(before)}`;
  assert.equal(before.state, SS_STATES[ss.state], `state${where}`);
  assert.equal(after.state, before.state, `state changed while reading${where}`);
  // ss prints rto only when it is neither 0 nor the initial 3 s (misc/ss.c tcp_show_info).
  const rto = ss.fields.get("rto");
  if (rto === undefined) assert.ok(before.rto === 0 || before.rto === 3000, `rto${where}`);
  else assert.equal(before.rto, Number(rto), `rto${where}`);
  assert.equal(before.cwnd, Number(ss.fields.get("cwnd")), `cwnd${where}`);
  const rtt = ss.fields.get("rtt");
  if (rtt !== undefined) {
    const [smoothed, variation] = rtt.split("/").map(Number);
    assert.equal(before.rtt, smoothed, `rtt${where}`);
    assert.equal(before.rttvar, variation, `rttvar${where}`);
  }
  const mss = ss.fields.get("mss");
  if (mss !== undefined) assert.equal(before.mss, Number(mss), `mss${where}`);
  // ss prints retrans:<retransmits>/<total> and unacked: only when they are not 0.
  const retrans = ss.fields.get("retrans");
  assert.deepEqual(
    [before.retransmits, before.totalRetransmits],
    retrans === undefined ? [0, 0] : retrans.split("/").map(Number),
    `retrans${where}`,
  );
  assert.equal(before.unacked, Number(ss.fields.get("unacked") ?? 0), `unacked${where}`);
  // lastsnd/lastrcv grow with time: ss's reading lies between ours (a few ms of slack for jiffies).
  for (const [key, field] of [["lastsnd", "lastDataSent"], ["lastrcv", "lastDataReceived"]] as const) {
    const seen = ss.fields.get(key);
    if (seen === undefined) continue;
    assert.ok(
      Number(seen) >= before[field]! - 5 && Number(seen) <= after[field]! + 5,
      `${key} ${seen} outside ${before[field]}..${after[field]}${where}`,
    );
  }
}

describe("getTcpInfo against ss -tni on the same connection", { skip: ssMissing }, () => {
  let pair: TcpPair;
  before(async () => {
    pair = await halfOpenPair();
    // Move some data both ways so RTT, RTO and the window have been measured, then go idle.
    const payload = Buffer.alloc(256 * 1024, 7);
    const echoed = new Promise<void>((resolve) => {
      let seen = 0;
      pair.client.on("data", (chunk: Buffer) => {
        seen += chunk.length;
        if (seen >= payload.length) resolve();
      });
    });
    pair.accepted.on("data", (chunk: Buffer) => pair.accepted.write(chunk));
    pair.client.write(payload);
    await echoed;
    await sleep(50);
  });
  after(() => pair.close());

  it("agrees on an established connection, client side", LIMIT, () => {
    const seen = readAround(pair.clientFd, () => ssConnection(pair.clientPort, pair.port));
    assert.equal(seen.before.state, "ESTABLISHED");
    assert.ok(seen.before.rto! >= 200, `rto ${seen.before.rto}`); // TCP_RTO_MIN is 200 ms
    assert.ok(seen.before.cwnd! >= 1);
    assertMatchesSs(seen);
  });

  it("agrees on an established connection, server side", LIMIT, () => {
    assertMatchesSs(readAround(pair.acceptedFd, () => ssConnection(pair.port, pair.clientPort)));
  });

  it("agrees on the listener", LIMIT, () => {
    const seen = readAround(pair.listenerFd, () => ssListener(pair.port));
    assert.equal(seen.before.state, "LISTEN");
    assertMatchesSs(seen);
  });

  it("agrees after the client's FIN: CLOSE_WAIT on the server, FIN_WAIT_2 on the client", LIMIT, async () => {
    pair.client.end();
    await sleep(50);
    const server = readAround(pair.acceptedFd, () => ssConnection(pair.port, pair.clientPort));
    assert.equal(server.before.state, "CLOSE_WAIT");
    assertMatchesSs(server);
    const client = readAround(pair.clientFd, () => ssConnection(pair.clientPort, pair.port));
    assert.equal(client.before.state, "FIN_WAIT_2");
    assertMatchesSs(client);
  });
});

describe("getTcpInfo decodes the bytes the kernel returned", () => {
  let pair: TcpPair;
  before(async () => {
    pair = await halfOpenPair();
  });
  after(() => pair.close());

  const steady = (info: TcpInfo) => ({ ...info, lastDataSent: 0, lastDataReceived: 0 });

  it("decodes the whole struct this kernel returns, whatever its size", LIMIT, () => {
    const raw = getsockoptRaw(pair.clientFd, 6, TCP_INFO, 768);
    // The kernel wrote its own sizeof(struct tcp_info), not the 768 bytes offered.
    assert.ok(raw.length >= 104 && raw.length < 768, `optlen ${raw.length}`);
    assert.deepEqual(steady(decodeTcpInfo(linuxTcpInfo, raw, raw.length)), steady(getTcpInfo(pair.clientFd)));
  });

  it("leaves out what a shorter struct (an older kernel's) does not hold", LIMIT, () => {
    // The kernel copies min(optlen, sizeof): 60 bytes, as a kernel without rtt and later would.
    const raw = getsockoptRaw(pair.clientFd, 6, TCP_INFO, 60);
    assert.equal(raw.length, 60);
    const info = decodeTcpInfo(linuxTcpInfo, raw, raw.length);
    assert.equal(info.state, "ESTABLISHED");
    assert.equal(info.rto, getTcpInfo(pair.clientFd).rto);
    assert.equal(info.mss, getTcpInfo(pair.clientFd).mss);
    assert.deepEqual([info.rtt, info.rttvar, info.cwnd, info.totalRetransmits], [null, null, null, null]);
    // Trailing bytes past the length are not read, even if the buffer has them.
    const padded = new Uint8Array(300).fill(0xff);
    padded.set(raw);
    assert.deepEqual(decodeTcpInfo(linuxTcpInfo, padded, 60), info);
    assert.equal(decodeTcpInfo(linuxTcpInfo, new Uint8Array(0), 0).state, "UNKNOWN");
  });

  it("refuses UDP sockets and closed fds with SockoptError", LIMIT, async () => {
    const udp = await udpSocket();
    try {
      assert.throws(() => getTcpInfo(udp.fd), {
        name: "SockoptError",
        code: "EOPNOTSUPP",
        syscall: "getsockopt",
        option: "TCP_INFO",
        message:
          `Cannot get TCP_INFO on fd ${udp.fd}: fd ${udp.fd} is a UDP socket, and TCP options apply only to TCP sockets (EOPNOTSUPP)`,
      });
    } finally {
      await udp.close();
    }
    assert.throws(() => getTcpInfo(2_000_000_000), (e: unknown) => e instanceof SockoptError && e.code === "EBADF");
    assert.throws(() => getTcpInfo("7" as never), { name: "TypeError", message: /^Cannot get TCP_INFO: / });
  });
});

describe("TCP info layouts of the other OSes, decoded from bytes laid out as their headers say", () => {
  it("macOS tcp_connection_info: ms durations, the window in bytes, a 64-bit retransmit count", LIMIT, () => {
    const bytes = new Uint8Array(112);
    const view = new DataView(bytes.buffer);
    view.setUint8(0, 4); // tcpi_state = TCPS_ESTABLISHED
    view.setUint32(12, 230, true); // tcpi_rto, ms
    view.setUint32(16, 1448, true); // tcpi_maxseg
    view.setUint32(24, 14480 + 1, true); // tcpi_snd_cwnd, bytes: just over 10 segments
    view.setUint32(40, 99, true); // tcpi_rttcur (not reported)
    view.setUint32(44, 31, true); // tcpi_srtt, ms
    view.setUint32(48, 6, true); // tcpi_rttvar, ms
    view.setBigUint64(104, 3n, true); // tcpi_txretransmitpackets
    assert.deepEqual(decodeTcpInfo(darwinTcpInfo, bytes, 112), {
      state: "ESTABLISHED",
      rtt: 31,
      rttvar: 6,
      rto: 230,
      retransmits: null,
      totalRetransmits: 3,
      probes: null,
      cwnd: 11,
      mss: 1448,
      unacked: null,
      lastDataSent: null,
      lastDataReceived: null,
    });
    view.setUint8(0, 5);
    assert.equal(decodeTcpInfo(darwinTcpInfo, bytes, 112).state, "CLOSE_WAIT");
  });

  it("FreeBSD tcp_info: µs durations, the window in bytes, FreeBSD's own state numbers", LIMIT, () => {
    const bytes = new Uint8Array(236);
    const view = new DataView(bytes.buffer);
    view.setUint8(0, 1); // tcpi_state = TCPS_LISTEN (Linux's 1 is ESTABLISHED)
    view.setUint32(8, 201_000, true); // tcpi_rto, µs
    view.setUint32(16, 1460, true); // tcpi_snd_mss
    view.setUint32(52, 1_500_000, true); // tcpi_last_data_recv, µs
    view.setUint32(68, 12_345, true); // tcpi_rtt, µs
    view.setUint32(72, 2_000, true); // tcpi_rttvar, µs
    view.setUint32(80, 14_600, true); // tcpi_snd_cwnd, bytes
    view.setUint32(120, 7, true); // tcpi_snd_rexmitpack
    assert.deepEqual(decodeTcpInfo(freebsdTcpInfo, bytes, 236), {
      state: "LISTEN",
      rtt: 12.345,
      rttvar: 2,
      rto: 201,
      retransmits: null,
      totalRetransmits: 7,
      probes: null,
      cwnd: 10,
      mss: 1460,
      unacked: null,
      lastDataSent: null,
      lastDataReceived: 1500,
    });
  });
});
