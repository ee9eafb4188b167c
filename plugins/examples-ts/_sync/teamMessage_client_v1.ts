// `examples-ts/teamMessage` v1, client stage: the message reaches recipients whose `team` claim
// equals the message's team, and every admin; anonymous recipients and other teams get nothing
// (the seed's `sync.ignore` code skips a recipient).
import type { Functions, SessionLayout, SyncClientResponse } from "synchost-sdk";

export interface SyncParams {
  clientInput: { team: string; text: string };
  serverOutput: { sentBy: string };
  user: SessionLayout | null;
  functions: Functions;
  roomCode: string;
}

export const main = async ({ clientInput, user }: SyncParams): Promise<SyncClientResponse> => {
  if (user && (user.admin || user.team === clientInput.team)) return { status: "success" };
  return { status: "error", errorCode: "sync.ignore" };
};
