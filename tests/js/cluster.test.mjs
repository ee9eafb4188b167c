// Three synchost nodes on one real Redis, with the official socket.io-client: a room spread over the
// nodes gets every sync exactly once and in order, each member's client stage runs on that member's
// own node, ignoreSelf holds across nodes, the HTTP trigger on one node reaches members on another,
// a handler's kv counter and a route's rate limit are one counter and one window for the whole
// cluster, `receiver: "all"` reaches every node's connections, and a Redis restart mid-run heals without restarting any node.
//
// The `cluster/stamp` fixture stamps the node a stage ran on (operator config value `node`);
// `examples/durableCounter` adds to a kv counter.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { io } from "socket.io-client";
import { copyTree, repo, startHost } from "./host.mjs";
import { startRedis } from "./redis.mjs";

const SECRET = "cluster-test-secret";
const NODES = ["a", "b", "c"];
let redis;
const hosts = {};

const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-cluster-cache-"));
// Only the `cluster/` page of the fixtures: the nodes have nothing else to compile.
const handlers = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-cluster-handlers-"));
copyTree(path.join(repo, "build", "fixtures", "cluster"), path.join(handlers, "cluster"));
fs.mkdirSync(path.join(handlers, "examples", "_sync"), { recursive: true });
fs.copyFileSync(
  path.join(repo, "build", "plugins", "examples", "_sync", "durableCounter_server_v1.wasm"),
  path.join(handlers, "examples", "_sync", "durableCounter_server_v1.wasm"),
);

before(async () => {
  redis = await startRedis();
  for (const node of NODES) {
    hosts[node] = await startHost({
      cacheDir,
      plugins: [handlers],
      config: `
[auth]
secret = "${SECRET}"
[sync]
allow_receiver_all = true
[cluster]
redis_url = "${redis.url}"
node_id = "${node}"
key_prefix = "e2e${process.pid}"
[plugins.routes."cluster/stamp"]
capabilities = ["config"]
config = { node = "${node}" }
[plugins.routes."examples/durableCounter"]
capabilities = ["kv"]
rate_limit_per_minute = 4
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

/** A client connected to `node`, recording every `sync` frame. */
async function client(node, token) {
  const socket = io(hosts[node].url, {
    forceNew: true,
    reconnection: false,
    transports: ["websocket"],
    auth: token ? { token } : {},
  });
  socket.node = node;
  socket.frames = [];
  socket.on("sync", (frame) => socket.frames.push(frame));
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

async function join(socket, room) {
  const reply = await ack(socket, "joinRoom", room);
  assert.equal(reply.status, "success", JSON.stringify(reply));
}

const stamp = (socket, room, seq, extra = {}) =>
  ack(socket, "sync", { name: "cluster/stamp", version: "v1", data: { seq }, receiver: room, ...extra });

/** Resolves once `socket` has a stamp frame with `seq`, or rejects after `ms`. */
function waitFor(socket, seq, ms = 20000) {
  return new Promise((resolve, reject) => {
    const find = () => socket.frames.find((f) => f.serverOutput?.seq === seq);
    const timer = setTimeout(() => {
      socket.off("sync", check);
      reject(new Error(`${socket.node}: no frame ${seq}; got ${socket.frames.map((f) => f.serverOutput?.seq)}`));
    }, ms);
    function check() {
      const hit = find();
      if (hit) (clearTimeout(timer), socket.off("sync", check), resolve(hit));
    }
    socket.on("sync", check);
    check();
  });
}

let rooms = 0;
const freshRoom = () => `cluster-${++rooms}-${Date.now()}`;

test("a room over three nodes: every sync exactly once, in order, client stage on the member's node", async () => {
  const room = freshRoom();
  const sender = await client("a");
  const members = [
    await client("a"),
    await client("b", hosts.b.token("--sub", "bea")),
    await client("b"),
    await client("c", hosts.c.token("--sub", "cas")),
  ];
  for (const socket of [sender, ...members]) await join(socket, room);
  const count = 150;
  let next = 1;
  const refused = [];
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next <= count) {
        const seq = next++;
        const reply = await stamp(sender, room, seq);
        if (reply.status !== "success") refused.push(reply);
        else assert.equal(reply.result.serverNode, "a", "the server stage runs on the sender's node");
      }
    }),
  );
  assert.deepEqual(refused, []);
  for (const member of members) await waitFor(member, count);
  for (const member of members) {
    const frames = member.frames.filter((f) => f.fullName === "sync/cluster/stamp/v1");
    assert.deepEqual(
      frames.map((f) => f.serverOutput.seq),
      Array.from({ length: count }, (_, n) => n + 1),
      `${member.node}: exactly once and in order`,
    );
    for (const f of frames) {
      assert.equal(f.serverOutput.serverNode, "a");
      assert.equal(f.clientOutput.clientNode, member.node, "the client stage ran on the member's own node");
    }
  }
  const bea = members[1].frames.at(-1);
  assert.equal(bea.clientOutput.recipient, "bea", "with the member's own session");
  assert.equal(members[2].frames.at(-1).clientOutput.recipient, null);
});

test("ignoreSelf leaves out the sender's tabs on every node, and only those", async () => {
  const room = freshRoom();
  const token = hosts.a.token("--sub", "sam");
  const tabs = [await client("a", token), await client("c", token)];
  const others = [await client("b"), await client("c")];
  for (const socket of [...tabs, ...others]) await join(socket, room);
  assert.equal((await stamp(tabs[0], room, 1, { ignoreSelf: true })).status, "success");
  for (const other of others) await waitFor(other, 1);
  // A marker everyone gets, sent after: the sender's tabs must see it first.
  const marker = await client("b");
  await join(marker, room);
  assert.equal((await stamp(marker, room, 2)).status, "success");
  for (const tab of tabs) {
    const first = await waitFor(tab, 2);
    assert.equal(tab.frames[0], first, `${tab.node}: a tab of the sender got the ignoreSelf sync`);
  }
});

test("the HTTP trigger on node a delivers to members on node c", async () => {
  const room = freshRoom();
  const token = hosts.a.token("--sub", "hal");
  const hal = await client("a", token);
  await join(hal, room);
  const watcher = await client("c");
  await join(watcher, room);
  const response = await fetch(`${hosts.a.url}/sync/cluster/stamp/v1`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ data: { seq: 7 }, receiver: room }),
  });
  assert.equal(response.status, 200);
  const got = await waitFor(watcher, 7);
  assert.equal(got.clientOutput.clientNode, "c");
});

test("one kv counter and one rate window for the cluster: a user's syncs through three nodes share both", async () => {
  const room = freshRoom();
  const token = hosts.a.token("--sub", "ron");
  const tabs = [];
  for (const node of NODES) {
    const socket = await client(node, token);
    await join(socket, room);
    tabs.push(socket);
  }
  const add = (socket) =>
    ack(socket, "sync", { name: "examples/durableCounter", version: "v1", data: { amount: 1 }, receiver: room });
  // Four syncs, one window of 4 per minute: a, b, c, a. Each adds 1 to the one shared counter.
  const values = [];
  for (const socket of [tabs[0], tabs[1], tabs[2], tabs[0]]) {
    const reply = await add(socket);
    assert.equal(reply.status, "success", `${socket.node}: ${JSON.stringify(reply)}`);
    values.push(reply.result.value);
  }
  const first = values[0];
  assert.deepEqual(values, [first, first + 1, first + 2, first + 3], "one counter, not one per node");
  // The fifth, on a node that served only one of the four, is over the shared window.
  const limited = await add(tabs[2]);
  assert.equal(limited.errorCode, "sync.rateLimitExceeded", JSON.stringify(limited));
  assert.equal(limited.httpStatus, 429);
  // Another user has a window of their own, on any node.
  const other = await client("b", hosts.b.token("--sub", "ola"));
  await join(other, room);
  const own = await add(other);
  assert.equal(own.status, "success", JSON.stringify(own));
  assert.equal(own.result.value, first + 4);
});

test('receiver "all" reaches every connection of every node, once', async () => {
  const sender = await client("a", hosts.a.token("--sub", "ali"));
  const listeners = [await client("a"), await client("b"), await client("c")];
  const seq = 900001;
  const reply = await stamp(sender, "all", seq);
  assert.equal(reply.status, "success", JSON.stringify(reply));
  for (const socket of [sender, ...listeners]) {
    const got = await waitFor(socket, seq);
    assert.equal(got.clientOutput.clientNode, socket.node, "each node runs the client stage for its own");
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  for (const socket of listeners) {
    assert.equal(socket.frames.filter((f) => f.serverOutput?.seq === seq).length, 1, `${socket.node}: once`);
  }
});

test("Redis restarted mid-run: local delivery never stops, cross-node delivery resumes by itself", async () => {
  const room = freshRoom();
  const sender = await client("a");
  const local = await client("a");
  const remote = await client("c");
  for (const socket of [sender, local, remote]) await join(socket, room);
  assert.equal((await stamp(sender, room, 1)).status, "success");
  await waitFor(remote, 1);

  await redis.restart();
  // While the nodes reconnect, the sender's own node keeps delivering.
  assert.equal((await stamp(sender, room, 2)).status, "success");
  await waitFor(local, 2);

  // Cross-node delivery comes back without restarting a node: keep sending until one arrives.
  let seq = 2;
  let healed = null;
  const deadline = Date.now() + 30000;
  while (!healed && Date.now() < deadline) {
    seq += 1;
    assert.equal((await stamp(sender, room, seq)).status, "success");
    healed = await waitFor(remote, seq, 500).catch(() => null);
  }
  assert.ok(healed, "node c receives again after Redis came back");
  const after = seq + 1;
  assert.equal((await stamp(sender, room, after)).status, "success");
  await waitFor(remote, after);
  const seen = remote.frames.map((f) => f.serverOutput.seq);
  assert.equal(new Set(seen).size, seen.length, "nothing is delivered twice");
});

test("a node killed with kill -9: its clients reconnect to another node, rejoin their rooms, and nothing arrives twice", async () => {
  const room = freshRoom();
  const token = hosts.a.token("--sub", "kim");
  const sender = await client("a");
  const steady = await client("c");
  let kim = await client("b", token);
  for (const socket of [sender, steady, kim]) await join(socket, room);
  assert.equal((await stamp(sender, room, 1)).status, "success");
  await waitFor(kim, 1);
  const before = kim.frames;

  const lost = new Promise((resolve) => kim.once("disconnect", resolve));
  await hosts.b.kill("SIGKILL");
  await lost;
  // Node b's sockets are gone; the others keep delivering meanwhile.
  assert.equal((await stamp(sender, room, 2)).status, "success");
  await waitFor(steady, 2);

  // Kim reconnects to node c with the same token: her remembered rooms come from Redis.
  kim = await client("c", token);
  assert.deepEqual((await ack(kim, "getJoinedRooms")).rooms, [room]);
  for (let seq = 3; seq <= 10; seq++) assert.equal((await stamp(sender, room, seq)).status, "success");
  await waitFor(kim, 10);
  await waitFor(steady, 10);
  const seen = [...before, ...kim.frames].map((f) => f.serverOutput.seq);
  assert.equal(new Set(seen).size, seen.length, `kim got a sync twice: ${seen}`);
  assert.deepEqual(
    kim.frames.map((f) => f.serverOutput.seq),
    [3, 4, 5, 6, 7, 8, 9, 10],
    "after the reconnect every sync arrives once, in order",
  );
  assert.deepEqual(
    steady.frames.map((f) => f.serverOutput.seq),
    Array.from({ length: 10 }, (_, n) => n + 1),
    "a member on a surviving node missed nothing",
  );
});

/** A counter from a node's /metrics. */
const metric = (node, name) => hosts[node].metric(name);

/** Sends stamps from `sender` until `check()` holds (each try waits a little), or fails after 30 s. */
async function sendUntil(sender, room, firstSeq, check) {
  const deadline = Date.now() + 30000;
  let seq = firstSeq;
  while (Date.now() < deadline) {
    assert.equal((await stamp(sender, room, seq)).status, "success");
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (await check()) return seq;
    seq += 1;
  }
  assert.fail("condition never held");
}

test("rolling deploy: a node without the pinned client stage runs its own version and counts it; without any client stage it delivers nothing", async () => {
  const room = freshRoom();
  const sender = await client("a");
  const onC = await client("c");
  for (const socket of [sender, onC]) await join(socket, room);
  const stage = path.join(hosts.c.root, "cluster", "_sync", "stamp_client_v1.wasm");

  // Node c gets other content for the client stage (another valid client component).
  const before = await metric("c", "synchost_cluster_syncs_other_version_total");
  const other = path.join(repo, "build", "plugins", "examples", "_sync", "cursor_client_v1.wasm");
  fs.copyFileSync(other, `${stage}.tmp`);
  fs.renameSync(`${stage}.tmp`, stage);
  await sendUntil(sender, room, 1000, async () => (await metric("c", "synchost_cluster_syncs_other_version_total")) > before);

  // Node c loses its client stage: the sender's version filtered recipients, so c delivers nothing.
  const undeliverable = await metric("c", "synchost_cluster_syncs_undeliverable_total");
  fs.rmSync(stage);
  const seq = await sendUntil(
    sender,
    room,
    2000,
    async () => (await metric("c", "synchost_cluster_syncs_undeliverable_total")) > undeliverable,
  );
  assert.equal(
    onC.frames.filter((f) => f.serverOutput?.seq === seq).length,
    0,
    "a member on c got the server output unfiltered",
  );
});
