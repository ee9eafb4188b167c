// Token renewal on a fake socket and clock: when the client asks `getToken`, what it sends, what a
// success changes (the CONNECT payload for later reconnects, the next renewal's time), retries after
// a failure, the host's sessionExpired, and close.
import assert from "node:assert/strict";
import { test } from "node:test";
import { tokenExpiry } from "synchost-client";
import { fakeClient, settle } from "./fakes.js";

/** An unsigned token whose payload has `exp` (seconds); the client never checks signatures. */
function token(expSeconds: number, sub = "u"): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${encode({ alg: "HS256" })}.${encode({ sub, exp: expSeconds })}.signature`;
}

test("tokenExpiry reads exp from the payload, and nothing from a token without one", () => {
  assert.equal(tokenExpiry(token(1234)), 1_234_000);
  assert.equal(tokenExpiry("not-a-token"), undefined);
  assert.equal(tokenExpiry(`a.${Buffer.from("{}").toString("base64url")}.c`), undefined);
});

test("the token is renewed renewBeforeMs before it expires, then from each new token; failures retry; sessionExpired renews at once; close stops", async () => {
  let next = 0;
  const { client, socket, clock } = fakeClient({
    token: token(1_000 + 60),
    getToken: () => token(1_000 + 60 + 600 * ++next),
    renewBeforeMs: 10_000,
  });
  // The fake clock starts at 1,000,000 ms (1,000 s): the first token expires at 1,060 s.
  clock.advance(49_999);
  await settle();
  assert.equal(socket.sentOf("renew").length, 0, "renewed too early");
  clock.advance(1);
  await settle();
  const [first] = socket.sentOf("renew");
  assert.equal(first?.args[0], token(1_660));
  first?.ack?.({ status: "success", expiresAt: 1_660 });
  await settle();
  assert.deepEqual(socket.auth, { token: token(1_660) });

  // The next renewal is planned from the new token; a failed answer is retried 5 s later.
  clock.advance(600_000);
  await settle();
  const [, second] = socket.sentOf("renew");
  assert.equal(second?.args[0], token(2_260));
  second?.ack?.({ status: "error", errorCode: "sync.stateUnavailable" });
  await settle();
  clock.advance(5_000);
  await settle();
  assert.equal(socket.sentOf("renew").length, 3);
  socket.sentOf("renew")[2]?.ack?.({ status: "success" });
  await settle();

  // The host ending the session makes it renew at once.
  socket.receive("sessionExpired", { status: "error", errorCode: "auth.sessionExpired" });
  await settle();
  assert.equal(socket.sentOf("renew").length, 4);
  socket.sentOf("renew")[3]?.ack?.({ status: "success" });
  await settle();

  // After close nothing more is asked.
  client.close();
  clock.advance(10_000_000);
  socket.receive("sessionExpired", {});
  await settle();
  assert.equal(socket.sentOf("renew").length, 4);
});

test("a token for another user is not retried", async () => {
  const { socket, clock } = fakeClient({ token: token(1_000 + 20), getToken: () => token(9_999, "other"), renewBeforeMs: 10_000 });
  clock.advance(10_000);
  await settle();
  socket.sentOf("renew")[0]?.ack?.({ status: "error", errorCode: "auth.renewOtherUser" });
  await settle();
  clock.advance(60_000);
  await settle();
  assert.equal(socket.sentOf("renew").length, 1);
});
