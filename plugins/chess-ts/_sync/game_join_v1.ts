// `chess-ts/game` v1, join handler: the TypeScript twin of `chess/_sync/game_join_v1` — who may be
// in a chess game's room.
//
// A game's room is named `chess:<white>:<black>` after its two players' user ids. The two players
// may always join; anyone else only once a player invited them (the `chess-ts/invite` sync stores
// the invitation in the page's kv store, capability `kv`). Anonymous connections never get in: the
// handler's auth requires a login, so the host refuses them before it runs.
//
// Operators attach it to game rooms in `[rooms]`:
//
//   [[rooms.policy]]
//   pattern = "chess:*"
//   login = true
//   join = "chess-ts/game@v1"
//
//   [plugins.routes."chess-ts/game".join]
//   capabilities = ["kv"]
import type { AuthProps, JoinParams, JoinResponse } from "synchost-sdk";
import { invitationKey, players } from "./rules.ts";

export const auth: AuthProps = { login: true, additional: [] };

export const main = ({ user, functions, roomCode }: JoinParams): JoinResponse => {
  const game = players(roomCode);
  if (game === undefined) {
    return { status: "error", errorCode: "chess.notAGame", errorParams: { room: roomCode }, httpStatus: 404 };
  }
  const id = user?.id ?? "";
  if (id === game.white || id === game.black) return { status: "success" };
  if (functions.kv.get<string>(invitationKey(roomCode, id)) !== null) return { status: "success" };
  return { status: "error", errorCode: "chess.notInvited", errorParams: { room: roomCode }, httpStatus: 403 };
};
