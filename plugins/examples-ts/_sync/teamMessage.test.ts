// Native tests of the TypeScript teamMessage stages: config, rooms, and the team filter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeHost, runClient, runServer, session } from "synchost-sdk/testing";
import * as server from "./teamMessage_server_v1.ts";
import * as client from "./teamMessage_client_v1.ts";

const send = (text: string, host = new FakeHost()) =>
  runServer(server, { team: "red", text }, { user: session("ann"), roomCode: "office", host });

test("a message carries sender and room size", async () => {
  const host = new FakeHost().setRoom("office", [session("ann"), null, null]);
  assert.deepEqual(await send("  hello team ", host), {
    status: "success",
    output: { team: "red", text: "hello team", sentBy: "ann", roomSize: 3 },
  });
});

test("the operator limit applies, and a broken one falls back to the default with a log line", async () => {
  const limited = await send("too long", new FakeHost().setConfig("maxLength", "5"));
  assert.deepEqual(limited.status === "error" && limited.errorParams, [
    { key: "length", value: 8 },
    { key: "max", value: 5 },
  ]);
  const host = new FakeHost().setConfig("maxLength", "lots");
  assert.equal((await send("x".repeat(280), host)).status, "success");
  assert.equal((await send("x".repeat(281), host)).status, "error");
  assert.ok(host.logs.some((line) => line.message.includes("maxLength")));
});

test("an empty message is refused; without the rooms capability the call fails", async () => {
  const empty = await send("   ");
  assert.equal(empty.status === "error" && empty.errorCode, "examples.emptyMessage");
  const denied = await send("hi", new FakeHost().deny("rooms"));
  assert.equal(denied.status === "error" && denied.errorCode, "plugin.hostCallFailed");
});

test("only the team and admins receive it", async () => {
  const recipients = [
    session("red-player", { team: "red" }),
    session("blue-player", { team: "blue" }),
    session("blue-admin", { team: "blue", admin: true }),
    session("teamless"),
    session("odd-claim", { team: 7 }),
    null,
  ];
  const outcomes = await runClient(client, { team: "red", text: "go" }, { sentBy: "ann" }, recipients);
  assert.deepEqual(outcomes.map((outcome) => outcome.status), ["plain", "skip", "plain", "skip", "skip", "skip"]);
});
