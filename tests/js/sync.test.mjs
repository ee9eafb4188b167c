// End-to-end tests of the sync pipeline: the official socket.io-client against `synchost serve`
// running the example handlers built from plugins/ (and the hostile fixtures), with real tokens.
//
// Every wait has a timeout so a broken server fails a test instead of hanging it. "X did not get a
// frame" is shown by ordering, never by waiting: after the frame a member should get has arrived, a
// marker sync follows, and the member that should have been skipped must see the marker first.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { io } from "socket.io-client";
import { repo, startHost, signToken } from "./host.mjs";

const SECRET = "e2e-secret-not-for-production";
// The example handlers in Rust (plugins/examples) and their TypeScript twins (plugins/examples-ts):
// the tests that name a page run once for each.
const PAGES = ["examples", "examples-ts"];
let host;

before(async () => {
  host = await startHost({
    plugins: [path.join(repo, "build", "plugins"), path.join(repo, "build", "fixtures")],
    config: `
[auth]
secret = "${SECRET}"
[sync]
max_rooms_per_session = 5
[plugins.routes."examples/durableCounter"]
capabilities = ["kv"]
rate_limit_per_minute = 3
[plugins.routes."examples/teamMessage"]
capabilities = ["config", "rooms"]
[plugins.routes."examples/updateCounter".client]
client_batch_size = 2
[plugins.routes."examples-ts/durableCounter"]
capabilities = ["kv"]
rate_limit_per_minute = 3
[plugins.routes."examples-ts/teamMessage"]
capabilities = ["config", "rooms"]
[plugins.routes."hostile-ts/attack".server]
fuel = 0
timeout_ms = 3000
[plugins.routes."hostile/attack".server]
fuel = 0
timeout_ms = 3000
[plugins.routes."hostile/limits".client]
max_fan_out_mb = 1
client_batch_size = 1
fuel = 1_000_000_000
timeout_ms = 10_000
`,
  });
});

after(() => host?.stop());

const sockets = [];
after(() => sockets.forEach((socket) => socket.disconnect()));

/** A connected client; `token` goes in the CONNECT auth payload. */
async function client({ token, headers } = {}) {
  const socket = io(host.url, {
    forceNew: true,
    reconnection: false,
    transports: ["websocket"],
    auth: token ? { token } : {},
    extraHeaders: headers,
  });
  sockets.push(socket);
  socket.frames = [];
  socket.on("sync", (frame) => socket.frames.push(frame));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no connect")), 10000);
    socket.once("connect", () => (clearTimeout(timer), resolve()));
    socket.once("connect_error", (error) => (clearTimeout(timer), reject(error)));
  });
  return socket;
}

/** Emits and resolves with the acknowledgement's first argument. */
function ack(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(10000).emit(event, ...args, (error, reply) => (error ? reject(error) : resolve(reply)));
  });
}

const sync = (socket, request) => ack(socket, "sync", request);

/** Resolves with the first `sync` frame (already received or coming) that matches. */
function frame(socket, match, ms = 10000) {
  return new Promise((resolve, reject) => {
    const found = () => socket.frames.find(match);
    const check = () => {
      const hit = found();
      if (hit) {
        clearTimeout(timer);
        socket.off("sync", check);
        resolve(hit);
      }
    };
    const timer = setTimeout(() => {
      socket.off("sync", check);
      reject(new Error(`no matching frame; got ${JSON.stringify(socket.frames)}`));
    }, ms);
    socket.on("sync", check);
    check();
  });
}

async function join(socket, room) {
  const reply = await ack(socket, "joinRoom", room);
  assert.equal(reply.status, "success", JSON.stringify(reply));
  return reply;
}

let rooms = 0;
const freshRoom = () => `room-${++rooms}-${Date.now()}`;

/** A marker sync everyone in `room` gets; returns a matcher for its frame. */
async function marker(socket, room) {
  const amount = 1_000_000 + Math.floor(Math.random() * 1_000_000);
  const reply = await sync(socket, { name: "examples/updateCounter", version: "v2", data: { amount }, receiver: room });
  assert.equal(reply.status, "success");
  return (f) => f.serverOutput?.newValue === amount + 1;
}

for (const page of PAGES) {
  test(`two clients in a room: A syncs updateCounter and B sees serverOutput.newValue [${page}]`, async () => {
    const room = freshRoom();
    const [a, b] = [await client(), await client()];
    await join(a, room);
    await join(b, room);
    const reply = await sync(a, { name: `${page}/updateCounter`, version: "v1", data: { amount: 41 }, receiver: room });
    assert.deepEqual(reply, { status: "success", result: { newValue: 42 } });
    const got = await frame(b, (f) => f.fullName === `sync/${page}/updateCounter/v1`);
    assert.equal(got.status, "success");
    assert.equal(got.name, `${page}/updateCounter`);
    assert.equal(got.version, "v1");
    assert.equal(got.serverOutput.newValue, 42);
    assert.equal(got.clientOutput, null, "anonymous recipients get the plain server output");
    // The sender is a member too and gets the frame as well as the ack.
    await frame(a, (f) => f.fullName === `sync/${page}/updateCounter/v1`);
  });
}

for (const page of PAGES) {
  test(`the full name form and the client stage seeing each recipient's own session [${page}]`, async () => {
    const room = freshRoom();
    const ann = await client({ token: host.token("--sub", "ann") });
    const ben = await client({ token: host.token("--sub", "ben") });
    await join(ann, room);
    await join(ben, room);
    const reply = await sync(ann, { name: `sync/${page}/updateCounter/v1`, data: { amount: 1 }, receiver: room });
    assert.equal(reply.result.newValue, 2);
    const forBen = await frame(ben, (f) => f.fullName === `sync/${page}/updateCounter/v1`);
    const forAnn = await frame(ann, (f) => f.fullName === `sync/${page}/updateCounter/v1`);
    assert.deepEqual(forBen.clientOutput, { receivedBy: "ben" });
    assert.deepEqual(forAnn.clientOutput, { receivedBy: "ann" });
  });
}

test("rooms that fit one client batch and rooms that do not both give each member its own client output", async () => {
  // examples/updateCounter runs its client stage 2 recipients at a time here: a room of 2 has it run
  // in the server stage's worker job, a room of 5 after the ack, in 3 batches.
  for (const size of [2, 5]) {
    const room = freshRoom();
    const members = [];
    for (let n = 0; n < size; n++) {
      const socket = await client({ token: host.token("--sub", `batch${size}-${n}`) });
      await join(socket, room);
      members.push(socket);
    }
    const reply = await sync(members[0], { name: "examples/updateCounter", version: "v1", data: { amount: size }, receiver: room });
    assert.deepEqual(reply, { status: "success", result: { newValue: size + 1 } });
    for (const [n, socket] of members.entries()) {
      const got = await frame(socket, (f) => f.fullName === "sync/examples/updateCounter/v1" && f.serverOutput?.newValue === size + 1);
      assert.deepEqual(got.clientOutput, { receivedBy: `batch${size}-${n}` });
    }
  }
});

test("ignoreSelf skips every connection of the sender, and only those", async () => {
  const room = freshRoom();
  const token = host.token("--sub", "ida");
  const [tab1, tab2] = [await client({ token }), await client({ token })];
  const other = await client();
  for (const socket of [tab1, tab2, other]) await join(socket, room);
  const reply = await sync(tab1, {
    name: "examples/updateCounter", version: "v2", data: { amount: 7 }, receiver: room, ignoreSelf: true,
  });
  assert.equal(reply.status, "success", "the sender still gets its ack");
  await frame(other, (f) => f.serverOutput?.newValue === 8);
  const isMarker = await marker(other, room);
  for (const tab of [tab1, tab2]) {
    const first = await frame(tab, () => true);
    assert.ok(isMarker(first), `a tab of the sender got ${JSON.stringify(first)}`);
  }
});

for (const page of PAGES) {
  test(`a client-stage filter delivers to some members only (teamMessage by team claim) [${page}]`, async () => {
    const room = freshRoom();
    const alice = await client({ token: host.token("--sub", "alice", "--claim", "team=red") });
    const bob = await client({ token: host.token("--sub", "bob", "--claim", "team=blue") });
    const carol = await client({ token: host.token("--sub", "carol", "--claim", "team=red") });
    for (const socket of [alice, bob, carol]) await join(socket, room);
    const reply = await sync(alice, {
      name: `${page}/teamMessage`, version: "v1", data: { team: "red", text: " hello reds " }, receiver: room,
    });
    assert.equal(reply.status, "success", JSON.stringify(reply));
    assert.equal(reply.result.sentBy, "alice");
    assert.equal(reply.result.roomSize, 3);
    const got = await frame(carol, (f) => f.fullName === `sync/${page}/teamMessage/v1`);
    assert.equal(got.serverOutput.text, "hello reds");
    await frame(alice, (f) => f.fullName === `sync/${page}/teamMessage/v1`);
    const isMarker = await marker(carol, room);
    const first = await frame(bob, () => true);
    assert.ok(isMarker(first), `bob (team blue) got ${JSON.stringify(first)}`);
  });
}

test("a filtering route whose client stage is deleted or broken delivers nothing: sync.routeUnavailable until it is back", async () => {
  const room = freshRoom();
  const alice = await client({ token: host.token("--sub", "alice", "--claim", "team=red") });
  const bob = await client({ token: host.token("--sub", "bob", "--claim", "team=blue") });
  const carol = await client({ token: host.token("--sub", "carol", "--claim", "team=red") });
  for (const socket of [alice, bob, carol]) await join(socket, room);
  const folder = path.join(host.root, "examples", "_sync");
  const live = path.join(folder, "teamMessage_client_v1.wasm");
  const original = fs.readFileSync(live);
  const put = (bytes) => {
    const temporary = path.join(folder, `.put-${process.pid}.tmp`);
    fs.writeFileSync(temporary, bytes);
    fs.renameSync(temporary, live);
  };
  const request = { name: "examples/teamMessage", version: "v1", data: { team: "red", text: "for reds" }, receiver: room };
  const isTeamMessage = (f) => f.fullName === "sync/examples/teamMessage/v1";
  let delivered = 0;
  /** Syncs until the reply has `code` (or succeeds, when `code` is "success"); counts successes. */
  const until = async (code) => {
    for (let n = 0; n < 400; n++) {
      const reply = await sync(alice, request);
      if (reply.status === "success") delivered += 1;
      if ((code === "success" && reply.status === "success") || reply.errorCode === code) return reply;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.fail(`never got ${code}`);
  };
  try {
    fs.rmSync(live);
    const refused = await until("sync.routeUnavailable");
    assert.equal(refused.httpStatus, 503);
    assert.deepEqual(refused.errorParams.find((param) => param.key === "stage")?.value, "client");
    // A broken file in its place keeps the version refused: it is never served by its server stage alone.
    const errors = await host.metric("synchost_plugin_file_errors");
    put(Buffer.from("not a component"));
    for (let n = 0; n < 400 && (await host.metric("synchost_plugin_file_errors")) <= errors; n++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.ok((await host.metric("synchost_routes_unavailable")) >= 1);
    assert.equal((await until("sync.routeUnavailable")).httpStatus, 503);
  } finally {
    put(original);
  }
  await until("success");
  // Every member has seen everything sent before the marker; the filtered member got no teamMessage
  // frame at any time, and a refused sync reached nobody.
  const isMarker = await marker(alice, room);
  for (const socket of [bob, carol]) await frame(socket, isMarker);
  assert.equal(bob.frames.filter(isTeamMessage).length, 0, `bob (team blue) got ${JSON.stringify(bob.frames)}`);
  assert.equal(carol.frames.filter(isTeamMessage).length, delivered);
});

test("a nested-page sync resolves to page test/nestedTest and sync room", async () => {
  const room = freshRoom();
  const [a, b] = [await client(), await client()];
  await join(a, room);
  await join(b, room);
  const reply = await sync(a, { name: "test/nestedTest/room", version: "v1", data: { step: 4, active: true }, receiver: room });
  assert.deepEqual(reply.result, { step: 4, active: true, nextStep: 5 });
  const got = await frame(b, (f) => f.fullName === "sync/test/nestedTest/room/v1");
  assert.equal(got.name, "test/nestedTest/room");
  assert.equal(got.serverOutput.nextStep, 5);
});

test("v1 and v2 of a sync are served side by side", async () => {
  const room = freshRoom();
  const a = await client();
  await join(a, room);
  const v1 = await sync(a, { name: "examples/updateCounter", version: "v1", data: { amount: 1 }, receiver: room });
  const v2 = await sync(a, { name: "examples/updateCounter", version: "v2", data: { amount: 1 }, receiver: room });
  assert.deepEqual(v1.result, { newValue: 2 });
  assert.deepEqual(v2.result, { newValue: 2, version: 2 });
  const f2 = await frame(a, (f) => f.fullName === "sync/examples/updateCounter/v2");
  assert.equal(f2.version, "v2");
  const missing = await sync(a, { name: "examples/updateCounter", version: "v9", data: { amount: 1 }, receiver: room });
  assert.equal(missing.errorCode, "sync.notFound");
  assert.equal(missing.httpStatus, 404);
});

test("a client-only sync (cursor) acks with a null result and delivers the client output", async () => {
  const room = freshRoom();
  const [a, b] = [await client(), await client()];
  await join(a, room);
  await join(b, room);
  const reply = await sync(a, { name: "examples/cursor", version: "v1", data: { x: 0.25, y: 0.5 }, receiver: room });
  assert.deepEqual(reply, { status: "success", result: null });
  const got = await frame(b, (f) => f.fullName === "sync/examples/cursor/v1");
  assert.deepEqual(got.clientOutput, { x: 0.25, y: 0.5 });
  assert.equal(got.serverOutput, null);
  // Its refusal is per recipient: each gets an error frame in its own language.
  await sync(a, { name: "examples/cursor", version: "v1", data: { x: 3, y: 0.5 }, receiver: room });
  const refused = await frame(b, (f) => f.status === "error" && f.fullName === "sync/examples/cursor/v1");
  assert.equal(refused.errorCode, "examples.cursorOutOfRange");
  assert.notEqual(refused.message, "examples.cursorOutOfRange", "the plugin's own message file translates it");
});

test("the HTTP trigger runs the same pipeline and delivers to socket clients", async () => {
  const room = freshRoom();
  const token = host.token("--sub", "hugo");
  const hugo = await client({ token });
  const watcher = await client();
  await join(hugo, room);
  await join(watcher, room);
  const post = (pathname, body, headers = {}) =>
    fetch(`${host.url}${pathname}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const response = await post("/sync/examples/updateCounter/v1", { data: { amount: 9 }, receiver: room });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: "success", result: { newValue: 10 } });
  const got = await frame(watcher, (f) => f.serverOutput?.newValue === 10);
  assert.equal(got.fullName, "sync/examples/updateCounter/v1");

  const statusOf = async (promise) => {
    const reply = await promise;
    return [reply.status, (await reply.json()).errorCode];
  };
  assert.deepEqual(await statusOf(post("/sync/examples/nothing/v1", { receiver: room })), [404, "sync.notFound"]);
  assert.deepEqual(
    await statusOf(fetch(`${host.url}/sync/examples/updateCounter/v1`)),
    [405, "sync.methodNotAllowed"],
  );
  assert.deepEqual(
    await statusOf(post("/sync/examples/updateCounter/v1", "x", { "content-type": "text/plain" })),
    [415, "sync.unsupportedMediaType"],
  );
  assert.deepEqual(
    await statusOf(post("/sync/examples/updateCounter/v1", "x".repeat(1024 * 1024 + 10))),
    [413, "sync.payloadTooLarge"],
  );
  assert.deepEqual(await statusOf(post("/sync/examples/updateCounter/v1", "[1]")), [400, "sync.invalidBody"]);
  assert.deepEqual(
    await statusOf(post("/sync/examples/updateCounter/v1", { data: { amount: 1 }, receiver: room }, { authorization: "Bearer nope" })),
    [401, "auth.invalidToken"],
  );
  assert.deepEqual(
    await statusOf(post("/sync/examples/updateCounter/v1", { data: { amount: 1 }, receiver: "elsewhere" })),
    [403, "sync.notRoomMember"],
  );
  assert.deepEqual(
    await statusOf(post("/sync/examples/updateCounter/v1", { data: { amount: "one" }, receiver: room })),
    [400, "sync.invalidInputType"],
  );
  const anonymous = await fetch(`${host.url}/sync/examples/teamMessage/v1`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ data: { team: "red", text: "hi" }, receiver: room }),
  });
  assert.equal(anonymous.status, 401);
  assert.equal((await anonymous.json()).errorCode, "auth.required");
});

test("auth outcomes: anonymous, expired token, failed predicate, not a room member, admin", async () => {
  const room = freshRoom();
  const anonymous = await client();
  await join(anonymous, room);
  const required = await sync(anonymous, { name: "examples/teamMessage", version: "v1", data: { team: "red", text: "hi" }, receiver: room });
  assert.equal(required.errorCode, "auth.required");
  assert.equal(required.httpStatus, 401);

  const expired = signToken(SECRET, { sub: "old", exp: Math.floor(Date.now() / 1000) - 3600 });
  const refusal = await client({ token: expired }).then(
    () => assert.fail("an expired token must be refused"),
    (error) => error,
  );
  assert.equal(refusal.data.errorCode, "auth.tokenExpired");
  assert.equal(refusal.data.httpStatus, 401);
  const forged = await client({ token: signToken("another-secret", { sub: "eve" }) }).then(
    () => assert.fail("a token signed with another secret must be refused"),
    (error) => error,
  );
  assert.equal(forged.data.errorCode, "auth.invalidToken");

  const user = await client({ token: host.token("--sub", "uma") });
  await join(user, room);
  const forbidden = await sync(user, { name: "examples/announce", version: "v1", data: { text: "hi" }, receiver: room });
  assert.equal(forbidden.errorCode, "auth.forbidden");
  assert.equal(forbidden.httpStatus, 403);
  assert.deepEqual(forbidden.errorParams, [{ key: "key", value: "admin" }]);

  const notMember = await sync(user, { name: "examples/updateCounter", version: "v1", data: { amount: 1 }, receiver: "not-joined" });
  assert.equal(notMember.errorCode, "sync.notRoomMember");
  assert.equal(notMember.httpStatus, 403);
  const all = await sync(user, { name: "examples/updateCounter", version: "v1", data: { amount: 1 }, receiver: "all" });
  assert.equal(all.errorCode, "sync.receiverNotAllowed");

  const admin = await client({ token: host.token("--sub", "ada", "--name", "Ada", "--admin") });
  await join(admin, room);
  const announced = await sync(admin, { name: "examples/announce", version: "v1", data: { text: " hello " }, receiver: room });
  assert.deepEqual(announced.result, { text: "hello", announcedBy: "Ada" });
  const got = await frame(anonymous, (f) => f.fullName === "sync/examples/announce/v1");
  assert.equal(got.serverOutput.announcedBy, "Ada");
});

test("a Dutch session gets Dutch messages, from the host and from the plugin's own file", async () => {
  const room = freshRoom();
  const dutch = await client({ token: host.token("--sub", "daan", "--lang", "nl") });
  const english = await client({ token: host.token("--sub", "emma", "--lang", "en") });
  const byHeader = await client({ headers: { "accept-language": "nl-BE,nl;q=0.9,en;q=0.5" } });
  for (const socket of [dutch, english, byHeader]) await join(socket, room);
  const request = { name: "examples/updateCounter", version: "v1", data: { amount: 1 }, receiver: "elsewhere" };
  const [nl, en, header] = await Promise.all([sync(dutch, request), sync(english, request), sync(byHeader, request)]);
  assert.equal(nl.errorCode, "sync.notRoomMember");
  assert.notEqual(nl.message, en.message);
  assert.equal(header.message, nl.message);
  assert.match(nl.message, /elsewhere/);
  const tooFar = { name: "test/nestedTest/room", version: "v1", data: { step: 101, active: true }, receiver: room };
  const [nlRefusal, enRefusal] = await Promise.all([sync(dutch, tooFar), sync(english, tooFar)]);
  assert.equal(nlRefusal.errorCode, "test.stepOutOfRange");
  assert.notEqual(nlRefusal.message, enRefusal.message);
  assert.notEqual(nlRefusal.message, "test.stepOutOfRange", "the plugin's own message file translates it");
  assert.match(nlRefusal.message, /101/);
});

test("one recipient's client-stage error does not affect the others", async () => {
  const room = freshRoom();
  const sender = await client({ token: host.token("--sub", "sam") });
  const victim = await client({ token: host.token("--sub", "victim", "--lang", "nl") });
  const looper = await client({ token: host.token("--sub", "looper") });
  const fine = await client({ token: host.token("--sub", "fay") });
  for (const socket of [sender, victim, looper, fine]) await join(socket, room);
  const reply = await sync(sender, { name: "hostile/attack", version: "v1", data: { attack: "ok" }, receiver: room });
  assert.equal(reply.status, "success", JSON.stringify(reply));
  const forFine = await frame(fine, (f) => f.fullName === "sync/hostile/attack/v1");
  assert.deepEqual(forFine.clientOutput, { to: "fay" });
  const forSender = await frame(sender, (f) => f.fullName === "sync/hostile/attack/v1");
  assert.deepEqual(forSender.clientOutput, { to: "sam" });
  const forVictim = await frame(victim, (f) => f.fullName === "sync/hostile/attack/v1");
  assert.equal(forVictim.status, "error");
  assert.equal(forVictim.errorCode, "hostile.victim");
  const forLooper = await frame(looper, (f) => f.fullName === "sync/hostile/attack/v1");
  assert.equal(forLooper.status, "error");
  assert.match(forLooper.errorCode, /^plugin\.(outOfFuel|timeout)$/);
});

test("an infinite loop fails its own sync with its code while other senders' syncs keep flowing", async () => {
  const room = freshRoom();
  const a = await client();
  // Another connection: a connection's own syncs run in order, so they wait behind its loop.
  const b = await client();
  await join(a, room);
  await join(b, room);
  const order = [];
  const looping = sync(a, { name: "hostile/attack", version: "v1", data: { attack: "loop" }, receiver: room }).then(
    (reply) => (order.push("loop"), reply),
  );
  for (let n = 0; n < 5; n++) {
    const reply = await sync(b, { name: "examples/updateCounter", version: "v1", data: { amount: n }, receiver: room });
    assert.equal(reply.result.newValue, n + 1);
    order.push(`counter-${n}`);
  }
  const failed = await looping;
  assert.equal(failed.status, "error");
  assert.equal(failed.errorCode, "plugin.timeout");
  assert.equal(failed.httpStatus, 504);
  assert.equal(order.at(-1), "loop", `the loop held up other syncs: ${order}`);
  const after = await sync(a, { name: "hostile/attack", version: "v1", data: { attack: "ok" }, receiver: room });
  assert.equal(after.status, "success", "the plugin recovers after the trap");
});

test("rooms: join, list, leave, name and count limits, and rejoin on reconnect", async () => {
  const token = host.token("--sub", "rita");
  const rita = await client({ token });
  const joined = await ack(rita, "joinRoom", "kitchen");
  assert.deepEqual(joined, { status: "success", rooms: ["kitchen"] });
  assert.deepEqual((await ack(rita, "joinRoom", { room: "attic" })).rooms, ["attic", "kitchen"]);
  assert.deepEqual((await ack(rita, "getJoinedRooms")).rooms, ["attic", "kitchen"]);
  assert.deepEqual((await ack(rita, "leaveRoom", { group: "attic" })).rooms, ["kitchen"]);
  const tooLong = await ack(rita, "joinRoom", "x".repeat(300));
  assert.equal(tooLong.errorCode, "room.invalidName");
  for (const room of ["r1", "r2", "r3", "r4"]) await join(rita, room);
  const full = await ack(rita, "joinRoom", "r5");
  assert.equal(full.errorCode, "room.limitReached");
  assert.deepEqual(full.errorParams, [{ key: "max", value: 5 }]);

  rita.disconnect();
  const again = await client({ token });
  assert.deepEqual((await ack(again, "getJoinedRooms")).rooms, ["kitchen", "r1", "r2", "r3", "r4"]);
  const reply = await sync(again, { name: "examples/updateCounter", version: "v1", data: { amount: 1 }, receiver: "kitchen" });
  assert.equal(reply.status, "success", "a rejoined room counts for membership");
});

test("responseIndex replies on sync-<index> when no ack is given", async () => {
  const room = freshRoom();
  const a = await client();
  await join(a, room);
  const answer = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no sync-7")), 10000);
    a.once("sync-7", (reply) => (clearTimeout(timer), resolve(reply)));
  });
  a.emit("sync", { name: "sync/examples/updateCounter/v1", data: { amount: 2 }, receiver: room, responseIndex: 7, cb: "legacy" });
  assert.deepEqual(await answer, { status: "success", result: { newValue: 3 } });
  const joinAnswer = new Promise((resolve) => a.once("joinRoom-8", resolve));
  a.emit("joinRoom", { group: "legacy-room", responseIndex: 8 });
  assert.equal((await joinAnswer).status, "success");
});

test("malformed syncs get precise codes and the connection keeps working", async () => {
  const a = await client();
  const room = freshRoom();
  await join(a, room);
  assert.equal((await sync(a, 42)).errorCode, "sync.invalidRequest");
  assert.equal((await sync(a, { name: 5, receiver: room })).errorCode, "sync.invalidRequest");
  const badName = await sync(a, { name: "nope", version: "v1", receiver: room });
  assert.equal(badName.errorCode, "sync.invalidName");
  assert.deepEqual(badName.errorParams, [{ key: "name", value: "nope" }]);
  assert.equal((await sync(a, { name: "examples/updateCounter", version: "v1", data: {} })).errorCode, "sync.missingReceiver");
  const deep = JSON.parse(`{"amount":${"[".repeat(40)}${"]".repeat(40)}}`);
  const tooDeep = await sync(a, { name: "examples/updateCounter", version: "v1", data: deep, receiver: room });
  assert.equal(tooDeep.errorCode, "sync.inputTooDeep");
  const wrongType = await sync(a, { name: "examples/updateCounter", version: "v1", data: { amount: "x" }, receiver: room });
  assert.equal(wrongType.errorCode, "sync.invalidInputType");
  const ok = await sync(a, { name: "examples/updateCounter", version: "v1", data: { amount: 1 }, receiver: room });
  assert.equal(ok.status, "success");
});

for (const page of PAGES) {
  test(`rate limit per route and user answers 429 with the seconds to wait [${page}]`, async () => {
    const room = freshRoom();
    const a = await client({ token: host.token("--sub", "rob") });
    await join(a, room);
    const request = { name: `${page}/durableCounter`, version: "v1", data: { amount: 1 }, receiver: room };
    for (let n = 0; n < 3; n++) assert.equal((await sync(a, request)).status, "success");
    const limited = await sync(a, request);
    assert.equal(limited.errorCode, "sync.rateLimitExceeded");
    assert.equal(limited.httpStatus, 429);
    const seconds = limited.errorParams.find((param) => param.key === "seconds").value;
    assert.ok(seconds >= 1 && seconds <= 60, `seconds = ${seconds}`);
    // Another user has a budget of their own.
    const b = await client({ token: host.token("--sub", "rex") });
    await join(b, room);
    assert.equal((await sync(b, request)).status, "success");
  });
}

test("a plugin's message file is reloaded when it changes", async () => {
  const room = freshRoom();
  const a = await client({ headers: { "accept-language": "en" } });
  await join(a, room);
  const file = path.join(host.root, "test", "nestedTest", "_sync", "en.ftl");
  const original = fs.readFileSync(file, "utf8");
  const request = { name: "test/nestedTest/room", version: "v1", data: { step: 500, active: false }, receiver: room };
  const before = await sync(a, request);
  assert.equal(before.errorCode, "test.stepOutOfRange");
  const replace = (text) => {
    const temporary = path.join(path.dirname(file), `.en-${process.pid}.tmp`);
    fs.writeFileSync(temporary, text);
    fs.renameSync(temporary, file);
  };
  replace("test-stepOutOfRange = Step { $step } is beyond the last one ({ $max }), says the new file.\n");
  let message = before.message;
  for (let n = 0; n < 200 && !message.includes("says the new file"); n++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    message = (await sync(a, request)).message;
  }
  assert.equal(message, "Step 500 is beyond the last one (100), says the new file.");
  replace(original);
});

test("a handler replaced on disk while clients keep syncing: no failed request", async () => {
  const room = freshRoom();
  const a = await client();
  await join(a, room);
  const folder = path.join(host.root, "examples", "_sync");
  const live = path.join(folder, "updateCounter_server_v1.wasm");
  const original = fs.readFileSync(live);
  const replacement = fs.readFileSync(path.join(folder, "updateCounter_server_v2.wasm"));
  const swap = (bytes) => {
    const temporary = path.join(folder, `.swap-${process.pid}.tmp`);
    fs.writeFileSync(temporary, bytes);
    fs.renameSync(temporary, live);
  };
  const request = { name: "examples/updateCounter", version: "v1", data: { amount: 1 }, receiver: room };
  const until = async (predicate) => {
    for (let n = 0; n < 2000; n++) {
      const reply = await sync(a, request);
      assert.equal(reply.status, "success", `request ${n} failed during the swap: ${JSON.stringify(reply)}`);
      if (predicate(reply.result)) return n;
    }
    assert.fail("the swap never became visible");
  };
  swap(replacement);
  await until((result) => result.version === 2);
  swap(original);
  await until((result) => result.version === undefined);
});

test("a handler's httpStatus outside 400-599 reaches the HTTP response as 500, with the handler's code", async () => {
  const room = freshRoom();
  const token = host.token("--sub", "status");
  const member = await client({ token });
  await join(member, room);
  const post = (n) =>
    fetch(`${host.url}/sync/hostile/limits/v1`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ data: { attack: "badStatus", n }, receiver: room }),
    });
  for (const [given, sent] of [[200, 500], [302, 500], [700, 500], [422, 422]]) {
    const response = await post(given);
    const body = await response.json();
    assert.deepEqual([response.status, body.errorCode, body.httpStatus], [sent, "hostile.badStatus", sent], `httpStatus ${given}`);
  }
});

test("an output nested 1,000 deep is refused with plugin.outputTooDeep and the connection keeps working", async () => {
  const room = freshRoom();
  const a = await client();
  await join(a, room);
  const deep = await sync(a, { name: "hostile/limits", version: "v1", data: { attack: "deepOutput", n: 1000 }, receiver: room });
  assert.equal(deep.status, "error");
  assert.equal(deep.errorCode, "plugin.outputTooDeep");
  const fits = await sync(a, { name: "hostile/limits", version: "v1", data: { attack: "deepOutput", n: 32 }, receiver: room });
  assert.equal(fits.status, "success", JSON.stringify(fits).slice(0, 200));
  await marker(a, room);
});

test("past max_fan_out_mb the remaining recipients get plugin.fanOutTooLarge, the others their output", async () => {
  const room = freshRoom();
  const members = [];
  for (let n = 0; n < 4; n++) {
    const socket = await client({ token: host.token("--sub", `fan-${n}`) });
    await join(socket, room);
    members.push(socket);
  }
  // 200 KB each, counted twice (buffer and frame): two fit the route's 1 MiB, the other two do not.
  const size = 200_000;
  const reply = await sync(members[0], { name: "hostile/limits", version: "v1", data: { attack: "ok", size }, receiver: room });
  assert.equal(reply.status, "success");
  const frames = await Promise.all(
    members.map((socket) => frame(socket, (f) => f.fullName === "sync/hostile/limits/v1", 20000)),
  );
  const served = frames.filter((f) => f.status === "success");
  const refused = frames.filter((f) => f.status === "error");
  assert.equal(served.length, 2, JSON.stringify(frames.map((f) => f.status)));
  for (const f of served) assert.equal(f.clientOutput.length, size);
  assert.equal(refused.length, 2);
  for (const f of refused) assert.equal(f.errorCode, "plugin.fanOutTooLarge");
  await marker(members[1], room);
});

test("a seed-style TypeScript handler, changed only in its imports, serves its sync", async () => {
  const room = freshRoom();
  const sender = await client({ token: host.token("--sub", "sid") });
  const watcher = await client();
  await join(sender, room);
  await join(watcher, room);
  const reply = await sync(sender, { name: "examples-ts/seedCounter", version: "v1", data: { amount: 5 }, receiver: room });
  assert.deepEqual(reply, { status: "success", result: { newValue: 6 } });
  const got = await frame(watcher, (f) => f.fullName === "sync/examples-ts/seedCounter/v1");
  assert.equal(got.serverOutput.newValue, 6);
  assert.equal(got.clientOutput, null, "the seed's client stage returns success alone: the plain server output");
  const anonymous = await sync(watcher, { name: "examples-ts/seedCounter", version: "v1", data: { amount: 5 }, receiver: room });
  assert.equal(anonymous.errorCode, "auth.required", "its `auth` export reaches the host");
});

test("a TypeScript handler: async main settles, refusals, throws, pending promises and loops are contained", async () => {
  const room = freshRoom();
  const a = await client({ headers: { "accept-language": "nl" } });
  await join(a, room);
  const attack = (attack) => sync(a, { name: "hostile-ts/attack", version: "v1", data: { attack }, receiver: room });
  assert.deepEqual(await attack("async"), { status: "success", result: { steps: 100 } });
  const refused = await attack("refuse");
  assert.equal(refused.errorCode, "hostile.refused");
  assert.equal(refused.httpStatus, 409);
  assert.deepEqual(refused.errorParams, [{ key: "depth", value: 3 }]);
  const threw = await attack("throw");
  assert.equal(threw.errorCode, "sync.serverExecutionFailed");
  assert.equal(threw.httpStatus, 500);
  assert.notEqual(threw.message, "sync.serverExecutionFailed", "a built-in message in the caller's language");
  const pending = await attack("pending");
  assert.equal(pending.errorCode, "plugin.asyncNotSettled");
  assert.notEqual(pending.message, "plugin.asyncNotSettled");
  const looped = await attack("loop");
  assert.equal(looped.errorCode, "plugin.timeout");
  assert.equal(looped.httpStatus, 504);
  assert.deepEqual(await attack("ok"), { status: "success", result: { attack: "ok" } }, "the handler recovers after the trap");
});
