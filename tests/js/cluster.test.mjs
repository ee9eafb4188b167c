// Three synchost nodes on one real Redis, with the official socket.io-client: a room spread over the
// nodes gets every sync exactly once and in order, each member's client stage runs on that member's
// own node, ignoreSelf holds across nodes, the HTTP trigger on one node reaches members on another,
// and a Redis restart mid-run heals without restarting any node.
//
// The `cluster/stamp` fixture stamps the node a stage ran on (operator config value `node`).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { io } from "socket.io-client";
import { repo, startHost } from "./host.mjs";
import { startRedis } from "./redis.mjs";

const SECRET = "cluster-test-secret";
const NODES = ["a", "b", "c"];
let redis;
const hosts = {};

before(async () => {
  redis = await startRedis();
  for (const node of NODES) {
    hosts[node] = await startHost({
      plugins: [path.join(repo, "build", "plugins"), path.join(repo, "build", "fixtures")],
      config: `
[auth]
secret = "${SECRET}"
[cluster]
redis_url = "${redis.url}"
node_id = "${node}"
key_prefix = "e2e${process.pid}"
[plugins.routes."cluster/stamp"]
capabilities = ["config"]
config = { node = "${node}" }
`,
    });
  }
});

after(async () => {
  for (const host of Object.values(hosts)) host.stop();
  await redis?.stop();
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
