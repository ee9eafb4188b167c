// Native tests of the TypeScript durableCounter: kv through the fake host.
import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeHost, runServer } from "synchost-sdk/testing";
import * as server from "./durableCounter_server_v1.ts";

test("the counter accumulates across calls", async () => {
  const host = new FakeHost();
  assert.deepEqual(await runServer(server, { amount: 5 }, { host }), { status: "success", output: { value: 5 } });
  assert.deepEqual(await runServer(server, { amount: -2 }, { host }), { status: "success", output: { value: 3 } });
  assert.equal(host.kvValue("counter"), 3);
});

test("without the kv capability the caller gets a host error", async () => {
  const result = await runServer(server, { amount: 1 }, { host: new FakeHost().deny("kv") });
  assert.deepEqual(result.status === "error" && result.errorParams, [{ key: "reason", value: "notGranted" }]);
});
