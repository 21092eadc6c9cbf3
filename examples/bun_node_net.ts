/// <reference types="npm:@types/bun@1.4.4" />
/**
 * A Bun `node:net` client. Bun's own `socket.setKeepAlive(true, delay)` sets the idle time and
 * also forces the probe interval to 1 s and the count to 10; sockopts sets all three (and the
 * user timeout), and must run after the runtime's call, which would otherwise overwrite it.
 *
 *     bun examples/bun_node_net.ts
 */
import net from "node:net";
import { getKeepAlive, getUserTimeout, setKeepAlive, setUserTimeout } from "sockopts";

// A local server to talk to.
const server = net.createServer((socket) => socket.pipe(socket));
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const { port } = server.address() as net.AddressInfo;

const socket = net.connect(port, "127.0.0.1");
await new Promise<void>((resolve, reject) => {
  socket.once("connect", resolve);
  socket.once("error", reject);
});
const show = (label: string, value: unknown) => console.log(`${label.padEnd(28)}${JSON.stringify(value)}`);
show("kernel defaults:", getKeepAlive(socket));

socket.setKeepAlive(true, 30_000); // Bun's own: idle 30 s, interval 1 s, count 10
show("after socket.setKeepAlive:", getKeepAlive(socket));

setKeepAlive(socket, { idle: 30_000, interval: 5_000, count: 3 }); // after the runtime's call
setUserTimeout(socket, 45_000);
show("after sockopts:", { ...getKeepAlive(socket), userTimeout: getUserTimeout(socket) });

const echo = new Promise<string>((resolve) => socket.once("data", (data) => resolve(String(data))));
socket.write("ping");
show("echo:", await echo);
socket.destroy();
server.close();
