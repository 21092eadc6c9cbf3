/**
 * A `Deno.serve` WebSocket server whose accepted connections get keep-alive, so that a client
 * that vanished (laptop lid closed, NAT entry dropped) is noticed within 45 seconds and its
 * socket freed.
 *
 * On Linux and FreeBSD one call on the server is enough: every connection accepted afterwards
 * inherits the listening socket's keep-alive settings. macOS only inherits SO_KEEPALIVE, so there
 * each upgraded connection is configured in the handler, found by its address with
 * `configureSockets`. The handler also reads the settings back from the accepted socket.
 *
 *     deno run --allow-ffi --allow-net examples/deno_websocket.ts
 */
import { configureSockets, getKeepAlive, setKeepAlive, tcpSockets } from "@sockopts/sockopts";

const DEAD_PEER = { idle: 30_000, interval: 5_000, count: 3 };

const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request, info) => {
  if (request.headers.get("upgrade") !== "websocket") return new Response("WebSocket only", { status: 426 });
  const peer = info.remoteAddr;
  if (Deno.build.os === "darwin") {
    configureSockets({ localPort: server.addr.port, remoteHost: peer.hostname, remotePort: peer.port }, {
      keepAlive: DEAD_PEER,
    });
  }
  // The accepted connection, as the kernel sees it.
  const accepted = tcpSockets().find((s) => s.local.port === server.addr.port && s.remote?.port === peer.port);
  console.log(`server: accepted ${peer.hostname}:${peer.port} ${JSON.stringify(getKeepAlive(accepted!.fd))}`);

  const { socket, response } = Deno.upgradeWebSocket(request);
  socket.onmessage = (event) => socket.send(`echo: ${event.data}`);
  return response;
});
// Configures the listening socket; connections accepted from now on inherit it (Linux, FreeBSD).
setKeepAlive(server, DEAD_PEER);
console.log(`server: listening on :${server.addr.port} ${JSON.stringify(getKeepAlive(server))}`);

// Two clients, one after the other.
for (const name of ["alice", "bob"]) {
  const ws = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  const reply = new Promise<string>((resolve) => ws.onmessage = (event) => resolve(String(event.data)));
  ws.send(`hello from ${name}`);
  console.log(`client ${name}: ${await reply}`);
  const closed = new Promise((resolve) => ws.onclose = resolve);
  ws.close();
  await closed;
}
await server.shutdown();
