// Graceful shutdown in a cluster: two synchost nodes on one real Redis with a presence TTL of ten
// minutes, so nothing expires during the test. A node stopped with SIGTERM exits 0 having removed
// its incarnation and its members from Redis: the other node's `rooms.size` stops counting them at
// once, not after the TTL, and the stopped node's client sees a lost transport (it reconnects).
//
// Every wait has a timeout that only guards against hanging.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { io } from "socket.io-client";
import { copyTree, repo, startHost } from "./host.mjs";
import { startRedis } from "./redis.mjs";

const SECRET = "cluster-shutdown-secret";
const PREFIX = `shutdown${process.pid}`;
const GUARD_MS = 30000;
let redis;
const hosts = {};
const sockets = [];
const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-shutdown-cache-"));
const handlers = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-shutdown-handlers-"));
copyTree(path.join(repo, "build", "fixtures", "cluster"), path.join(handlers, "cluster"));

before(async () => {
  redis = await startRedis();
  // b first: a node learns which others are live when it registers and then only at its beats
  // (every third of the TTL), so a, started second, counts b's members from the start.
  for (const node of ["b", "a"]) {
    hosts[node] = await startHost({
      cacheDir,
      plugins: [handlers],
      config: `
[auth]
secret = "${SECRET}"
[cluster]
redis_url = "${redis.url}"
node_id = "${node}"
key_prefix = "${PREFIX}"
timeout_ms = 300
presence_ttl_ms = 600000
[plugins.routes."cluster/presence"]
capabilities = ["rooms", "config"]
config = { node = "${node}" }
`,
    });
  }
});

after(async () => {
  sockets.forEach((socket) => socket.disconnect());
  for (const host of Object.values(hosts)) host.stop();
  await redis?.stop();
  fs.rmSync(cacheDir, { recursive: true, force: true });
  fs.rmSync(handlers, { recursive: true, force: true });
});

async function client(node, user) {
  const socket = io(hosts[node].url, {
    forceNew: true,
    reconnection: false,
    transports: ["websocket"],
    auth: { token: hosts[node].token("--sub", user) },
  });
  sockets.push(socket);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no connect to ${node}`)), GUARD_MS);
    socket.once("connect", () => (clearTimeout(timer), resolve()));
    socket.once("connect_error", (error) => (clearTimeout(timer), reject(error)));
  });
  return socket;
}

const ack = (socket, event, ...args) => socket.timeout(GUARD_MS).emitWithAck(event, ...args);

const size = async (asker, room) => {
  const reply = await ack(asker, "sync", { name: "cluster/presence", version: "v1", data: { room }, receiver: room });
  assert.equal(reply.status, "success", JSON.stringify(reply));
  return reply.result.size;
};

test("a node stopped with SIGTERM leaves the cluster's presence at once and exits 0", async () => {
  const room = `shutdown-${Date.now()}`;
  const ann = await client("a", "ann");
  const bob = await client("b", "bob");
  for (const socket of [ann, bob]) assert.equal((await ack(socket, "joinRoom", room)).status, "success");
  const deadline = Date.now() + GUARD_MS;
  while ((await size(ann, room)) !== 2) {
    assert.ok(Date.now() < deadline, "node a never counted both members");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(await redis.command(`ZCARD ${PREFIX}:presence:nodes`), ":2");

  const bobGone = new Promise((resolve) => bob.once("disconnect", resolve));
  assert.deepEqual(await hosts.b.signal("SIGTERM"), { code: 0, signal: null });
  // Gone when the process has exited: its incarnation and its member, long before the TTL.
  assert.equal(await redis.command(`ZCARD ${PREFIX}:presence:nodes`), ":1");
  assert.equal(await size(ann, room), 1);
  assert.equal(await bobGone, "transport close");
});
