/// <reference types="npm:@types/bun@1.4.4" />
/**
 * A `Bun.serve` HTTP server configured through its listener: one `setKeepAlive(server, …)` and
 * `setUserTimeout(server, …)`, and on Linux and FreeBSD every connection the server accepts
 * afterwards inherits them (macOS inherits only SO_KEEPALIVE). Each response reports the settings
 * read back from the connection that carried the request.
 *
 *     bun examples/bun_serve.ts
 */
import { getKeepAlive, getUserTimeout, setKeepAlive, setUserTimeout, tcpSockets } from "sockopts";

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request, server) {
    const peer = server.requestIP(request)!;
    // The accepted connection this request came on, as the kernel sees it.
    const accepted = tcpSockets().find((s) => s.local.port === server.port && s.remote?.port === peer.port)!;
    return Response.json({
      peer: peer.port,
      keepAlive: getKeepAlive(accepted.fd),
      userTimeout: getUserTimeout(accepted.fd),
    });
  },
});
setKeepAlive(server, { idle: 30_000, interval: 5_000, count: 3 });
setUserTimeout(server, 45_000);
console.log(
  `listener :${server.port} ${
    JSON.stringify({ keepAlive: getKeepAlive(server), userTimeout: getUserTimeout(server) })
  }`,
);

for (let i = 1; i <= 2; i++) {
  // A fresh connection per request, so each one is accepted after the listener was configured.
  const response = await fetch(`http://127.0.0.1:${server.port}/`, {
    keepalive: false,
    headers: { connection: "close" },
  });
  console.log(`request ${i}: ${JSON.stringify(await response.json())}`);
}
await server.stop(true);
