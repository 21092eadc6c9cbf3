/**
 * A Deno client pool to a TCP service, every connection set to notice a dead peer within
 * 45 seconds instead of the kernel's 2 h 11 min: 30 s idle, then 3 probes 5 s apart, and
 * unacknowledged writes fail after 45 s too.
 *
 * The "service" is a local echo server, so the example runs anywhere; point `SERVICE` at your
 * database or broker instead.
 *
 *     deno run --allow-ffi --allow-net examples/deno_pool.ts
 */
import { getKeepAlive, getUserTimeout, setKeepAlive, setUserTimeout } from "@sockopts/sockopts";

const DEAD_PEER = { idle: 30_000, interval: 5_000, count: 3 };
const USER_TIMEOUT = 45_000;

/** A fixed-size pool of TCP connections, each configured as it is opened. */
class Pool {
  readonly #idle: Deno.TcpConn[] = [];
  readonly #all: Deno.TcpConn[] = [];

  private constructor(readonly address: Deno.ConnectOptions) {}

  static async open(address: Deno.ConnectOptions, size: number): Promise<Pool> {
    const pool = new Pool(address);
    for (let i = 0; i < size; i++) pool.#idle.push(await pool.#connect());
    return pool;
  }

  async #connect(): Promise<Deno.TcpConn> {
    const conn = await Deno.connect(this.address);
    setKeepAlive(conn, DEAD_PEER);
    setUserTimeout(conn, USER_TIMEOUT);
    this.#all.push(conn);
    return conn;
  }

  /** A connection for one request: an idle one, or a new one when all are busy. */
  async acquire(): Promise<Deno.TcpConn> {
    return this.#idle.shift() ?? await this.#connect();
  }

  release(conn: Deno.TcpConn): void {
    this.#idle.push(conn);
  }

  get connections(): readonly Deno.TcpConn[] {
    return this.#all;
  }

  close(): void {
    for (const conn of this.#all) conn.close();
  }
}

// A local TCP echo service standing in for the real one.
const service = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const served = (async () => {
  for await (const conn of service) conn.readable.pipeTo(conn.writable).catch(() => {});
})();
const SERVICE: Deno.ConnectOptions = { hostname: "127.0.0.1", port: service.addr.port };

async function request(conn: Deno.TcpConn, text: string): Promise<string> {
  await conn.write(new TextEncoder().encode(text));
  const buffer = new Uint8Array(64);
  const n = await conn.read(buffer);
  return new TextDecoder().decode(buffer.subarray(0, n ?? 0));
}

const pool = await Pool.open(SERVICE, 3);
for (let i = 1; i <= 3; i++) {
  const conn = await pool.acquire();
  console.log(`request ${i} on :${conn.localAddr.port}: ${await request(conn, `ping ${i}`)}`);
  pool.release(conn);
}
for (const conn of pool.connections) {
  const settings = { keepAlive: getKeepAlive(conn), userTimeout: getUserTimeout(conn) };
  console.log(`connection :${conn.localAddr.port} -> :${SERVICE.port} ${JSON.stringify(settings)}`);
}
pool.close();
service.close();
await served;
