// `examples-ts/teamMessage` v1, server stage: the TypeScript twin of
// `examples/teamMessage_server_v1` — a chat line for one team. Uses operator config (`maxLength`,
// default 280 characters; capability `config`) and reports how many connections the room has
// (capability `rooms`). The client stage decides who receives it.
import type { AuthProps, Functions, SessionLayout, SyncServerResponse } from "synchost-sdk";

/** Message length limit when the operator sets none. */
const DEFAULT_MAX_LENGTH = 280;

export const auth: AuthProps = { login: true, additional: [] };

export interface SyncParams {
  clientInput: {
    /** The team the message is for. */
    team: string;
    /** The message. */
    text: string;
  };
  user: SessionLayout;
  functions: Functions;
  roomCode: string;
}

/** The configured length limit; an unparsable value is an operator error worth a log line. */
function maxLength(functions: Functions): number {
  const configured = functions.config.get("maxLength");
  if (configured === null) return DEFAULT_MAX_LENGTH;
  const parsed = Number(configured.trim());
  if (!Number.isInteger(parsed) || parsed < 0) {
    functions.log.warn(`config maxLength ${JSON.stringify(configured)} is not a number; using the default`);
    return DEFAULT_MAX_LENGTH;
  }
  return parsed;
}

export const main = async ({
  clientInput,
  user,
  functions,
  roomCode,
}: SyncParams): Promise<SyncServerResponse<{ team: string; text: string; sentBy: string; roomSize: number }>> => {
  if (typeof clientInput?.team !== "string" || typeof clientInput.text !== "string") {
    return { status: "error", errorCode: "sync.invalidInputType", errorParams: { message: "team and text must be strings" } };
  }
  const text = clientInput.text.trim();
  if (text === "") return { status: "error", errorCode: "examples.emptyMessage" };
  const max = maxLength(functions);
  const length = [...text].length;
  if (length > max) {
    return { status: "error", errorCode: "examples.messageTooLong", errorParams: { length, max } };
  }
  return {
    status: "success",
    team: clientInput.team,
    text,
    sentBy: user.id,
    roomSize: functions.rooms.size(roomCode),
  };
};
