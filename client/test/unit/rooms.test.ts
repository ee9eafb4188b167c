// Rooms and tokens: room acks, rejoining after a reconnect before the queue flushes (room tokens
// included), setToken.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fakeClient, settle } from "./fakes.js";

test("joinRoom emits the room and resolves with the rooms ack", async () => {
  const { client, socket } = fakeClient();
  socket.connect();
  const joined = client.joinRoom("lobby");
  const [sent] = socket.sentOf("joinRoom");
  assert.deepEqual(sent?.args, ["lobby"]);
  sent?.ack?.({ status: "success", rooms: ["lobby"] });
  assert.deepEqual(await joined, { status: "success", rooms: ["lobby"] });
  const listed = client.getJoinedRooms();
  assert.deepEqual(socket.sentOf("getJoinedRooms")[0]?.args, []);
  socket.sentOf("getJoinedRooms")[0]?.ack?.({ status: "error", errorCode: "room.invalidName", httpStatus: 400, message: "m" });
  assert.equal((await listed).status, "error");
});

test("after a reconnect the client rejoins its rooms, then flushes the queue", async () => {
  const { client, socket } = fakeClient();
  socket.connect();
  const joined = client.joinRoom("lobby");
  socket.sentOf("joinRoom")[0]?.ack?.({ status: "success", rooms: ["lobby"] });
  await joined;
  socket.drop();
  void client.syncRequest({ name: "a/b", version: "v1", receiver: "lobby" });
  socket.connect();
  await settle();
  assert.deepEqual(socket.sent.map((s) => s.event), ["joinRoom", "joinRoom"], "the sync waits for the rejoin");
  socket.sentOf("joinRoom")[1]?.ack?.({ status: "success", rooms: ["lobby"] });
  await settle();
  assert.deepEqual(socket.sent.map((s) => s.event), ["joinRoom", "joinRoom", "sync"]);
});

test("a left room is not rejoined", async () => {
  const { client, socket } = fakeClient();
  socket.connect();
  const joined = client.joinRoom("lobby");
  socket.sentOf("joinRoom")[0]?.ack?.({ status: "success", rooms: ["lobby"] });
  await joined;
  const left = client.leaveRoom("lobby");
  socket.sentOf("leaveRoom")[0]?.ack?.({ status: "success", rooms: [] });
  await left;
  socket.drop();
  socket.connect();
  await settle();
  assert.equal(socket.sentOf("joinRoom").length, 1);
});

test("setToken puts the token in the auth payload and reconnects", () => {
  const { client, socket } = fakeClient();
  socket.connect();
  client.setToken("t0k3n");
  assert.deepEqual(socket.auth, { token: "t0k3n" });
  assert.equal(socket.connects, 2);
  assert.equal(socket.connected, true);
  client.setToken(null);
  assert.deepEqual(socket.auth, {});
  assert.equal(socket.connects, 3);
});

test("a room token goes with the join and again with the rejoin after a reconnect", async () => {
  const { client, socket } = fakeClient();
  socket.connect();
  const joined = client.joinRoom("game-1", { token: "room-token" });
  assert.deepEqual(socket.sentOf("joinRoom")[0]?.args, [{ room: "game-1", token: "room-token" }]);
  socket.sentOf("joinRoom")[0]?.ack?.({ status: "success", rooms: ["game-1"] });
  await joined;
  socket.drop();
  socket.connect();
  await settle();
  assert.deepEqual(socket.sentOf("joinRoom")[1]?.args, [{ room: "game-1", token: "room-token" }]);
});
