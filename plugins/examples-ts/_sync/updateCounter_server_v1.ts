// `examples-ts/updateCounter` v1, server stage: the TypeScript twin of
// `examples/updateCounter_server_v1` — answers `{amount}` with `{newValue: amount + 1}`. Public
// (no login); it never stores anything.
import type { AuthProps, Functions, SessionLayout, SyncServerResponse } from "synchost-sdk";

export const auth: AuthProps = {
  login: false,
  additional: [],
};

export interface SyncParams {
  clientInput: {
    /** The value to add one to. */
    amount: number;
  };
  user: SessionLayout | null;
  functions: Functions;
  roomCode: string;
}

export const main = async ({ clientInput }: SyncParams): Promise<SyncServerResponse<{ newValue: number }>> => {
  const { amount } = clientInput;
  if (typeof amount !== "number" || !Number.isInteger(amount)) {
    return { status: "error", errorCode: "sync.invalidInputType", errorParams: [{ key: "message", value: "amount must be an integer" }] };
  }
  if (amount >= Number.MAX_SAFE_INTEGER) {
    return { status: "error", errorCode: "examples.amountOutOfRange", errorParams: [{ key: "amount", value: amount }] };
  }
  return { status: "success", newValue: amount + 1 };
};
