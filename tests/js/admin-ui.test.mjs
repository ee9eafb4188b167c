// The Socket.IO Admin UI's `/admin` namespace, spoken to by socket.io-client as the official UI
// speaks it: a CONNECT without an admin token is refused with `invalid credentials`; an admin gets
// `config`, `all_sockets` (with a client's rooms, never its token) and `server_stats`, then hears
// `socket_connected`, `room_joined`, `room_left` and `socket_disconnected` as they happen, and its
// `join` and `_disconnect` act on the real client. Credentials in headers are never shown. The event
// feed shows what a client sends and what is emitted to it alone.
//
// Every wait has a timeout that only guards against hanging.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { io } from "socket.io-client";
import { startHost } from "./host.mjs";

const GUARD = 30000;
let host;
let empty;
let uiDir;
const sockets = [];

before(async () => {
  empty = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-admin-ns-"));
  // The namespace is enabled with the UI's folder; any folder will do here.
  uiDir = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-admin-ui-files-"));
  fs.writeFileSync(path.join(uiDir, "index.html"), "<!doctype html><title>ui</title>");
  host = await startHost({
    plugins: [empty],
    server: `admin_ui_dir = ${JSON.stringify(uiDir)}`,
    config: '[auth]\nsecret = "admin-ui-test-secret-not-for-production"',
  });
});

after(() => {
  sockets.forEach((socket) => socket.disconnect());
  host?.stop();
  for (const dir of [empty, uiDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function within(promise, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing within ${GUARD} ms`)), GUARD))),
  ]).finally(() => clearTimeout(timer));
}

/** Connects to `nsp`; resolves with the socket, or rejects with the connect error. */
function open(nsp, options = {}) {
  const socket = io(`${host.url}${nsp}`, { forceNew: true, reconnection: false, transports: ["websocket"], ...options });
  sockets.push(socket);
  return within(new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  }), `connect ${nsp}`);
}

/** The first `event` whose arguments satisfy `match`. */
function next(socket, event, match = () => true) {
  return within(new Promise((resolve) => {
    const listener = (...args) => {
      if (match(...args)) {
        socket.off(event, listener);
        resolve(args);
      }
    };
    socket.on(event, listener);
  }), event);
}

test("a CONNECT without an admin token is refused as the UI expects", async () => {
  for (const auth of [{}, { username: "x", password: "nope" }, { username: "x", password: host.token("--sub", "someone") }]) {
    await assert.rejects(open("/admin", { auth }), (error) => error.message === "invalid credentials");
  }
});

test("an admin sees a client, its rooms and its departure, and its operations act on it", async () => {
  const token = host.token("--sub", "someone");
  const client = await open("/", { auth: { token } });
  assert.equal((await within(client.emitWithAck("joinRoom", "lobby"), "join")).status, "success");

  const admin = io(`${host.url}/admin`, {
    forceNew: true, reconnection: false, transports: ["websocket"],
    auth: { username: "ops", password: host.token("--sub", "ops", "--admin") },
  });
  sockets.push(admin);
  const config = next(admin, "config");
  const all = next(admin, "all_sockets");
  const stats = next(admin, "server_stats");
  const [{ supportedFeatures }] = await config;
  for (const feature of ["JOIN", "DISCONNECT", "ALL_EVENTS"]) {
    assert.ok(supportedFeatures.includes(feature), JSON.stringify(supportedFeatures));
  }
  const [list] = await all;
  const listed = list.find((s) => s.id === client.id);
  assert.ok(listed, JSON.stringify(list));
  assert.equal(listed.nsp, "/");
  assert.deepEqual([...listed.rooms].sort(), [client.id, "lobby"].sort());
  assert.equal(listed.handshake.query.EIO, "4");
  assert.equal(JSON.stringify(list).includes(token), false, "a token was shown");
  const [serverStats] = await stats;
  assert.equal(serverStats.namespaces.find((n) => n.name === "/").socketsCount, 1);

  // The UI's join: the client is put in a room, and the admin hears it.
  const joined = next(admin, "room_joined", (nsp, room, id) => room === "vip" && id === client.id);
  admin.emit("join", "/", "vip", client.id);
  await joined;
  const left = next(admin, "room_left", (nsp, room, id) => room === "lobby" && id === client.id);
  assert.equal((await within(client.emitWithAck("leaveRoom", "lobby"), "leave")).status, "success");
  await left;

  // A second client arrives; the UI's disconnect of it reaches the real client.
  const connected = next(admin, "socket_connected", (socket) => socket.nsp === "/");
  const other = await open("/");
  const [seen] = await connected;
  assert.equal(seen.id, other.id);
  // socket.io-client forgets its id once disconnected: keep it.
  const otherId = other.id;
  const gone = next(admin, "socket_disconnected", (nsp, id) => id === otherId);
  const reason = within(new Promise((resolve) => other.once("disconnect", resolve)), "client disconnect");
  admin.emit("_disconnect", "/", false, otherId);
  assert.equal(await reason, "io server disconnect");
  await gone;
});

test("the admin's event feed shows what a client sends and what is emitted to it alone, with its arguments", async () => {
  const admin = await open("/admin", { auth: { username: "ops", password: host.token("--sub", "ops", "--admin") } });
  const client = await open("/");
  const received = next(admin, "event_received", (nsp, id, args) => id === client.id && args[0] === "getJoinedRooms");
  const sent = next(admin, "event_sent", (nsp, id, args) => id === client.id && args[0] === "getJoinedRooms-7");
  // LuckyStack's form: no ack, the answer comes back as the event `getJoinedRooms-7`, emitted to this socket alone.
  const answer = within(new Promise((resolve) => client.once("getJoinedRooms-7", resolve)), "the answer");
  client.emit("getJoinedRooms", { responseIndex: 7 });
  const [nsp, id, args, at] = await received;
  assert.equal(nsp, "/");
  assert.deepEqual(args, ["getJoinedRooms", { responseIndex: 7 }]);
  assert.ok(Math.abs(new Date(at).getTime() - Date.now()) < 60000, `a time the UI can read: ${at}`);
  const [, , sentArgs] = await sent;
  assert.equal(sentArgs[1].status, "success");
  assert.deepEqual((await answer).rooms, []);
});
