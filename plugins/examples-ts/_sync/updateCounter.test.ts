// Native tests of the TypeScript updateCounter stages, under Node with the SDK's fake host
// (`cd guest-sdk/ts && npm test`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { runClient, runServer, session } from "synchost-sdk/testing";
import * as server from "./updateCounter_server_v1.ts";
import * as client from "./updateCounter_client_v1.ts";

test("adds one to the amount", async () => {
  assert.deepEqual(await runServer(server, { amount: 5 }), { status: "success", output: { newValue: 6 } });
});

test("a text amount is invalid input; the top of the range is refused", async () => {
  const text = await runServer(server, { amount: "five" });
  assert.equal(text.status === "error" && text.errorCode, "sync.invalidInputType");
  const top = await runServer(server, { amount: Number.MAX_SAFE_INTEGER });
  assert.equal(top.status === "error" && top.errorCode, "examples.amountOutOfRange");
});

test("each recipient gets its own id and anonymous ones the plain output", async () => {
  const outcomes = await runClient(client, { amount: 1 }, { newValue: 2 }, [session("ann"), null, session("bob")]);
  assert.deepEqual(outcomes, [
    { status: "deliver", output: { receivedBy: "ann" } },
    { status: "plain" },
    { status: "deliver", output: { receivedBy: "bob" } },
  ]);
});
