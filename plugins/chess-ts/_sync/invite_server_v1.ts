// `chess-ts/invite` v1, server stage: the TypeScript twin of `chess/_sync/invite_server_v1` — a
// player of a game invites a spectator into the game's room.
//
// Sent to the game room `chess:<white>:<black>` by one of its two players, with input `{user}`. It
// records the invitation in the page's kv store (capability `kv`), where the room's join handler
// (`chess-ts/game`) finds it, and tells the room who was invited by whom.
import type { AuthProps, Functions, SessionLayout, SyncServerResponse } from "synchost-sdk";
import { invitationKey, players } from "./rules.ts";

export const auth: AuthProps = { login: true, additional: [] };

export interface SyncParams {
  clientInput: {
    /** The user id of the spectator to let in. */
    user: string;
  };
  user: SessionLayout | null;
  functions: Functions;
  roomCode: string;
}

export const main = ({ clientInput, user, functions, roomCode }: SyncParams): SyncServerResponse<{ invited: string; invitedBy: string }> => {
  if (typeof clientInput?.user !== "string" || clientInput.user === "") {
    return { status: "error", errorCode: "sync.invalidInputType", errorParams: { message: "user must be a user id" } };
  }
  const game = players(roomCode);
  if (game === undefined) {
    return { status: "error", errorCode: "chess.notAGame", errorParams: { room: roomCode }, httpStatus: 404 };
  }
  const caller = user?.id ?? "";
  if (caller !== game.white && caller !== game.black) {
    return { status: "error", errorCode: "chess.onlyPlayersInvite", errorParams: { room: roomCode }, httpStatus: 403 };
  }
  functions.kv.set(invitationKey(roomCode, clientInput.user), caller);
  return { status: "success", invited: clientInput.user, invitedBy: caller };
};
