// The client against a real synchost host and the real socket.io-client: rooms, a sync reaching
// another client's callback, an error envelope passed on unchanged, a token in the CONNECT auth
// payload, and a request queued while disconnected that arrives after the reconnect.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createSyncClient, type SyncClient, type SyncClientOptions } from "synchost-client";
import { startHost, type Host } from "./host.js";

let host: Host;
const clients: SyncClient[] = [];

before(async () => {
  host = await startHost();
});

after(() => {
  for (const client of clients) client.close();
  host?.stop();
});

async function connected(options: SyncClientOptions = {}): Promise<SyncClient> {
  const client = createSyncClient({ url: host.url, requestTimeoutMs: 10_000, io: { transports: ["websocket"], reconnectionDelay: 50, reconnectionDelayMax: 200 }, ...options });
  clients.push(client);
  if (!client.socket.connected) await new Promise((resolve) => client.socket.once("connect", () => resolve(undefined)));
  return client;
}

/** The next event of a route on `client`, or a hang detected after 10 s. */
function nextEvent(client: SyncClient, name: string, version: string): Promise<{ serverOutput: unknown; clientOutput: unknown }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${name} ${version} frame`)), 10_000);
    const remove = client.upsertSyncEventCallback({
      name, version, callback: (event) => {
        clearTimeout(timer);
        remove();
        resolve(event);
      },
    });
  });
}

test("two clients in a room: one syncs, the other's callback gets the server output", { timeout: 120_000 }, async () => {
  const [a, b] = await Promise.all([connected(), connected()]);
  assert.deepEqual(await a.joinRoom("lobby"), { status: "success", rooms: ["lobby"] });
  assert.deepEqual(await b.joinRoom("lobby"), { status: "success", rooms: ["lobby"] });
  const received = nextEvent(b, "examples/updateCounter", "v1");
  const reply = await a.syncRequest({ name: "examples/updateCounter", version: "v1", data: { amount: 41 }, receiver: "lobby" });
  assert.deepEqual(reply, { status: "success", result: { newValue: 42 } });
  const event = await received;
  assert.deepEqual(event.serverOutput, { newValue: 42 });
  assert.deepEqual(await b.getJoinedRooms(), { status: "success", rooms: ["lobby"] });
});

test("an error envelope comes back exactly as the host sent it", { timeout: 120_000 }, async () => {
  const outsider = await connected();
  const request = { name: "examples/updateCounter", version: "v1", data: { amount: 1 }, receiver: "lobby" };
  const reply = await outsider.syncRequest(request);
  const raw = await outsider.socket.timeout(10_000).emitWithAck("sync", request);
  assert.equal(reply.status === "error" && reply.errorCode, "sync.notRoomMember");
  assert.deepEqual(reply, raw);
  assert.equal(reply.status === "error" && reply.httpStatus, 403);
});

test("the token goes in the CONNECT auth payload: the client stage sees the user", { timeout: 120_000 }, async () => {
  const ann = await connected({ token: host.token("--sub", "ann") });
  await ann.joinRoom("ann-room");
  const received = nextEvent(ann, "examples/updateCounter", "v1");
  const reply = await ann.syncRequest({ name: "examples/updateCounter", version: "v1", data: { amount: 1 }, receiver: "ann-room" });
  assert.equal(reply.status, "success");
  assert.deepEqual((await received).clientOutput, { receivedBy: "ann" });
});

test("setToken reconnects as the new user", { timeout: 120_000 }, async () => {
  const client = await connected();
  const reconnected = new Promise((resolve) => client.socket.once("connect", () => resolve(undefined)));
  client.setToken(host.token("--sub", "bob"));
  await reconnected;
  await client.joinRoom("bob-room");
  const received = nextEvent(client, "examples/updateCounter", "v1");
  await client.syncRequest({ name: "examples/updateCounter", version: "v1", data: { amount: 1 }, receiver: "bob-room" });
  assert.deepEqual((await received).clientOutput, { receivedBy: "bob" });
});

test("getToken renews an expiring token on the open socket: no reconnect, still the user after the first token's end", { timeout: 120_000 }, async () => {
  let asked = 0;
  const client = await connected({
    token: host.token("--sub", "rene", "--ttl", "2"),
    getToken: () => (asked++, host.token("--sub", "rene", "--ttl", "600")),
    renewBeforeMs: 1_000,
  });
  let ended = false;
  let reconnected = false;
  client.socket.on("sessionExpired", () => (ended = true));
  client.socket.io.on("reconnect", () => (reconnected = true));
  await client.joinRoom("rene-room");
  await new Promise((resolve) => setTimeout(resolve, 4_000));
  assert.ok(asked >= 1, "getToken was asked");
  assert.equal(ended, false, "the session ended");
  assert.equal(reconnected, false);
  const received = nextEvent(client, "examples/updateCounter", "v1");
  await client.syncRequest({ name: "examples/updateCounter", version: "v1", data: { amount: 1 }, receiver: "rene-room" });
  assert.deepEqual((await received).clientOutput, { receivedBy: "rene" });
});

test("after the host ends a session, getToken restores it on the same socket", { timeout: 120_000 }, async () => {
  // The token goes in through the socket options, so the client plans no renewal before expiry:
  // only the host's sessionExpired makes it ask.
  const client = await connected({
    io: { transports: ["websocket"], auth: { token: host.token("--sub", "resa", "--ttl", "2") } },
    getToken: () => host.token("--sub", "resa", "--ttl", "600"),
  });
  await client.joinRoom("resa-room");
  await new Promise((resolve) => client.socket.once("sessionExpired", resolve));
  // The renewal answers; the remembered room is the connection's again and the user is back.
  const deadline = Date.now() + 10_000;
  let output: unknown;
  while (Date.now() < deadline) {
    const received = nextEvent(client, "examples/updateCounter", "v1");
    await client.syncRequest({ name: "examples/updateCounter", version: "v1", data: { amount: 1 }, receiver: "resa-room" });
    output = (await received).clientOutput;
    if ((output as { receivedBy?: unknown }).receivedBy === "resa") break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.deepEqual(output, { receivedBy: "resa" });
});

test("a request made while disconnected is queued and arrives after the reconnect", { timeout: 120_000 }, async () => {
  const [sender, listener] = await Promise.all([connected(), connected()]);
  await sender.joinRoom("queue-room");
  await listener.joinRoom("queue-room");
  const dropped = new Promise((resolve) => sender.socket.once("disconnect", () => resolve(undefined)));
  sender.socket.io.engine.close();
  await dropped;
  assert.equal(sender.socket.connected, false);
  const received = nextEvent(listener, "examples/updateCounter", "v1");
  const reply = sender.syncRequest({ name: "examples/updateCounter", version: "v1", data: { amount: 9 }, receiver: "queue-room" });
  assert.equal(sender.queue.size, 1);
  assert.deepEqual(await reply, { status: "success", result: { newValue: 10 } });
  assert.deepEqual((await received).serverOutput, { newValue: 10 });
  assert.equal(sender.queue.size, 0);
});
