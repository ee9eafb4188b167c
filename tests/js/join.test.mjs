// Join handlers end to end with the real socket.io-client against `synchost serve`: the chess
// example's join handler lets a game's two players and the spectators they invited into the game
// room and refuses everyone else with its own code and message (Dutch included); remembered rooms
// are asked again on reconnect; the hostile gate fixture's loop and panic are contained with their
// codes while other joins answer; a policy naming a handler that is not loaded refuses every join;
// a live config change that names a handler asks the current members; an expired session leaves
// the rooms a handler guards and a renewal asks again. The TypeScript twins (`chess-ts/game`, and the
// `hostile-ts/gate` fixture) answer the same way.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { io } from "socket.io-client";
import { repo, startHost } from "./host.mjs";

const SECRET = "join-secret-not-for-production";
const CONFIG = `
[auth]
secret = "${SECRET}"
leeway_s = 0
[rooms]
join_rate_per_minute = 0
[[rooms.policy]]
pattern = "chess:ts*"
login = true
join = "chess-ts/game@v1"
[[rooms.policy]]
pattern = "tsgate-*"
join = "hostile-ts/gate@v1"
[[rooms.policy]]
pattern = "chess:*"
login = true
join = "chess/game@v1"
[[rooms.policy]]
pattern = "gate-*"
join = "hostile/gate@v1"
[[rooms.policy]]
pattern = "missing-*"
join = "chess/nothing@v1"
[plugins.routes."chess/game".join]
capabilities = ["kv"]
[plugins.routes."chess/invite"]
capabilities = ["kv"]
[plugins.routes."hostile/gate".join]
timeout_ms = 200
[plugins.routes."chess-ts/game".join]
capabilities = ["kv"]
[plugins.routes."chess-ts/invite"]
capabilities = ["kv"]
`;
let host;

before(async () => {
  // Only the handlers these tests use, so the host starts quickly.
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-join-"));
  const files = [
    ["plugins", "chess", "game_join_v1.wasm"],
    ["plugins", "chess", "invite_server_v1.wasm"],
    ["plugins", "chess", "en.ftl"],
    ["plugins", "chess", "nl.ftl"],
    ["fixtures", "hostile", "gate_join_v1.wasm"],
    ["plugins", "chess-ts", "game_join_v1.wasm"],
    ["plugins", "chess-ts", "invite_server_v1.wasm"],
    ["plugins", "chess-ts", "en.ftl"],
    ["plugins", "chess-ts", "nl.ftl"],
    ["fixtures", "hostile-ts", "gate_join_v1.wasm"],
  ];
  for (const [build, page, file] of files) {
    const from = path.join(repo, "build", build, page, "_sync", file);
    if (!fs.existsSync(from)) throw new Error(`${from} is missing: run scripts/build-plugins first`);
    fs.mkdirSync(path.join(tree, page, "_sync"), { recursive: true });
    fs.copyFileSync(from, path.join(tree, page, "_sync", file));
  }
  host = await startHost({ plugins: [tree], config: CONFIG });
  fs.rmSync(tree, { recursive: true, force: true });
});

after(() => host?.stop());

const sockets = [];
after(() => sockets.forEach((socket) => socket.disconnect()));

async function client({ user, language, ttl } = {}) {
  const extra = [...(language ? ["--lang", language] : []), ...(ttl ? ["--ttl", String(ttl)] : [])];
  const token = user ? host.token("--sub", user, ...extra) : undefined;
  const socket = io(host.url, {
    forceNew: true,
    reconnection: false,
    transports: ["websocket"],
    auth: token ? { token } : {},
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
    socket.timeout(20000).emit(event, ...args, (error, reply) => (error ? reject(error) : resolve(reply)));
  });
}

const join = (socket, room) => ack(socket, "joinRoom", room);
const rooms = async (socket) => (await ack(socket, "getJoinedRooms")).rooms;
let counter = 0;
const game = () => `chess:white${++counter}:black${counter}`;
const players = (room) => room.split(":").slice(1);

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

test("a game room lets in its two players and refuses a stranger with the handler's code, in Dutch too", async () => {
  const room = game();
  const [white, black] = players(room);
  for (const user of [white, black]) {
    assert.equal((await join(await client({ user }), room)).status, "success", user);
  }
  const stranger = await client({ user: "eve" });
  const refused = await join(stranger, room);
  assert.equal(refused.status, "error");
  assert.equal(refused.errorCode, "chess.notInvited");
  assert.equal(refused.httpStatus, 403);
  assert.equal(refused.message, `Only the two players and the spectators they invited may watch ${room}.`);
  assert.deepEqual(await rooms(stranger), []);
  const dutch = await join(await client({ user: "els", language: "nl" }), room);
  assert.equal(dutch.errorCode, "chess.notInvited");
  assert.equal(dutch.message, `Alleen de twee spelers en de toeschouwers die zij uitnodigden mogen ${room} volgen.`);
  const anonymous = await join(await client(), room);
  assert.equal(anonymous.errorCode, "auth.required", "the policy's login rule comes first");
  const notAGame = await join(await client({ user: white }), "chess:lonely");
  assert.equal(notAGame.errorCode, "chess.notAGame");
  assert.equal(notAGame.httpStatus, 404);
});

test("a player's invitation lets a spectator in, and the spectator's remembered room is asked again on reconnect", async () => {
  const room = game();
  const [white] = players(room);
  const player = await client({ user: white });
  assert.equal((await join(player, room)).status, "success");
  const spectator = await client({ user: "sam" });
  assert.equal((await join(spectator, room)).errorCode, "chess.notInvited");
  const invited = await ack(player, "sync", { name: "chess/invite", version: "v1", data: { user: "sam" }, receiver: room });
  assert.equal(invited.status, "success", JSON.stringify(invited));
  assert.equal((await join(spectator, room)).status, "success");
  spectator.disconnect();
  const again = await client({ user: "sam" });
  await eventually("the remembered game room to be rejoined", async () => (await rooms(again)).includes(room));
  const stranger = await client({ user: "sam-the-other" });
  const refused = await ack(stranger, "sync", { name: "chess/invite", version: "v1", data: { user: "x" }, receiver: room });
  assert.equal(refused.errorCode, "sync.notRoomMember", "only members sync to the room");
});

test("the TypeScript chess handler lets in the players and the invited, and refuses others in their language", async () => {
  const room = `chess:tsw${++counter}:tsb${counter}`;
  const [white] = players(room);
  const player = await client({ user: white });
  assert.equal((await join(player, room)).status, "success");
  const spectator = await client({ user: "tess", language: "nl" });
  const refused = await join(spectator, room);
  assert.equal(refused.errorCode, "chess.notInvited");
  assert.equal(refused.httpStatus, 403);
  assert.equal(refused.message, `Alleen de twee spelers en de toeschouwers die zij uitnodigden mogen ${room} volgen.`);
  const invited = await ack(player, "sync", { name: "chess-ts/invite", version: "v1", data: { user: "tess" }, receiver: room });
  assert.equal(invited.status, "success", JSON.stringify(invited));
  assert.deepEqual(invited.result, { invited: "tess", invitedBy: white });
  assert.equal((await join(spectator, room)).status, "success");
  assert.equal((await join(await client(), room)).errorCode, "auth.required");
});

test("a TypeScript join handler's loop, throw and pending promise are contained with their codes", async () => {
  const other = await client();
  for (const [ending, codes] of [
    ["loop", ["plugin.outOfFuel", "plugin.timeout"]],
    ["throw", ["room.joinHandlerFailed"]],
    ["pending", ["plugin.asyncNotSettled"]],
  ]) {
    const refused = await join(await client(), `tsgate-${++counter}-${ending}`);
    assert.ok(codes.includes(refused.errorCode), `${ending}: ${refused.errorCode}`);
    assert.notEqual(refused.message, refused.errorCode, "a translated message");
    assert.equal((await join(other, `tsgate-${++counter}-fine`)).status, "success", `after ${ending}`);
  }
});

test("a join handler that loops or panics is contained with its code, while other joins answer", async () => {
  const looping = await client();
  const other = await client({ user: "olga" });
  const pending = join(looping, `gate-${++counter}-loop`);
  // While the loop burns its budget, a join decided by another handler and one by the same handler answer.
  assert.equal((await join(other, `gate-${++counter}-fine`)).status, "success");
  const room = game();
  assert.equal((await join(await client({ user: players(room)[0] }), room)).status, "success");
  const looped = await pending;
  assert.ok(["plugin.outOfFuel", "plugin.timeout"].includes(looped.errorCode), looped.errorCode);
  const panicked = await join(looping, `gate-${++counter}-panic`);
  assert.equal(panicked.errorCode, "plugin.trap");
  const refused = await join(looping, `gate-${++counter}-refuse`);
  assert.equal(refused.errorCode, "hostile.gateClosed");
  assert.equal(refused.httpStatus, 403, "a handler's refusal is 403 unless it chose a status");
  assert.equal((await join(looping, `gate-${++counter}-after`)).status, "success");
  assert.deepEqual((await rooms(looping)).length, 1, "only the joins the handler let in count");
});

/** The value of `name`'s sample whose labels include every one of `labels` (0 when absent). */
async function sample(name, labels) {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = (await host.metricsText())
    .split("\n")
    .find((l) => l.startsWith(`${name}{`) && wanted.every((pair) => l.includes(pair)));
  return Number(line?.split(" ").at(-1) ?? 0);
}

test("join handler calls are counted per handler: calls, failures by code, refusals; /admin/plugins lists them", async () => {
  const gate = { route: "hostile/gate", version: "1", stage: "join" };
  const before = {
    calls: await sample("synchost_plugin_calls_total", gate),
    trap: await sample("synchost_plugin_errors_total", { ...gate, code: "plugin.trap" }),
    refused: await sample("synchost_plugin_errors_total", { ...gate, code: "refused" }),
  };
  const socket = await client();
  assert.equal((await join(socket, `gate-${++counter}-panic`)).errorCode, "plugin.trap");
  assert.equal((await join(socket, `gate-${++counter}-refuse`)).errorCode, "hostile.gateClosed");
  assert.equal((await join(socket, `gate-${++counter}-fine`)).status, "success");
  assert.equal(await sample("synchost_plugin_calls_total", gate), before.calls + 3);
  assert.equal(await sample("synchost_plugin_errors_total", { ...gate, code: "plugin.trap" }), before.trap + 1);
  assert.equal(await sample("synchost_plugin_errors_total", { ...gate, code: "refused" }), before.refused + 1);
  const admin = host.token("--sub", "operator", "--admin");
  const report = await (await fetch(`${host.url}/admin/plugins`, { headers: { authorization: `Bearer ${admin}` } })).json();
  const listed = report.joinHandlers.map((entry) => `${entry.route}@v${entry.version}`).sort();
  assert.deepEqual(listed, ["chess-ts/game@v1", "chess/game@v1", "hostile-ts/gate@v1", "hostile/gate@v1"]);
});

test("a policy naming a join handler that is not loaded refuses every join with room.joinUnavailable", async () => {
  const socket = await client({ user: "mia", language: "nl" });
  const room = `missing-${++counter}`;
  const refused = await join(socket, room);
  assert.equal(refused.errorCode, "room.joinUnavailable");
  assert.equal(refused.httpStatus, 503);
  assert.equal(refused.message, `Je kunt nu niet in "${room}". Probeer het later opnieuw.`);
  assert.deepEqual(await rooms(socket), []);
});

test("a member whose session expires leaves the rooms a join handler let it into, and a renewal asks again", async () => {
  const room = `gate-${++counter}-open`;
  const socket = await client({ user: "tom", ttl: 2 });
  assert.equal((await join(socket, room)).status, "success");
  const removed = new Promise((resolve) => socket.once("roomRemoved", resolve));
  const expired = await new Promise((resolve) => socket.once("sessionExpired", resolve));
  assert.equal(expired.errorCode, "auth.sessionExpired");
  assert.equal((await removed).errorCode, "room.removed");
  assert.deepEqual(await rooms(socket), [], "the policy admits anyone, but the handler decided for tom");
  const renewed = await ack(socket, "renew", { token: host.token("--sub", "tom", "--ttl", "600") });
  assert.equal(renewed.status, "success", JSON.stringify(renewed));
  assert.deepEqual(await rooms(socket), [room], "the remembered room is asked again and let in");
});

test("a live config change that puts a join handler on a room asks its members, and takes out those refused", async () => {
  const room = `club-${++counter}-refuse`;
  const open = `club-${++counter}-fine`;
  const member = await client({ user: "nina" });
  for (const name of [room, open]) assert.equal((await join(member, name)).status, "success");
  host.rewriteConfig(`${CONFIG}
[[rooms.policy]]
pattern = "club-*"
join = "hostile/gate@v1"
`);
  await eventually("the member to be taken out", () => member.removed.length > 0);
  assert.equal(member.removed[0].errorCode, "room.removed");
  assert.deepEqual(await rooms(member), [open], "the handler said yes to the other room");
});
