// Order, backpressure and durability, end to end with the official socket.io-client against
// `synchost serve` on the example handlers: a sender's syncs reach every member in the order they
// were sent however many are in flight; a burst far past `max_in_flight_per_connection` is slowed
// down, not refused (WebSocket and long-polling); and a signed-in user's rooms survive the host
// being killed with SIGKILL.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { io } from "socket.io-client";
import { repo, startHost } from "./host.mjs";

let host;
before(async () => {
  host = await startHost({
    plugins: [path.join(repo, "build", "plugins")],
    config: `
[auth]
secret = "order-test-secret"
[sync]
# Far below the bursts below: every one of them leans on backpressure.
max_in_flight_per_connection = 4
[plugins.routes."examples/updateCounter"]
rate_limit_per_minute = 0
`,
  });
});
after(() => host?.stop());

const sockets = [];
after(() => sockets.forEach((socket) => socket.disconnect()));

async function client(token, transports = ["websocket"]) {
  const socket = io(host.url, {
    forceNew: true,
    reconnection: false,
    transports,
    auth: token ? { token } : {},
  });
  sockets.push(socket);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no connect")), 10000);
    socket.once("connect", () => (clearTimeout(timer), resolve()));
    socket.once("connect_error", (error) => (clearTimeout(timer), reject(error)));
  });
  return socket;
}

function ack(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(20000).emit(event, ...args, (error, reply) => (error ? reject(error) : resolve(reply)));
  });
}

/** Sends `count` syncs numbered 1..count from `socket`, at most `window` unanswered at a time. */
async function sendNumbered(socket, { name, version, room, count, window }) {
  let next = 1;
  const refused = [];
  async function worker() {
    while (next <= count) {
      const amount = next++;
      const reply = await ack(socket, "sync", { name, version, data: { amount }, receiver: room });
      if (reply.status !== "success") refused.push({ amount, reply });
    }
  }
  await Promise.all(Array.from({ length: window }, worker));
  return refused;
}

/** Collects the `newValue`s a member receives until it has `count` of them. */
function collect(socket, fullName, count) {
  const seen = [];
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`got ${seen.length} of ${count}: ${seen.slice(-10)}`)), 60000);
    socket.on("sync", (frame) => {
      if (frame.fullName !== fullName) return;
      seen.push(frame.serverOutput.newValue);
      if (seen.length === count) (clearTimeout(timer), resolve(seen));
    });
  });
  return done;
}

for (const [version, what] of [
  ["v1", "server and client stage"],
  ["v2", "server stage only"],
]) {
  test(`200 syncs from one sender, 32 in flight, reach every member in order (${what})`, async () => {
    const room = `order-${version}-${Date.now()}`;
    const count = 200;
    const sender = await client();
    const members = [await client(), await client(host.token("--sub", "olga"))];
    for (const socket of [sender, ...members]) {
      assert.equal((await ack(socket, "joinRoom", room)).status, "success");
    }
    const fullName = `sync/examples/updateCounter/${version}`;
    const received = members.map((member) => collect(member, fullName, count));
    const refused = await sendNumbered(sender, { name: "examples/updateCounter", version, room, count, window: 32 });
    assert.deepEqual(refused, [], "every sync is accepted");
    const expected = Array.from({ length: count }, (_, n) => n + 2);
    for (const values of await Promise.all(received)) {
      assert.deepEqual(values, expected, "exactly once, in the order sent");
    }
  });
}

for (const transport of ["websocket", "polling"]) {
  test(`a burst of 300 syncs sent at once, 75 times the in-flight cap, is delivered in full and in order (${transport})`, async () => {
    const room = `burst-${transport}-${Date.now()}`;
    const count = 300;
    const sender = await client(undefined, [transport]);
    const member = await client();
    for (const socket of [sender, member]) {
      assert.equal((await ack(socket, "joinRoom", room)).status, "success");
    }
    const fullName = "sync/examples/updateCounter/v1";
    const received = collect(member, fullName, count);
    // Fired without waiting for a single ack: nothing may be refused for being fast.
    const replies = await Promise.all(
      Array.from({ length: count }, (_, n) =>
        ack(sender, "sync", { name: "examples/updateCounter", version: "v1", data: { amount: n + 1 }, receiver: room }),
      ),
    );
    const refused = replies.filter((reply) => reply.status !== "success").map((reply) => reply.errorCode);
    assert.deepEqual(refused, [], "every sync of the burst is accepted");
    assert.deepEqual(await received, Array.from({ length: count }, (_, n) => n + 2), "exactly once, in order");
  });
}

test("a signed-in user's rooms survive kill -9 and a restart of the host", async () => {
  const token = host.token("--sub", "karl");
  const karl = await client(token);
  for (const room of ["garden", "shed"]) {
    assert.equal((await ack(karl, "joinRoom", room)).status, "success");
  }
  assert.deepEqual((await ack(karl, "leaveRoom", "shed")).rooms, ["garden"]);
  karl.disconnect();

  await host.restart("SIGKILL");

  const again = await client(token);
  assert.deepEqual((await ack(again, "getJoinedRooms")).rooms, ["garden"]);
  const reply = await ack(again, "sync", {
    name: "examples/updateCounter",
    version: "v1",
    data: { amount: 1 },
    receiver: "garden",
  });
  assert.equal(reply.status, "success", "the remembered room counts for membership after the restart");
});
