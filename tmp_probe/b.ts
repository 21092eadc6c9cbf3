import * as so from "../mod.ts";
import net from "node:net";
const server = net.createServer(() => {});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const port = (server.address() as net.AddressInfo).port;
const c = net.connect(port, "127.0.0.1");
await new Promise((r) => c.once("connect", r));
try {
  console.log("fdOf", so.fdOf(c), so.fdOf(server));
  so.setKeepAlive(c, { idle: 75_000, interval: 7_000, count: 5 });
  console.log(so.getKeepAlive(c));
  console.log(so.tcpSockets().map((r) => [r.fd, r.localText, r.remoteText, r.state]));
  const g = globalThis as any;
  if (g.Bun) {
    const l = g.Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const bc = await g.Bun.connect({ hostname: "127.0.0.1", port: l.port, socket: { data() {} } });
    console.log("bun fd", bc.fd, so.fdOf(bc), so.fdOf(l));
    so.setKeepAlive(bc, { idle: 61_000 });
    console.log(so.getKeepAlive(bc));
    const srv = g.Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("x") });
    console.log("serve", so.fdOf(srv), so.getKeepAlive(srv));
    srv.stop(true); bc.end(); l.stop(true);
  }
  c.destroy();
  try { so.getKeepAlive(c); } catch (e) { console.log(e.name, e.message); }
} catch (e) { console.log("ERR", e); }
server.close();
process.exit(0);
