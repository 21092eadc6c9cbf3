// The far end of bench/listing_worker.ts's "100 new connections": a server in a process of its own,
// as a database is, so that a policy tick finds exactly the 100 client sockets as new. Prints its
// port, then holds every connection until stdin closes.
import net from "node:net";

const server = net.createServer({ noDelay: true }, (s) => s.on("error", () => {}));
server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.stdin.on("end", () => process.exit(0));
process.stdin.on("close", () => process.exit(0));
process.stdin.resume();
