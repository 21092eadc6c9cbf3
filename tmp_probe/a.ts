import * as so from "../mod.ts";
const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const c = await Deno.connect({ hostname: "127.0.0.1", port: l.addr.port });
const s = await l.accept();
try {
  console.log("fdOf", so.fdOf(c), so.fdOf(s), so.fdOf(l));
  so.setKeepAlive(c, { idle: 75_000, interval: 7_000, count: 5 });
  console.log(so.getKeepAlive(c));
  console.log(so.tcpSockets().map((r) => [r.fd, r.localText, r.remoteText, r.state]));
  try { so.setUserTimeout(c, 5000); } catch (e) { console.log(e.name, e.message); }
  try { so.setOption(c, "TCP_KEEPCNT", 200); } catch (e) { console.log(e.name, e.message, e.code); }
  console.log(so.getOption(c, "SO_LINGER"), so.getOption(c, "TCP_NODELAY"), so.getOption(c, "SO_RCVBUF"));
  c.close();
  try { so.getKeepAlive(c); } catch (e) { console.log(e.name, e.message); }
} catch (e) { console.log("ERR", e); }
s.close(); l.close();
