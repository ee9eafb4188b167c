// `examples-ts/updateCounter` v1, client stage: every recipient gets the server output;
// logged-in recipients also get `{receivedBy: <their id>}`.
import type { Functions, SessionLayout, SyncClientResponse } from "synchost-sdk";

export interface SyncParams {
  clientInput: { amount: number };
  serverOutput: { newValue: number };
  user: SessionLayout | null;
  functions: Functions;
  roomCode: string;
}

export const main = ({ user }: SyncParams): SyncClientResponse<{ receivedBy?: string }> =>
  user ? { status: "success", receivedBy: user.id } : { status: "success" };
