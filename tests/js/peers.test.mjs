// What a hostile or careless HTTP caller can do to the trigger, against a real `synchost serve` with
// the example and hostile handlers: disconnect mid-sync (the room still gets its frame), send its
// body slowly (408), or open more syncs than the host handles at once (503).
//
// The slow sync is `hostile/attack` with `looper` in the room: its client stage spins until its
// timeout, so the fan-out lasts seconds after the server stage ran. Raw TCP sockets stand in for
// callers that misbehave; every wait has a timeout that only guards against hanging.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { io } from "socket.io-client";
import { repo, startHost } from "./host.mjs";

const SECRET = "peers-secret-not-for-production";
let host;
let port;

/** A plugins tree with only the handlers these tests call, so the host starts quickly. */
function pluginTree() {
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-peers-"));
  const pick = [
    ["plugins", "examples", "updateCounter_server_v1.wasm"],
    ["fixtures", "hostile", "attack_server_v1.wasm"],
    ["fixtures", "hostile", "attack_client_v1.wasm"],
  ];
  for (const [built, page, file] of pick) {
    const from = path.join(repo, "build", built, page, "_sync", file);
    if (!fs.existsSync(from)) throw new Error(`${from} is missing: run scripts/build-plugins first`);
    fs.mkdirSync(path.join(tree, page, "_sync"), { recursive: true });
    fs.copyFileSync(from, path.join(tree, page, "_sync", file));
  }
  return tree;
}

before(async () => {
  const tree = pluginTree();
  host = await startHost({
    plugins: [tree],
    config: `
[auth]
secret = "${SECRET}"
[sync]
max_http_in_flight = 2
http_body_timeout_ms = 1000
[plugins.routes."hostile/attack".client]
fuel = 0
timeout_ms = 4000
`,
  });
  port = Number(new URL(host.url).port);
  fs.rmSync(tree, { recursive: true, force: true });
});

after(() => host?.stop());

const sockets = [];
after(() => sockets.forEach((socket) => socket.disconnect()));

async function client(token) {
  const socket = io(host.url, { forceNew: true, reconnection: false, transports: ["websocket"], auth: { token } });
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

async function join(socket, room) {
  const reply = await socket.timeout(10000).emitWithAck("joinRoom", room);
  assert.equal(reply.status, "success", JSON.stringify(reply));
}

function frame(socket, match, ms = 20000) {
  return new Promise((resolve, reject) => {
    const check = () => {
      const hit = socket.frames.find(match);
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

let rooms = 0;
const freshRoom = () => `peers-${++rooms}-${Date.now()}`;

/** A room with `alice` (whose token the HTTP caller uses) and `looper` (who makes fan-outs slow). */
async function slowRoom() {
  const room = freshRoom();
  const token = host.token("--sub", "alice");
  const alice = await client(token);
  const looper = await client(host.token("--sub", "looper"));
  await join(alice, room);
  await join(looper, room);
  return { room, token, alice };
}

/** The head of a trigger POST with `length` bytes of JSON body announced. */
function head(pathname, token, length) {
  return (
    `POST ${pathname} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n` +
    `authorization: Bearer ${token}\r\ncontent-length: ${length}\r\nconnection: close\r\n\r\n`
  );
}

/** Opens a raw connection and writes `text`. */
function rawSend(text) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(text, () => resolve(socket)));
    socket.on("error", reject);
  });
}

/** Everything the server writes on `socket` until it closes (or `ms` passes). */
function readAll(socket, ms = 20000) {
  return new Promise((resolve, reject) => {
    let data = "";
    const timer = setTimeout(() => reject(new Error(`no end of answer; got ${data}`)), ms);
    socket.on("data", (chunk) => (data += chunk));
    socket.on("close", () => (clearTimeout(timer), resolve(data)));
  });
}

const slowSync = (room) => JSON.stringify({ data: { attack: "ok" }, receiver: room });

test("a caller that disconnects right after sending: the room member still gets the frame", async () => {
  const { room, token, alice } = await slowRoom();
  const body = slowSync(room);
  const socket = await rawSend(head("/sync/hostile/attack/v1", token, Buffer.byteLength(body)) + body);
  // Gone before any answer: the server stage runs, then the slow fan-out, with no one waiting.
  socket.destroy();
  const got = await frame(alice, (f) => f.fullName === "sync/hostile/attack/v1");
  assert.deepEqual(got.clientOutput, { to: "alice" });
});

test("a body that does not arrive in time gets 408 sync.bodyTimeout", async () => {
  const token = host.token("--sub", "slow");
  const socket = await rawSend(head("/sync/examples/updateCounter/v1", token, 100) + '{"data":');
  const answer = await readAll(socket);
  assert.match(answer, /^HTTP\/1\.1 408 /);
  assert.match(answer, /"errorCode":"sync\.bodyTimeout"/);
});

test("past max_http_in_flight the trigger answers 503 sync.serverBusy, and later accepts again", async () => {
  const { room, token } = await slowRoom();
  const body = slowSync(room);
  const post = (pathname, json) =>
    fetch(`${host.url}${pathname}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: json,
    });
  // Two slow syncs take both slots for seconds (the batch budget on looper, then looper alone again).
  // A slot still held by an earlier test's slow sync may refuse one of them: that is the cap too.
  let busy;
  let finished = 0;
  const holders = [post("/sync/hostile/attack/v1", body), post("/sync/hostile/attack/v1", body)].map((held) =>
    held.then(async (response) => {
      if (response.status === 503) busy ??= await response.clone().json();
      else finished += 1;
      return response;
    }),
  );
  const quick = () => post("/sync/examples/updateCounter/v1", JSON.stringify({ data: { amount: 1 }, receiver: room }));
  // Asked again and again while the slow ones are in flight; a 503 must come before one ends.
  while (!busy && finished === 0) {
    const response = await quick();
    if (response.status === 503) busy = await response.json();
    else await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.ok(busy, "never refused while two slow syncs were in flight");
  assert.equal(busy.errorCode, "sync.serverBusy");
  for (const held of await Promise.all(holders)) assert.ok([200, 503].includes(held.status), `${held.status}`);
  assert.equal((await quick()).status, 200, "once the slow syncs ended their slots are free again");
});


