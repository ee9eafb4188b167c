// The stage logic every component runs: the response contract, error codes, capability
// failures, the client batch (one outcome per recipient, in order) and async handlers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeHost, runClient, runServer, session } from "../src/testing.ts";
import { SyncError } from "../src/index.ts";

const server = (main: (params: any) => unknown) => ({ main: main as any });

test("success strips the status; error carries code, params and status", async () => {
  assert.deepEqual(await runServer(server(() => ({ status: "success", a: 1 })), null), { status: "success", output: { a: 1 } });
  const refused = await runServer(server(() => ({ status: "error", errorCode: "x.no", errorParams: { n: 2 }, httpStatus: 422 })), null);
  assert.deepEqual(refused, { status: "error", errorCode: "x.no", errorParams: [{ key: "n", value: 2 }], httpStatus: 422 });
});

test("a response without a valid status or code is an invalid server response", async () => {
  for (const response of [undefined, 5, [], { value: 1 }, { status: "ok" }, { status: "error" }, { status: "error", errorCode: " " }]) {
    const result = await runServer(server(() => response), null);
    assert.equal(result.status === "error" && result.errorCode, "sync.invalidServerResponse", JSON.stringify(response));
  }
});

test("a thrown SyncError is a refusal; anything else is logged and sync.serverExecutionFailed", async () => {
  const host = new FakeHost();
  const refused = await runServer(server(() => { throw new SyncError("x.deep", [{ key: "k", value: "v" }], 409); }), null, { host });
  assert.deepEqual(refused, { status: "error", errorCode: "x.deep", errorParams: [{ key: "k", value: "v" }], httpStatus: 409 });
  const crashed = await runServer(server(() => (null as any).boom()), null, { host });
  assert.equal(crashed.status === "error" && crashed.errorCode, "sync.serverExecutionFailed");
  assert.equal(crashed.status === "error" && crashed.httpStatus, 500);
  assert.match(host.logs.at(-1)!.message, /TypeError/);
  const rejected = await runServer(server(async () => { throw new RangeError("late"); }), null, { host });
  assert.equal(rejected.status === "error" && rejected.errorCode, "sync.serverExecutionFailed");
});

test("an async main settles through a chain of awaits", async () => {
  const result = await runServer(server(async ({ clientInput }) => {
    let total = 0;
    for (let n = 0; n < 50; n++) total += await Promise.resolve(clientInput.step);
    return { status: "success", total };
  }), { step: 2 });
  assert.deepEqual(result, { status: "success", output: { total: 100 } });
});

test("a promise that never settles is plugin.asyncNotSettled, not a hang", async () => {
  const result = await runServer(server(() => new Promise(() => {})), null);
  assert.equal(result.status === "error" && result.errorCode, "plugin.asyncNotSettled");
});

test("a denied capability throws plugin.hostCallFailed with its reason", async () => {
  const host = new FakeHost().deny("kv");
  const result = await runServer(server(({ functions }) => ({ status: "success", n: functions.kv.incr("n", 1) })), null, { host });
  assert.deepEqual(result, { status: "error", errorCode: "plugin.hostCallFailed", errorParams: [{ key: "reason", value: "notGranted" }], httpStatus: 500 });
});

test("kv values survive calls; incr on a non-counter is wrongType", async () => {
  const host = new FakeHost();
  const add = server(({ clientInput, functions }) => ({ status: "success", value: functions.kv.incr("c", clientInput) }));
  assert.deepEqual(await runServer(add, 5, { host }), { status: "success", output: { value: 5 } });
  assert.deepEqual(await runServer(add, -2, { host }), { status: "success", output: { value: 3 } });
  host.kv.set("c", new Uint8Array([0xa1, 0x78]));
  const wrong = await runServer(add, 1, { host });
  assert.deepEqual(wrong.status === "error" && wrong.errorParams, [{ key: "reason", value: "wrongType" }]);
});

test("the client stage answers once per recipient, in order, with delivered outputs decoded", async () => {
  const seen: string[] = [];
  const module = {
    main: ({ user, serverOutput }: any) => {
      seen.push(user?.id ?? "anonymous");
      if (user === null) return { status: "success" };
      if (user.id === "bad") throw new Error("boom");
      if (user.team === "blue") return { status: "error", errorCode: "sync.ignore" };
      if (user.id === "no") return { status: "error", errorCode: "x.no" };
      return { status: "success", to: user.id, value: serverOutput.v };
    },
  };
  const recipients = [session("ann", { team: "red" }), null, session("bob", { team: "blue" }), session("bad"), session("no"), session("cy")];
  const outcomes = await runClient(module, {}, { v: 7 }, recipients);
  assert.deepEqual(seen, ["ann", "anonymous", "bob", "bad", "no", "cy"]);
  assert.deepEqual(outcomes.map((outcome) => outcome.status), ["deliver", "plain", "skip", "error", "error", "deliver"]);
  assert.deepEqual(outcomes[0], { status: "deliver", output: { to: "ann", value: 7 } });
  assert.equal(outcomes[3].status === "error" && outcomes[3].errorCode, "sync.clientExecutionFailed");
  assert.equal(outcomes[4].status === "error" && outcomes[4].errorCode, "x.no");
  assert.deepEqual(outcomes[5], { status: "deliver", output: { to: "cy", value: 7 } });
});

test("an async client main runs recipients one after another and every one settles", async () => {
  const order: string[] = [];
  const module = {
    main: async ({ user }: any) => {
      order.push(`start ${user.id}`);
      await Promise.resolve();
      order.push(`end ${user.id}`);
      return user.id === "b" ? new Promise(() => {}) : { status: "success", id: user.id };
    },
  };
  const outcomes = await runClient(module, {}, undefined, [session("a"), session("b"), session("c")]);
  assert.deepEqual(order, ["start a", "end a", "start b", "end b"]);
  assert.deepEqual(outcomes[0], { status: "deliver", output: { id: "a" } });
  assert.equal(outcomes[1].status === "error" && outcomes[1].errorCode, "plugin.asyncNotSettled");
  assert.equal(outcomes[2].status === "error" && outcomes[2].errorCode, "plugin.asyncNotSettled");
});

test("undecodable client input fails every recipient alike", async () => {
  // A string where the handler expects an object is still valid MessagePack: the handler decides.
  // Raw garbage is what the host never sends, but the SDK must still answer per recipient.
  const { runClient: raw } = await import("../src/stage.ts");
  const host = new FakeHost();
  const result = await raw({ main: () => ({ status: "success" }) }, host.backend, host.functions, new Uint8Array([0xc1]), undefined, "r", [null, null]);
  assert.equal(result.outcomes.length, 2);
  for (const outcome of result.outcomes) assert.equal(outcome.kind === "error" && outcome.error.code, "sync.invalidInputType");
});
