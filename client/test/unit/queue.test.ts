// The offline queue: order, bounds and drop policies, TTLs, flushing on connect and online, abort.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { SyncResponse } from "synchost-client";
import { fakeClient, settle, track } from "./fakes.js";

const req = (n: number, extra: object = {}) => ({ name: "a/b", version: "v1", data: { n }, receiver: "r", ...extra });
const sentN = (args: unknown[]): unknown => (args[0] as { data: { n: number } }).data.n;
const code = (reply: SyncResponse<unknown> | undefined): unknown => (reply?.status === "error" ? [reply.errorCode, reply.errorParams] : reply);

test("requests made while disconnected queue in order and flush one at a time on connect", async () => {
  const { client, socket } = fakeClient();
  const answers = [1, 2, 3].map((n) => track(client.syncRequest(req(n))));
  assert.equal(client.queue.size, 3);
  assert.deepEqual(client.queue.items().map((i) => [i.name, i.version, i.receiver]), [["a/b", "v1", "r"], ["a/b", "v1", "r"], ["a/b", "v1", "r"]]);
  assert.equal(socket.sent.length, 0);
  socket.connect();
  for (const n of [1, 2, 3]) {
    await settle();
    const sent = socket.sentOf("sync");
    assert.equal(sent.length, n, "the next one waits for the previous answer");
    assert.equal(sentN(sent[n - 1]!.args), n);
    sent[n - 1]!.ack?.({ status: "success", result: n * 10 });
  }
  await settle();
  assert.deepEqual(answers.map((a) => a.value), [10, 20, 30].map((result) => ({ status: "success", result })));
  assert.equal(client.queue.size, 0);
});

test("a request made while the queue drains goes behind it", async () => {
  const { client, socket } = fakeClient();
  void client.syncRequest(req(1));
  socket.connect();
  void client.syncRequest(req(2));
  assert.equal(socket.sentOf("sync").length, 1);
  socket.sentOf("sync")[0]!.ack?.({ status: "success", result: null });
  await settle();
  assert.deepEqual(socket.sentOf("sync").map((s) => sentN(s.args)), [1, 2]);
});

test("drop-oldest evicts the head with offline.dropped/queue-full", async () => {
  const { client } = fakeClient({ offline: { maxSize: 2 } });
  const first = track(client.syncRequest(req(1)));
  void client.syncRequest(req(2));
  void client.syncRequest(req(3));
  await settle();
  assert.deepEqual(code(first.value), ["offline.dropped", [{ key: "reason", value: "queue-full" }]]);
  assert.equal(client.queue.size, 2);
});

for (const policy of ["drop-newest", "reject"] as const) {
  test(`${policy} refuses the new request with offline.queueFull`, async () => {
    const { client } = fakeClient({ offline: { maxSize: 2, dropPolicy: policy } });
    const kept = [1, 2].map((n) => track(client.syncRequest(req(n))));
    const refused = await client.syncRequest(req(3));
    assert.deepEqual(code(refused), ["offline.queueFull", [{ key: "maxSize", value: 2 }]]);
    assert.equal(client.queue.size, 2);
    assert.ok(kept.every((k) => !k.done));
  });
}

test("a per-request drop policy overrides the client's", async () => {
  const { client } = fakeClient({ offline: { maxSize: 1, dropPolicy: "drop-oldest" } });
  const first = track(client.syncRequest(req(1)));
  const refused = await client.syncRequest(req(2, { dropPolicy: "reject" }));
  assert.deepEqual(code(refused), ["offline.queueFull", [{ key: "maxSize", value: 1 }]]);
  assert.equal(first.done, false);
});

test("queued requests expire after their TTL with offline.dropped/expired", async () => {
  const { client, clock } = fakeClient({ offline: { ttlMs: 1000 } });
  const early = track(client.syncRequest(req(1)));
  const longer = track(client.syncRequest(req(2, { ttlMs: 5000 })));
  clock.advance(999);
  await settle();
  assert.equal(early.done, false);
  clock.advance(1);
  await settle();
  assert.deepEqual(code(early.value), ["offline.dropped", [{ key: "reason", value: "expired" }]]);
  assert.equal(longer.done, false);
  assert.equal(client.queue.size, 1);
  clock.advance(4000);
  await settle();
  assert.deepEqual(code(longer.value), ["offline.dropped", [{ key: "reason", value: "expired" }]]);
  assert.equal(client.queue.size, 0);
});

test("a flushed request gets a fresh timeout from when it is sent", async () => {
  const { client, socket, clock } = fakeClient({ requestTimeoutMs: 1000 });
  const answer = track(client.syncRequest(req(1)));
  clock.advance(5000);
  socket.connect();
  await settle();
  assert.equal(answer.done, false);
  clock.advance(1000);
  await settle();
  assert.equal(answer.value?.status === "error" && answer.value.errorCode, "sync.requestTimeout");
});

test("aborting a queued request removes it and it is never sent", async () => {
  const { client, socket } = fakeClient();
  const controller = new AbortController();
  const aborted = client.syncRequest(req(1, { signal: controller.signal }));
  void client.syncRequest(req(2));
  controller.abort();
  assert.equal((await aborted).status === "error" && ((await aborted) as { errorCode: string }).errorCode, "request.aborted");
  assert.equal(client.queue.size, 1);
  socket.connect();
  assert.deepEqual(socket.sentOf("sync").map((s) => sentN(s.args)), [2]);
});

test("a connection lost mid-flush stops the flush; the rest stays queued and goes on the next connect", async () => {
  const { client, socket } = fakeClient();
  const first = track(client.syncRequest(req(1)));
  const second = track(client.syncRequest(req(2)));
  socket.connect();
  socket.drop();
  await settle();
  assert.equal(first.value?.status === "error" && first.value.errorCode, "sync.connectionLost");
  assert.equal(second.done, false);
  assert.deepEqual(client.queue.items().map((i) => i.id).length, 1);
  socket.connect();
  await settle();
  assert.deepEqual(socket.sentOf("sync").map((s) => sentN(s.args)), [1, 2]);
});

test("offline (isOnline false) queues even when connected, and the window online event flushes", async () => {
  const target = new EventTarget();
  (globalThis as { window?: unknown }).window = target;
  try {
    let online = false;
    const { client, socket } = fakeClient({ isOnline: () => online });
    socket.connect();
    void client.syncRequest(req(1));
    void client.syncRequest(req(2));
    assert.equal(socket.sentOf("sync").length, 0);
    assert.equal(client.queue.size, 2);
    online = true;
    target.dispatchEvent(new Event("online"));
    await settle();
    assert.deepEqual(socket.sentOf("sync").map((s) => sentN(s.args)), [1]);
    socket.sentOf("sync")[0]!.ack?.({ status: "success", result: null });
    await settle();
    assert.deepEqual(socket.sentOf("sync").map((s) => sentN(s.args)), [1, 2]);
    client.close();
  } finally {
    delete (globalThis as { window?: unknown }).window;
  }
});

test("queue subscribers hear every change", async () => {
  const { client, socket } = fakeClient();
  const sizes: number[] = [];
  const stop = client.queue.subscribe(() => sizes.push(client.queue.size));
  void client.syncRequest(req(1));
  void client.syncRequest(req(2));
  socket.connect();
  socket.sentOf("sync")[0]!.ack?.({ status: "success", result: null });
  await settle();
  stop();
  void client.syncRequest(req(3));
  assert.deepEqual(sizes, [1, 2, 1, 0]);
});
