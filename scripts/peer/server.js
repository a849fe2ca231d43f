// The socket.io "get started" chat (https://socket.io/docs/v4/tutorial/) with the Redis adapter,
// as the benchmark's peer: every "chat message" is broadcast to every client through the adapter
// (one PUBLISH per message on its own redis-server), and acknowledged to its sender.
// Usage: node server.js PORT REDIS_URL
const { createServer } = require("node:http");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { createClient } = require("redis");

async function main() {
  const [port, redisUrl] = process.argv.slice(2);
  const pubClient = createClient({ url: redisUrl });
  const subClient = pubClient.duplicate();
  await Promise.all([pubClient.connect(), subClient.connect()]);
  const server = createServer((req, res) => {
    res.writeHead(req.url === "/health" ? 200 : 404).end();
  });
  const io = new Server(server, { adapter: createAdapter(pubClient, subClient) });
  io.on("connection", (socket) => {
    socket.on("chat message", (msg, ack) => {
      io.emit("chat message", msg);
      if (typeof ack === "function") ack();
    });
  });
  server.listen(Number(port), "127.0.0.1", () => console.log("listening"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
