/**
 * The process-wide recipe: sockets a driver keeps to itself (database pools, Redis and NATS
 * clients, HTTP agents) are configured by what they connect to, with `configureSockets`, after
 * the driver has connected and again whenever its pool may have grown.
 *
 * The "driver" here is a small stand-in that opens its connections internally and never shows
 * them, talking to a local server that plays the database. Runs unchanged in Deno, Bun and
 * Node.js 26.9+:
 *
 *     deno run --allow-ffi --allow-net examples/configure_sockets.ts
 *     bun examples/configure_sockets.ts
 *     node examples/configure_sockets.ts
 *
 * (In a Deno project of your own, import from "jsr:@sockopts/sockopts".)
 */
import net from "node:net";
import { configureSockets, tcpSockets } from "sockopts";

/** A driver with a private pool: the application gets `query`, never a socket. */
function createDriver(port: number, size: number) {
  const sockets: net.Socket[] = [];
  return {
    async connect(): Promise<void> {
      while (sockets.length < size) {
        const socket = net.connect(port, "127.0.0.1");
        await new Promise<void>((resolve, reject) => {
          socket.once("connect", resolve);
          socket.once("error", reject);
        });
        sockets.push(socket);
      }
    },
    async query(text: string): Promise<string> {
      const socket = sockets[Math.floor(Math.random() * sockets.length)];
      const answer = new Promise<string>((resolve) => socket.once("data", (data) => resolve(String(data))));
      socket.write(text);
      return await answer;
    },
    end(): void {
      for (const socket of sockets) socket.destroy();
    },
  };
}

// The "database": answers every query with "ok: <query>".
const database = net.createServer((socket) => socket.on("data", (data) => socket.write(`ok: ${data}`)));
await new Promise<void>((resolve) => database.listen(0, "127.0.0.1", resolve));
const DB_PORT = (database.address() as net.AddressInfo).port;

const driver = createDriver(DB_PORT, 3);
await driver.connect();
console.log(`query: ${await driver.query("select 1")}`);

// Every connection this process holds to the database: 30 s idle, 3 probes 5 s apart, 45 s user timeout.
const changed = configureSockets({ remotePort: DB_PORT }, {
  keepAlive: { idle: 30_000, interval: 5_000, count: 3 },
  userTimeout: 45_000,
});
console.log(`configured ${changed.length} of ${tcpSockets().length} TCP sockets in this process`);
for (const socket of changed) {
  const { fd, local, remote, state, keepAlive, userTimeout } = socket;
  console.log(
    `fd ${fd} :${local.port} -> ${remote?.address}:${remote?.port} ${state} ${
      JSON.stringify({ keepAlive, userTimeout })
    }`,
  );
}

driver.end();
database.close();
