// Native tests of the TypeScript chess handlers, under Node with the SDK's fake host
// (`cd guest-sdk/ts && npm test`): the join handler lets in the two players and the spectators
// they invited through the invite stage, and nobody else.
import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeHost, runJoin, runServer, session } from "synchost-sdk/testing";
import * as game from "./game_join_v1.ts";
import * as invite from "./invite_server_v1.ts";

const ROOM = "chess:ann:bob";

test("both players may join and a stranger may not", async () => {
  const host = new FakeHost();
  assert.deepEqual(await runJoin(game, ROOM, session("ann"), { host }), { status: "success" });
  assert.deepEqual(await runJoin(game, ROOM, session("bob"), { host }), { status: "success" });
  const refused = await runJoin(game, ROOM, session("eve"), { host });
  assert.equal(refused.status === "error" && refused.errorCode, "chess.notInvited");
  assert.equal(refused.status === "error" && refused.httpStatus, 403);
});

test("a spectator a player invited may join that game only", async () => {
  const host = new FakeHost();
  const invited = await runServer(invite, { user: "eve" }, { user: session("bob"), roomCode: ROOM, host });
  assert.deepEqual(invited, { status: "success", output: { invited: "eve", invitedBy: "bob" } });
  assert.deepEqual(await runJoin(game, ROOM, session("eve"), { host }), { status: "success" });
  const other = await runJoin(game, "chess:ann:carl", session("eve"), { host });
  assert.equal(other.status === "error" && other.errorCode, "chess.notInvited");
});

test("only players invite, and rooms that name no game are refused", async () => {
  const host = new FakeHost();
  const stranger = await runServer(invite, { user: "eve" }, { user: session("carl"), roomCode: ROOM, host });
  assert.equal(stranger.status === "error" && stranger.errorCode, "chess.onlyPlayersInvite");
  for (const room of ["lobby", "chess:", "chess:ann", "chess::bob", "chess:ann:bob:x"]) {
    const refused = await runJoin(game, room, session("ann"), { host });
    assert.equal(refused.status === "error" && refused.errorCode, "chess.notAGame", room);
  }
});

test("without kv a spectator is refused with the host's error", async () => {
  const host = new FakeHost().deny("kv");
  assert.deepEqual(await runJoin(game, ROOM, session("ann"), { host }), { status: "success" });
  const refused = await runJoin(game, ROOM, session("eve"), { host });
  assert.equal(refused.status === "error" && refused.errorCode, "plugin.hostCallFailed");
});
