// `examples-ts/durableCounter` v1, server stage: the TypeScript twin of
// `examples/durableCounter_server_v1` — a counter that survives restarts, kept in the host's kv
// store (capability `kv`). Input `{amount}`, output `{value}` after adding.
import type { AuthProps, Functions, SessionLayout, SyncServerResponse } from "synchost-sdk";

/** The kv key of the counter (the host namespaces keys per page). */
const COUNTER_KEY = "counter";

export const auth: AuthProps = { login: false, additional: [] };

export interface SyncParams {
  clientInput: {
    /** How much to add (may be negative). */
    amount: number;
  };
  user: SessionLayout | null;
  functions: Functions;
  roomCode: string;
}

export const main = async ({ clientInput, functions }: SyncParams): Promise<SyncServerResponse<{ value: number }>> => {
  if (!Number.isInteger(clientInput?.amount)) {
    return { status: "error", errorCode: "sync.invalidInputType", errorParams: { message: "amount must be an integer" } };
  }
  const value = functions.kv.incr(COUNTER_KEY, clientInput.amount);
  functions.log.debug(`counter is now ${value}`);
  return { status: "success", value };
};
