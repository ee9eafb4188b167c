// syncRequest on a connected socket: what is sent, what comes back, and every way it ends early.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fakeClient, settle, track } from "./fakes.js";

const request = { name: "examples/updateCounter", version: "v1", data: { amount: 5 }, receiver: "lobby" } as const;

test("sends the wire frame with an ack and resolves with the host's envelope unchanged", async () => {
  const { client, socket } = fakeClient();
  socket.connect();
  const answer = client.syncRequest(request);
  const [sent] = socket.sentOf("sync");
  assert.ok(sent?.ack);
  assert.deepEqual(sent.args, [{ name: "examples/updateCounter", version: "v1", data: { amount: 5 }, receiver: "lobby", ignoreSelf: false }]);
  const envelope = { status: "error", errorCode: "sync.notRoomMember", errorParams: [{ key: "room", value: "lobby" }], httpStatus: 403, message: "You are not a member of room lobby." };
  sent.ack(envelope);
  assert.equal(await answer, envelope);
});

test("absent data is sent as {} and ignoreSelf is passed on", async () => {
  const { client, socket } = fakeClient();
  socket.connect();
  const answer = client.syncRequest({ name: "a/b", version: "v2", receiver: "r", ignoreSelf: true });
  const [sent] = socket.sentOf("sync");
  assert.deepEqual(sent?.args[0], { name: "a/b", version: "v2", data: {}, receiver: "r", ignoreSelf: true });
  sent?.ack?.({ status: "success", result: { newValue: 6 } });
  assert.deepEqual(await answer, { status: "success", result: { newValue: 6 } });
});

test("local checks answer 400 envelopes without sending", async () => {
  const { client, socket } = fakeClient();
  socket.connect();
  const badName = await client.syncRequest({ name: "nopage", version: "v1", receiver: "r" });
  assert.deepEqual(badName, { status: "error", errorCode: "sync.invalidName", httpStatus: 400, message: "sync.invalidName", errorParams: [{ key: "name", value: "nopage/v1" }] });
  const badVersion = await client.syncRequest({ name: "a/b", version: "1", receiver: "r" });
  assert.equal(badVersion.status === "error" && badVersion.errorCode, "sync.invalidName");
  const noReceiver = await client.syncRequest({ name: "a/b", version: "v1", receiver: "  " });
  assert.deepEqual(noReceiver, { status: "error", errorCode: "sync.missingReceiver", httpStatus: 400, message: "sync.missingReceiver" });
  assert.equal(socket.sentOf("sync").length, 0);
});

test("an unreadable ack becomes sync.invalidServerResponse", async () => {
  const { client, socket } = fakeClient();
  socket.connect();
  const answer = client.syncRequest(request);
  socket.sentOf("sync")[0]?.ack?.("nonsense");
  const reply = await answer;
  assert.equal(reply.status === "error" && reply.errorCode, "sync.invalidServerResponse");
});

test("no answer within the timeout settles sync.requestTimeout (504); a late ack changes nothing", async () => {
  const { client, socket, clock } = fakeClient({ requestTimeoutMs: 1000 });
  socket.connect();
  const state = track(client.syncRequest(request));
  clock.advance(999);
  await settle();
  assert.equal(state.done, false);
  clock.advance(1);
  await settle();
  assert.deepEqual(state.value, { status: "error", errorCode: "sync.requestTimeout", httpStatus: 504, message: "sync.requestTimeout", errorParams: [{ key: "ms", value: 1000 }] });
  socket.sentOf("sync")[0]?.ack?.({ status: "success", result: 1 });
  await settle();
  assert.equal(state.value?.status, "error");
});

test("a per-request timeoutMs overrides the client's, and 0 waits forever", async () => {
  const { client, socket, clock } = fakeClient({ requestTimeoutMs: 1000 });
  socket.connect();
  const short = track(client.syncRequest({ ...request, timeoutMs: 10 }));
  const never = track(client.syncRequest({ ...request, timeoutMs: 0 }));
  clock.advance(10_000_000);
  await settle();
  assert.equal(short.value?.status === "error" && short.value.errorCode, "sync.requestTimeout");
  assert.equal(never.done, false);
  socket.sentOf("sync")[1]?.ack?.({ status: "success", result: null });
  await settle();
  assert.deepEqual(never.value, { status: "success", result: null });
});

test("aborting in flight settles request.aborted; an already aborted signal sends nothing", async () => {
  const { client, socket } = fakeClient();
  socket.connect();
  const controller = new AbortController();
  const answer = client.syncRequest({ ...request, signal: controller.signal });
  assert.equal(socket.sentOf("sync").length, 1);
  controller.abort();
  assert.deepEqual(await answer, { status: "error", errorCode: "request.aborted", httpStatus: 499, message: "request.aborted" });
  const again = await client.syncRequest({ ...request, signal: controller.signal });
  assert.equal(again.status === "error" && again.errorCode, "request.aborted");
  assert.equal(socket.sentOf("sync").length, 1);
});

test("a connection lost while waiting settles sync.connectionLost", async () => {
  const { client, socket } = fakeClient();
  socket.connect();
  const answer = client.syncRequest(request);
  socket.drop();
  const reply = await answer;
  assert.equal(reply.status === "error" && reply.errorCode, "sync.connectionLost");
});

test("close settles queued requests and stops listening", async () => {
  const { client, socket } = fakeClient();
  const queued = client.syncRequest(request);
  client.close();
  assert.deepEqual(await queued, { status: "error", errorCode: "offline.dropped", httpStatus: 503, message: "offline.dropped", errorParams: [{ key: "reason", value: "closed" }] });
  assert.equal(socket.listenerCount("sync") + socket.listenerCount("connect") + socket.listenerCount("disconnect"), 0);
  const after = await client.syncRequest(request);
  assert.equal(after.status === "error" && after.errorCode, "offline.dropped");
});
