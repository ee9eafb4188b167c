// End-to-end tests of the Socket.IO gateway with the official socket.io-client from npm.
//
// The host runs in its conformance mode (the configuration of the official protocol suites plus a few
// test events: join, publish, ask, kick, drop). Every wait has a timeout so a broken server fails a test
// instead of hanging it; nothing asserts on elapsed time.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { io, Manager } from "socket.io-client";
import { launch } from "./host.mjs";

let server;
let url;

before(async () => {
  ({ child: server, url } = await launch(["conformance", "--port", "0"]));
});

after(() => {
  server?.kill("SIGTERM");
});

/** Resolves with the first emission of `event`, or rejects after `ms`. */
function next(emitter, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), ms);
    emitter.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

/** Emits `event` with `args` and resolves with every argument of the acknowledgement. */
function ack(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(5000).emit(event, ...args, (error, ...reply) => (error ? reject(error) : resolve(reply)));
  });
}

function connect(namespace = "/", options = {}) {
  return io(url + namespace, { forceNew: true, reconnection: false, ...options });
}

async function connected(socket) {
  if (!socket.connected) await next(socket, "connect");
  return socket;
}

test("polling connects, then upgrades to WebSocket and keeps working", async () => {
  const socket = connect("/", { transports: ["polling", "websocket"] });
  await connected(socket);
  const engine = socket.io.engine;
  if (engine.transport.name !== "websocket") await next(engine, "upgrade");
  assert.equal(engine.transport.name, "websocket");
  const reply = await ack(socket, "message-with-ack", "after upgrade", 42);
  assert.deepEqual(reply, ["after upgrade", 42]);
  socket.disconnect();
});

test("polling only works for events and acks", async () => {
  const socket = await connected(connect("/", { transports: ["polling"] }));
  const back = next(socket, "message-back");
  socket.emit("message", { nested: { list: [1, "two", true, null] } });
  assert.deepEqual(await back, [{ nested: { list: [1, "two", true, null] } }]);
  socket.disconnect();
});

test("WebSocket only: connect event carries the handshake auth", async () => {
  const socket = connect("/", { transports: ["websocket"], auth: { token: "abc" } });
  const [auth] = await next(socket, "auth");
  assert.deepEqual(auth, { token: "abc" });
  assert.equal(socket.io.engine.transport.name, "websocket");
  socket.disconnect();
});

test("acknowledgements in both directions", async () => {
  const socket = await connected(connect("/", { transports: ["websocket"] }));
  const fromServer = await ack(socket, "message-with-ack", 1, "2", { 3: [false] });
  assert.deepEqual(fromServer, [1, "2", { 3: [false] }]);

  socket.on("question", (value, reply) => reply({ answered: value * 2 }));
  const answer = next(socket, "answer");
  socket.emit("ask", 21);
  assert.deepEqual(await answer, [{ answered: 42 }]);
  socket.disconnect();
});

test("binary payloads at any depth round-trip byte for byte", async () => {
  for (const transports of [["websocket"], ["polling"]]) {
    const socket = await connected(connect("/", { transports }));
    const payload = { first: Buffer.from([1, 2, 3]), deep: { list: [Buffer.from([4, 5, 6]), "text"] } };
    const back = next(socket, "message-back");
    socket.emit("message", payload, Buffer.from([7]));
    const [echoed, extra] = await back;
    assert.deepEqual([...echoed.first], [1, 2, 3]);
    assert.deepEqual([...echoed.deep.list[0]], [4, 5, 6]);
    assert.equal(echoed.deep.list[1], "text");
    assert.deepEqual([...extra], [7]);

    const acked = await ack(socket, "message-with-ack", Buffer.from([9, 8]));
    assert.deepEqual([...acked[0]], [9, 8]);
    socket.disconnect();
  }
});

test("two namespaces share one connection", async () => {
  const manager = new Manager(url, { forceNew: true, reconnection: false, transports: ["websocket"] });
  const main = manager.socket("/", { auth: { who: "main" } });
  const custom = manager.socket("/custom", { auth: { who: "custom" } });
  const [[mainAuth], [customAuth]] = await Promise.all([next(main, "auth"), next(custom, "auth")]);
  assert.deepEqual(mainAuth, { who: "main" });
  assert.deepEqual(customAuth, { who: "custom" });
  assert.notEqual(main.id, custom.id);

  custom.disconnect();
  const back = next(main, "message-back");
  main.emit("message", "still here");
  assert.deepEqual(await back, ["still here"]);
  main.disconnect();
});

test("an unknown namespace is refused with Node's error", async () => {
  const socket = connect("/nope", { transports: ["websocket"] });
  const [error] = await next(socket, "connect_error");
  assert.equal(error.message, "Invalid namespace");
  socket.disconnect();
});

test("server-side disconnect, then the client reconnects", async () => {
  const socket = await connected(connect("/", { transports: ["websocket"] }));
  const firstId = socket.id;
  const gone = next(socket, "disconnect");
  socket.emit("kick");
  const [reason] = await gone;
  assert.equal(reason, "io server disconnect");

  socket.connect();
  await next(socket, "connect");
  assert.notEqual(socket.id, firstId);
  const reply = await ack(socket, "message-with-ack", "back");
  assert.deepEqual(reply, ["back"]);
  socket.disconnect();
});

test("a dropped transport reconnects on its own", async () => {
  const socket = io(url, { forceNew: true, transports: ["websocket"], reconnectionDelay: 50, reconnectionDelayMax: 100 });
  await connected(socket);
  const gone = next(socket, "disconnect");
  socket.emit("drop");
  const [reason] = await gone;
  assert.equal(reason, "transport close");
  await next(socket, "connect");
  const reply = await ack(socket, "message-with-ack", "reconnected");
  assert.deepEqual(reply, ["reconnected"]);
  socket.disconnect();
});

test("a room broadcast reaches every member exactly once, in order, and nobody else", async () => {
  const members = 40;
  const messages = 25;
  const clients = await Promise.all(
    Array.from({ length: members }, () => connected(connect("/", { transports: ["websocket"] }))),
  );
  const outsider = await connected(connect("/", { transports: ["websocket"] }));
  // Half the members also join a second room: a broadcast to both rooms must still arrive once.
  await Promise.all(clients.map((client) => ack(client, "join", "blue")));
  await Promise.all(clients.slice(0, members / 2).map((client) => ack(client, "join", "green")));

  const received = clients.map(() => []);
  clients.forEach((client, index) => client.on("msg", (payload) => received[index].push(payload.seq)));
  let outsiderCount = 0;
  outsider.on("msg", () => outsiderCount++);

  const publisher = await connected(connect("/", { transports: ["websocket"] }));
  for (let seq = 0; seq < messages; seq++) {
    await ack(publisher, "publish", ["blue", "green"], { seq });
  }
  const deadline = Date.now() + 10000;
  while (received.some((list) => list.length < messages) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const expected = Array.from({ length: messages }, (_, seq) => seq);
  received.forEach((list) => assert.deepEqual(list, expected));
  assert.equal(outsiderCount, 0);
  for (const client of [...clients, outsider, publisher]) client.disconnect();
});
