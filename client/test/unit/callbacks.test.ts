// Incoming frames: routing by fullName, replacement by owner, removal, error frames kept apart.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fakeClient } from "./fakes.js";

const frame = (name: string, version: string, serverOutput: unknown, clientOutput: unknown = null) => ({
  name, version, fullName: `sync/${name}/${version}`, status: "success", serverOutput, clientOutput,
});

test("frames reach the callbacks of their fullName only", () => {
  const { client, socket } = fakeClient();
  const seen: unknown[] = [];
  client.upsertSyncEventCallback({ name: "a/b", version: "v1", callback: (e) => seen.push(["v1", e.serverOutput, e.clientOutput]) });
  client.upsertSyncEventCallback({ name: "a/b", version: "v2", callback: (e) => seen.push(["v2", e.serverOutput]) });
  socket.receive("sync", frame("a/b", "v1", { newValue: 6 }, { receivedBy: "ann" }));
  socket.receive("sync", frame("a/c", "v1", 1));
  socket.receive("sync", { ...frame("a/b", "v2", 2), name: "something/else" });
  assert.deepEqual(seen, [["v1", { newValue: 6 }, { receivedBy: "ann" }], ["v2", 2]]);
});

test("same owner and route replaces in place; no owner adds; removal removes one", () => {
  const { client, socket } = fakeClient();
  const seen: string[] = [];
  const owner = {};
  const oldRemove = client.upsertSyncEventCallback({ name: "a/b", version: "v1", owner, callback: () => seen.push("old") });
  const other = client.upsertSyncEventCallback({ name: "a/b", version: "v1", callback: () => seen.push("other") });
  client.upsertSyncEventCallback({ name: "a/b", version: "v1", owner, callback: () => seen.push("new") });
  socket.receive("sync", frame("a/b", "v1", null));
  assert.deepEqual(seen, ["new", "other"]);
  oldRemove();
  other();
  seen.length = 0;
  socket.receive("sync", frame("a/b", "v1", null));
  assert.deepEqual(seen, ["new"], "the replaced registration's remover does nothing");
});

test("error frames never reach success callbacks; onSyncError gets them", () => {
  const { client, socket } = fakeClient();
  const success: unknown[] = [];
  const errors: unknown[] = [];
  client.upsertSyncEventCallback({ name: "a/b", version: "v1", callback: (e) => success.push(e) });
  const stop = client.onSyncError((f) => errors.push(f.errorCode));
  const errorFrame = { name: "a/b", version: "v1", fullName: "sync/a/b/v1", status: "error", errorCode: "chess.notYourTurn", httpStatus: 403, message: "x" };
  socket.receive("sync", errorFrame);
  assert.deepEqual(success, []);
  assert.deepEqual(errors, ["chess.notYourTurn"]);
  stop();
  socket.receive("sync", errorFrame);
  assert.equal(errors.length, 1);
});

test("one throwing callback does not stop the others; its error is reported", () => {
  const { client, socket } = fakeClient();
  const seen: string[] = [];
  const reported: unknown[] = [];
  const global = globalThis as { reportError?: (error: unknown) => void };
  global.reportError = (error) => reported.push(error);
  try {
    client.upsertSyncEventCallback({ name: "a/b", version: "v1", callback: () => { throw new Error("boom"); } });
    client.upsertSyncEventCallback({ name: "a/b", version: "v1", callback: () => seen.push("second") });
    socket.receive("sync", frame("a/b", "v1", null));
  } finally {
    delete global.reportError;
  }
  assert.deepEqual(seen, ["second"]);
  assert.equal((reported[0] as Error).message, "boom");
});
