// Access control end to end with the real socket.io-client against `synchost serve`: room policies
// by pattern (anonymous refused, conditions on the session), the join rate, a live config change that
// takes members out of rooms they no longer qualify for (and tells them), remembered rooms dropped on
// reconnect, and a live `[sync]` change.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { io } from "socket.io-client";
import { repo, startHost } from "./host.mjs";

const SECRET = "access-secret-not-for-production";
const POLICIES = `
[auth]
secret = "${SECRET}"
leeway_s = 0
[rooms]
join_rate_per_minute = 0
[[rooms.policy]]
pattern = "members-*"
login = true
[[rooms.policy]]
pattern = "vip-*"
conditions = [{ key = "roles", value = "vip" }]
[[rooms.policy]]
pattern = "game-*"
require_token = true
`;
let host;

before(async () => {
  // Only the handler these tests call, so the host starts quickly.
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-access-"));
  const file = "updateCounter_server_v1.wasm";
  const from = path.join(repo, "build", "plugins", "examples", "_sync", file);
  if (!fs.existsSync(from)) throw new Error(`${from} is missing: run scripts/build-plugins first`);
  fs.mkdirSync(path.join(tree, "examples", "_sync"), { recursive: true });
  fs.copyFileSync(from, path.join(tree, "examples", "_sync", file));
  host = await startHost({ plugins: [tree], config: POLICIES });
  fs.rmSync(tree, { recursive: true, force: true });
});

after(() => host?.stop());

const sockets = [];
after(() => sockets.forEach((socket) => socket.disconnect()));

async function client({ token, language } = {}) {
  const socket = io(host.url, {
    forceNew: true,
    reconnection: false,
    transports: ["websocket"],
    auth: token ? { token } : {},
    extraHeaders: language ? { "accept-language": language } : undefined,
  });
  sockets.push(socket);
  socket.removed = [];
  socket.on("roomRemoved", (envelope) => socket.removed.push(envelope));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no connect")), 10000);
    socket.once("connect", () => (clearTimeout(timer), resolve()));
    socket.once("connect_error", (error) => (clearTimeout(timer), reject(error)));
  });
  return socket;
}

function ack(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(10000).emit(event, ...args, (error, reply) => (error ? reject(error) : resolve(reply)));
  });
}

const join = (socket, room) => ack(socket, "joinRoom", room);
const rooms = async (socket) => (await ack(socket, "getJoinedRooms")).rooms;
const param = (envelope, key) => envelope.errorParams?.find((p) => p.key === key)?.value;
let counter = 0;
const fresh = (prefix) => `${prefix}${++counter}-${Date.now()}`;

/** Polls `probe` until it returns a truthy value; fails after `ms` (a guard against hanging only). */
async function eventually(what, probe, ms = 20000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test("a room whose policy needs a login refuses an anonymous join; the default policy lets it in elsewhere", async () => {
  const anonymous = await client();
  const refused = await join(anonymous, fresh("members-"));
  assert.equal(refused.errorCode, "auth.required");
  assert.equal(refused.httpStatus, 401);
  assert.equal((await join(anonymous, fresh("lobby-"))).status, "success");
  const member = await client({ token: host.token("--sub", "ann") });
  assert.equal((await join(member, fresh("members-"))).status, "success");
});

test("a condition on the session refuses with room.forbidden, in the session's language", async () => {
  const room = fresh("vip-");
  const plain = await client({ token: host.token("--sub", "bob", "--lang", "nl") });
  const refused = await join(plain, room);
  assert.equal(refused.errorCode, "room.forbidden");
  assert.equal(refused.httpStatus, 403);
  assert.equal(param(refused, "room"), room);
  assert.equal(refused.message, `Je mag niet in de ruimte "${room}" zijn.`);
  assert.deepEqual(await rooms(plain), []);
  const vip = await client({ token: host.token("--sub", "vera", "--role", "vip") });
  assert.equal((await join(vip, room)).status, "success");
});

test("a live config change takes out the members it no longer admits, tells them, and forgets their rooms", async () => {
  const room = fresh("team-");
  const red = await client({ token: host.token("--sub", "rita", "--claim", "team=red") });
  const blue = await client({ token: host.token("--sub", "bert", "--claim", "team=blue", "--lang", "nl") });
  for (const socket of [red, blue]) assert.equal((await join(socket, room)).status, "success");
  host.rewriteConfig(`${POLICIES}
[[rooms.policy]]
pattern = "team-*"
conditions = [{ key = "team", value = "red" }]
`);
  try {
    const [told] = await eventually("bert to be told", () => blue.removed.length > 0 && blue.removed);
    assert.equal(told.errorCode, "room.removed");
    assert.equal(param(told, "room"), room);
    assert.match(told.message, /uit de ruimte/);
    assert.deepEqual(await rooms(blue), []);
    assert.deepEqual(await rooms(red), [room]);
    assert.equal(red.removed.length, 0);
    // Bert's syncs to the room are refused now, and his reconnect does not bring him back.
    const sync = await ack(blue, "sync", { name: "examples/updateCounter", version: "v1", data: { amount: 1 }, receiver: room });
    assert.equal(sync.errorCode, "sync.notRoomMember");
    blue.disconnect();
    const again = await client({ token: host.token("--sub", "bert", "--claim", "team=blue") });
    assert.deepEqual(await rooms(again), []);
    assert.equal((await join(again, room)).errorCode, "room.forbidden");
  } finally {
    host.rewriteConfig(POLICIES);
  }
});

test("remembered rooms a user no longer qualifies for are dropped when it reconnects", async () => {
  const room = fresh("club-");
  const token = host.token("--sub", "carl", "--claim", "level=1");
  const first = await client({ token });
  assert.equal((await join(first, room)).status, "success");
  first.disconnect();
  host.rewriteConfig(`${POLICIES}
[[rooms.policy]]
pattern = "club-*"
conditions = [{ key = "level", value = 2 }]
`);
  try {
    // The change is live once a fresh anonymous join of a club room is refused.
    const probe = await client();
    await eventually("the club policy", async () => (await join(probe, fresh("club-"))).errorCode === "auth.required");
    const second = await client({ token });
    assert.deepEqual(await rooms(second), []);
  } finally {
    host.rewriteConfig(POLICIES);
  }
  // Back under the old policy, the room was forgotten, not just skipped.
  const probe = await client();
  await eventually("the old policy", async () => (await join(probe, fresh("club-"))).status === "success");
  const third = await client({ token });
  assert.deepEqual(await rooms(third), []);
});

test("joins are rate-limited per user across its connections", async () => {
  host.rewriteConfig(POLICIES.replace("join_rate_per_minute = 0", "join_rate_per_minute = 3"));
  try {
    const token = host.token("--sub", "dora");
    const [a, b] = [await client({ token }), await client({ token })];
    // Wait for the limit to be in force, with a user of its own.
    const probe = await client({ token: host.token("--sub", "probe") });
    await eventually("the join limit", async () => (await join(probe, fresh("lobby-"))).errorCode === "room.joinRateExceeded");
    assert.equal((await join(a, fresh("lobby-"))).status, "success");
    assert.equal((await join(b, fresh("lobby-"))).status, "success");
    assert.equal((await join(a, fresh("lobby-"))).status, "success");
    const limited = await join(b, fresh("lobby-"));
    assert.equal(limited.errorCode, "room.joinRateExceeded");
    assert.equal(limited.httpStatus, 429);
    assert.ok(param(limited, "seconds") >= 1);
  } finally {
    host.rewriteConfig(POLICIES);
  }
});

test("a [sync] change applies without a restart", async () => {
  const socket = await client();
  const room = fresh("lobby-");
  assert.equal((await join(socket, room)).status, "success");
  const request = { name: "examples/updateCounter", version: "v1", data: { amount: 1 }, receiver: "all" };
  assert.equal((await ack(socket, "sync", request)).errorCode, "sync.receiverNotAllowed");
  host.rewriteConfig(`${POLICIES}
[sync]
allow_receiver_all = true
`);
  try {
    await eventually("receiver all to be allowed", async () => (await ack(socket, "sync", request)).status === "success");
  } finally {
    host.rewriteConfig(POLICIES);
  }
  await eventually("receiver all to be refused again", async () => (await ack(socket, "sync", request)).errorCode === "sync.receiverNotAllowed");
});

test("/metrics needs an admin bearer token on the public address", async () => {
  const bare = await fetch(`${host.url}/metrics`);
  assert.equal(bare.status, 401);
  assert.equal(bare.headers.get("www-authenticate"), "Bearer");
  const bearer = (token) => ({ headers: { authorization: `Bearer ${token}` } });
  assert.equal((await fetch(`${host.url}/metrics`, bearer(host.token("--sub", "eve")))).status, 403);
  // A cookie is never an admin credential: another site could make a browser send it.
  const admin = host.token("--sub", "ops", "--admin");
  assert.equal((await fetch(`${host.url}/metrics`, { headers: { cookie: `token=${admin}` } })).status, 401);
  const allowed = await fetch(`${host.url}/metrics`, bearer(admin));
  assert.equal(allowed.status, 200);
  assert.match(await allowed.text(), /^synchost_routes /m);
});

test("with admin_listen the operator endpoints leave the public address for their own", async () => {
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-access-admin-"));
  const separate = await startHost({
    plugins: [tree],
    server: 'admin_listen = "127.0.0.1:0"',
    config: `[auth]\nsecret = "${SECRET}"\n`,
  });
  try {
    assert.ok(separate.operatorUrl, "the operator address is printed");
    assert.equal((await fetch(`${separate.url}/metrics`)).status, 404);
    const page = await fetch(`${separate.operatorUrl}/metrics`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /^synchost_routes 0$/m);
    assert.equal(await (await fetch(`${separate.operatorUrl}/healthz`)).text(), "ok");
  } finally {
    separate.stop();
    fs.rmSync(tree, { recursive: true, force: true });
  }
});

test("a session cookie from another site is refused; from no origin or the host's own it signs in", async () => {
  const cookie = `token=${host.token("--sub", "cleo")}`;
  const connect = (headers) =>
    new Promise((resolve) => {
      const socket = io(host.url, { forceNew: true, reconnection: false, transports: ["websocket"], extraHeaders: headers });
      sockets.push(socket);
      socket.once("connect", () => resolve({ socket }));
      socket.once("connect_error", (error) => resolve({ error }));
    });
  const hijack = await connect({ cookie, origin: "https://evil.example" });
  assert.ok(hijack.error, "a cross-site WebSocket with the cookie connected");
  assert.equal(hijack.error.data?.errorCode, "auth.originNotAllowed");
  assert.equal(hijack.error.data?.errorParams?.[0]?.value, "https://evil.example");
  // The same cookie from the host's own origin, or without an Origin (not a browser), is the user.
  for (const headers of [{ cookie, origin: host.url }, { cookie }]) {
    const { socket, error } = await connect(headers);
    assert.equal(error, undefined, JSON.stringify(error?.data));
    assert.equal((await join(socket, fresh("members-"))).status, "success");
  }
  // The HTTP trigger follows the same rule.
  const trigger = await fetch(`${host.url}/sync/examples/updateCounter/v1`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie, origin: "https://evil.example" },
    body: JSON.stringify({ data: { amount: 1 }, receiver: "lobby" }),
  });
  assert.equal(trigger.status, 403);
  assert.equal((await trigger.json()).errorCode, "auth.originNotAllowed");
});

/** Resolves with the first `event` the socket gets; fails after `ms` (a guard against hanging). */
function next(socket, event, ms = 15000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event}`)), ms);
    socket.once(event, (value) => (clearTimeout(timer), resolve(value)));
  });
}

test("a token that expires on an open socket ends its session; a renewal restores it without reconnecting", async () => {
  const room = fresh("members-");
  const socket = await client({ token: host.token("--sub", "tess", "--ttl", "2") });
  assert.equal((await join(socket, room)).status, "success");
  // A renewal must be for the same user.
  const other = await ack(socket, "renew", host.token("--sub", "mallory"));
  assert.equal(other.errorCode, "auth.renewOtherUser");
  const expired = next(socket, "sessionExpired");
  const removed = next(socket, "roomRemoved");
  assert.equal((await expired).errorCode, "auth.sessionExpired");
  assert.equal(param(await removed, "room"), room);
  assert.deepEqual(await rooms(socket), []);
  assert.equal((await join(socket, fresh("members-"))).errorCode, "auth.required");
  assert.ok(socket.connected, "the default on_expiry keeps the connection");
  // Renewing with a fresh token for the same user restores the session and its remembered room.
  const renewed = await ack(socket, "renew", { token: host.token("--sub", "tess", "--ttl", "600") });
  assert.equal(renewed.status, "success", JSON.stringify(renewed));
  assert.ok(renewed.expiresAt > Date.now() / 1000 + 500, `expiresAt ${renewed.expiresAt}`);
  assert.deepEqual(await rooms(socket), [room]);
  assert.equal((await join(socket, fresh("members-"))).status, "success");
});

test("a renewal before expiry keeps the session going; a bad token changes nothing", async () => {
  const room = fresh("members-");
  const socket = await client({ token: host.token("--sub", "ugo", "--ttl", "3") });
  assert.equal((await join(socket, room)).status, "success");
  assert.equal((await ack(socket, "renew", "not-a-token")).errorCode, "auth.invalidToken");
  assert.equal((await ack(socket, "renew", host.token("--sub", "ugo", "--ttl", "600"))).status, "success");
  let ended = false;
  socket.on("sessionExpired", () => (ended = true));
  // Past the first token's end, and a sweep later: still signed in, still in the room.
  await new Promise((resolve) => setTimeout(resolve, 4500));
  assert.equal(ended, false);
  assert.deepEqual(await rooms(socket), [room]);
});

test("with on_expiry = close an expired socket is told and disconnected", async () => {
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-access-close-"));
  const closing = await startHost({
    plugins: [tree],
    config: `[auth]\nsecret = "${SECRET}"\nleeway_s = 0\non_expiry = "close"\n`,
  });
  try {
    const socket = io(closing.url, {
      forceNew: true,
      reconnection: false,
      transports: ["websocket"],
      auth: { token: closing.token("--sub", "vic", "--ttl", "2") },
    });
    sockets.push(socket);
    await next(socket, "connect");
    const expired = next(socket, "sessionExpired");
    const gone = next(socket, "disconnect");
    assert.equal((await expired).errorCode, "auth.sessionExpired");
    assert.equal(await gone, "io server disconnect");
  } finally {
    closing.stop();
    fs.rmSync(tree, { recursive: true, force: true });
  }
});

test("a user's rooms are the user's: a leave on one connection leaves on the others, and the cap holds across them", async () => {
  host.rewriteConfig(`${POLICIES}\n[sync]\nmax_rooms_per_session = 2\n`);
  try {
    const token = host.token("--sub", "wanda");
    const a = await client({ token });
    const [r1, r2, r3, r4] = [fresh("cap-"), fresh("cap-"), fresh("cap-"), fresh("cap-")];
    // Wait for the cap to be in force, with a user of its own.
    const probe = await client({ token: host.token("--sub", "cap-probe") });
    await eventually("the cap", async () => (await join(probe, fresh("cap-"))).errorCode === "room.limitReached");
    assert.equal((await join(a, r1)).status, "success");
    assert.equal((await join(a, r2)).status, "success");
    // A second tab rejoins the user's rooms, then leaves one of them.
    const b = await client({ token });
    assert.deepEqual(await rooms(b), [r1, r2].sort());
    const told = next(a, "roomRemoved");
    assert.equal((await ack(b, "leaveRoom", r1)).status, "success");
    const envelope = await told;
    assert.equal(envelope.errorCode, "room.leftElsewhere");
    assert.equal(param(envelope, "room"), r1);
    assert.deepEqual(await rooms(a), [r2]);
    // Room for one more, then the cap, on either connection.
    assert.equal((await join(a, r3)).status, "success");
    assert.equal((await join(a, r4)).errorCode, "room.limitReached");
    assert.equal((await join(b, r4)).errorCode, "room.limitReached");
    assert.equal((await rooms(a)).length, 2);
  } finally {
    host.rewriteConfig(POLICIES);
  }
});

test("a room token grants exactly its rooms to its user, for the connection", async () => {
  const [game, other] = [fresh("game-"), fresh("game-")];
  const bob = await client({ token: host.token("--sub", "bob") });
  assert.equal((await join(bob, game)).errorCode, "room.tokenRequired");
  const withToken = (token) => join(bob, { room: game, token });
  assert.equal((await withToken(host.token("--sub", "bob", "--room", other))).errorCode, "room.tokenRefused");
  assert.equal((await withToken(host.token("--sub", "eve", "--room", game))).errorCode, "room.tokenRefused");
  assert.equal((await withToken("forged")).errorCode, "auth.invalidToken");
  const granted = await withToken(host.token("--sub", "bob", "--room", game, "--room", fresh("game-")));
  assert.equal(granted.status, "success", JSON.stringify(granted));
  assert.deepEqual(await rooms(bob), [game]);
  // The other listed room is not joined by it, and an anonymous connection gets nothing from a token.
  const anonymous = await client();
  assert.equal((await join(anonymous, { room: game, token: host.token("--sub", "bob", "--room", game) })).errorCode, "auth.required");
  // A config change re-checks members: the grant still counts.
  host.rewriteConfig(`${POLICIES}\n[[rooms.policy]]\npattern = "probe-*"\nlogin = true\n`);
  try {
    const probe = await client();
    await eventually("the change", async () => (await join(probe, fresh("probe-"))).errorCode === "auth.required");
    assert.deepEqual(await rooms(bob), [game]);
    assert.equal(bob.removed.length, 0);
  } finally {
    host.rewriteConfig(POLICIES);
  }
  // A room token never signs anyone in: not at CONNECT, not as a renewal.
  const roomToken = host.token("--sub", "bob", "--room", game);
  const refused = await new Promise((resolve) => {
    const socket = io(host.url, { forceNew: true, reconnection: false, transports: ["websocket"], auth: { token: roomToken } });
    sockets.push(socket);
    socket.once("connect", () => resolve(undefined));
    socket.once("connect_error", (error) => resolve(error));
  });
  assert.equal(refused?.data?.errorCode, "auth.invalidToken");
  assert.equal((await ack(bob, "renew", roomToken)).errorCode, "auth.invalidToken");
  // The grant is the connection's: a reconnect shows the token again.
  bob.disconnect();
  const again = await client({ token: host.token("--sub", "bob") });
  assert.deepEqual(await rooms(again), []);
});

test("a policy the operator got wrong keeps members out but does not forget their rooms", async () => {
  const room = fresh("typo-");
  const token = host.token("--sub", "tina");
  const first = await client({ token });
  assert.equal((await join(first, room)).status, "success");
  // A condition on a field no session has: the operator's mistake, not a verdict on tina.
  host.rewriteConfig(`${POLICIES}\n[[rooms.policy]]\npattern = "typo-*"\nconditions = [{ key = "tema", value = "red" }]\n`);
  try {
    const [told] = await eventually("tina to be taken out", () => first.removed.length > 0 && first.removed);
    assert.equal(told.errorCode, "room.removed");
    assert.equal((await join(first, room)).errorCode, "auth.invalidCondition");
    first.disconnect();
    const second = await client({ token });
    assert.deepEqual(await rooms(second), []);
  } finally {
    host.rewriteConfig(POLICIES);
  }
  // Once the policy is fixed, her remembered room comes back with her next connection.
  const probe = await client({ token: host.token("--sub", "typo-probe") });
  await eventually("the fix", async () => (await join(probe, fresh("typo-"))).status === "success");
  const third = await client({ token });
  assert.deepEqual(await rooms(third), [room]);
});
