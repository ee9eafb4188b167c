// Cluster-wide room presence with the official socket.io-client: three synchost nodes on one real
// Redis, clients spread over them in one room, and the `cluster/presence` fixture (capability
// `rooms`) reporting what `rooms.size` and `rooms.members` say on each node. The counts cover every
// node, a leave and a disconnect are seen everywhere, a node killed with kill -9 stops counting after
// its presence TTL, and while Redis is down the plugin's host call fails (storage) instead of
// answering with a part of the room.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { io } from "socket.io-client";
import { copyTree, repo, startHost } from "./host.mjs";
import { startRedis } from "./redis.mjs";

const SECRET = "cluster-presence-secret";
const NODES = ["a", "b", "c"];
/** Only a guard against hanging: every wait below polls until the answer is right. */
const GUARD_MS = 30000;
let redis;
const hosts = {};

const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-presence-cache-"));
const handlers = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-presence-handlers-"));
copyTree(path.join(repo, "build", "fixtures", "cluster"), path.join(handlers, "cluster"));

before(async () => {
  redis = await startRedis();
  for (const node of NODES) {
    hosts[node] = await startHost({
      cacheDir,
      plugins: [handlers],
      config: `
[auth]
secret = "${SECRET}"
leeway_s = 0
[cluster]
redis_url = "${redis.url}"
node_id = "${node}"
key_prefix = "presence${process.pid}"
timeout_ms = 300
presence_ttl_ms = 1500
[plugins.routes."cluster/presence"]
capabilities = ["rooms", "config"]
config = { node = "${node}" }
`,
    });
  }
});

after(async () => {
  for (const host of Object.values(hosts)) host.stop();
  await redis?.stop();
  fs.rmSync(cacheDir, { recursive: true, force: true });
  fs.rmSync(handlers, { recursive: true, force: true });
});

const sockets = [];
after(() => sockets.forEach((socket) => socket.disconnect()));

async function client(node, user) {
  const socket = io(hosts[node].url, {
    forceNew: true,
    reconnection: false,
    transports: ["websocket"],
    auth: user ? { token: hosts[node].token("--sub", user) } : {},
  });
  sockets.push(socket);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no connect to ${node}`)), 10000);
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

async function roomEvent(socket, event, room) {
  const reply = await ack(socket, event, room);
  assert.equal(reply.status, "success", JSON.stringify(reply));
}

/** What the fixture on `asker`'s node answers about `room`: `{ node, size, members }` or an error. */
const ask = (asker, room) =>
  ack(asker, "sync", { name: "cluster/presence", version: "v1", data: { room }, receiver: room });

/** Asks until `check(reply)` holds, within the guard; returns that reply. */
async function eventually(what, asker, room, check) {
  const deadline = Date.now() + GUARD_MS;
  let last;
  for (;;) {
    last = await ask(asker, room);
    if (check(last)) return last;
    if (Date.now() > deadline) assert.fail(`never: ${what}; last answer ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const counts = (size, members) => (reply) =>
  reply.status === "success" &&
  reply.result.size === size &&
  JSON.stringify([...reply.result.members].sort()) === JSON.stringify([...members].sort());

let rooms = 0;
const freshRoom = () => `presence-${++rooms}-${Date.now()}`;

test("rooms.size and rooms.members count the members of every node, the same on each node", async () => {
  const room = freshRoom();
  const members = [
    await client("a", "ann"),
    await client("b", "bob"),
    await client("b"),
    await client("c", "cas"),
    await client("c", "cid"),
  ];
  for (const socket of members) await roomEvent(socket, "joinRoom", room);
  const answers = [];
  for (const asker of [members[0], members[1], members[3]]) {
    answers.push(await eventually("all five counted", asker, room, counts(5, ["ann", "bob", "cas", "cid"])));
  }
  assert.deepEqual(answers.map((reply) => reply.result.node), ["a", "b", "c"]);
  // Pages read two at a time come out in one order on every node.
  for (const reply of answers) assert.deepEqual(reply.result.members, answers[0].result.members);
});

test("a leave on one node and a disconnect on another are seen by the third", async () => {
  const room = freshRoom();
  const asker = await client("a", "ada");
  const leaver = await client("b", "lee");
  const quitter = await client("c", "quin");
  const anonymous = await client("c");
  for (const socket of [asker, leaver, quitter, anonymous]) await roomEvent(socket, "joinRoom", room);
  await eventually("all four counted", asker, room, counts(4, ["ada", "lee", "quin"]));
  await roomEvent(leaver, "leaveRoom", room);
  quitter.disconnect();
  anonymous.disconnect();
  await eventually("only ada is left", asker, room, counts(1, ["ada"]));
});

test("a node killed with kill -9 stops counting after its presence TTL", async () => {
  const room = freshRoom();
  const asker = await client("a", "amy");
  const doomed = [await client("c", "cody"), await client("c")];
  for (const socket of [asker, ...doomed]) await roomEvent(socket, "joinRoom", room);
  await eventually("c's members counted", asker, room, counts(3, ["amy", "cody"]));
  await hosts.c.kill("SIGKILL");
  await eventually("c's members no longer counted", asker, room, counts(1, ["amy"]));
});

test("while Redis is down the host call fails with storage; once it is back the counts come back", async () => {
  const room = freshRoom();
  const asker = await client("a", "ari");
  const other = await client("b", "ben");
  for (const socket of [asker, other]) await roomEvent(socket, "joinRoom", room);
  await eventually("both counted", asker, room, counts(2, ["ari", "ben"]));

  await redis.kill();
  // The first call may wait out `timeout_ms` for Redis (longer than the stage's own budget, so
  // that one sync ends as plugin.timeout); after a failure, calls fail at once.
  const failed = await eventually(
    "the call fails at once",
    asker,
    room,
    (reply) => reply.errorCode === "plugin.hostCallFailed",
  );
  assert.deepEqual(failed.errorParams, [{ key: "reason", value: "storage" }]);
  const failures = await hosts.a.metric("synchost_cluster_presence_failures_total");
  assert.ok(failures >= 1, `counted on /metrics: ${failures}`);

  await redis.restart();
  await eventually("both counted again", asker, room, counts(2, ["ari", "ben"]));
});

test("a member whose session expires is listed without it on every node, and with it again once renewed", async () => {
  const room = freshRoom();
  const asker = await client("a", "asa");
  const expiring = io(hosts.b.url, {
    forceNew: true,
    reconnection: false,
    transports: ["websocket"],
    auth: { token: hosts.b.token("--sub", "exa", "--ttl", "3") },
  });
  sockets.push(expiring);
  await new Promise((resolve) => expiring.once("connect", resolve));
  for (const socket of [asker, expiring]) await roomEvent(socket, "joinRoom", room);
  await eventually("both listed", asker, room, counts(2, ["asa", "exa"]));
  await new Promise((resolve) => expiring.once("sessionExpired", resolve));
  await eventually("exa counted, but no longer as exa", asker, room, counts(2, ["asa"]));
  const renewed = await ack(expiring, "renew", hosts.b.token("--sub", "exa"));
  assert.equal(renewed.status, "success", JSON.stringify(renewed));
  await eventually("exa listed again", asker, room, counts(2, ["asa", "exa"]));
});
