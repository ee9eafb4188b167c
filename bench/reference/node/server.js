// Reference server for the synchost broadcast benchmark: the scenario in bench/SCENARIO.md on
// Node socket.io 4.8 with its defaults, except that only the WebSocket transport is offered.
// It must stay a plain room broadcast (no extra work, no tuning), so that the comparison measures
// socket.io itself. Usage: node server.js [port]  (or PORT=...); it binds 127.0.0.1 only.
"use strict";

const { createServer } = require("node:http");
const { Server } = require("socket.io");

const port = Number(process.argv[2] ?? process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`invalid port: ${process.argv[2] ?? process.env.PORT}`);
  process.exit(2);
}

const httpServer = createServer();
const io = new Server(httpServer, { transports: ["websocket"], serveClient: false });

io.on("connection", (socket) => {
  socket.on("join", (room, ack) => {
    if (typeof room !== "string") return;
    socket.join(room);
    if (typeof ack === "function") ack("ok");
  });

  socket.on("publish", (room, payload, ack) => {
    if (typeof room !== "string") return;
    // The publisher is never a room member, so `socket.to` reaches exactly the room.
    socket.to(room).emit("msg", payload);
    if (typeof ack === "function") ack("ok");
  });
});

httpServer.listen(port, "127.0.0.1", () => {
  console.log(`node socket.io ${require("socket.io/package.json").version} listening on 127.0.0.1:${port}`);
});

process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
