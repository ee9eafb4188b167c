// Runs an author's `main` the way the host calls a stage: MessagePack in, MessagePack out, every
// failure a code. The component exports and the native test harness both go through these two
// functions, so a test under Node exercises the same decoding, batching and encoding as the
// deployed component. A `main` that returns a promise gets it settled here: the work continues in
// the job queue, and the result is a promise the caller returns from the export (the engine runs
// its event loop until that promise settles, which is within the call since the host gives a
// handler no I/O to wait on). A promise still pending once every job has run is answered with
// `plugin.asyncNotSettled` instead of hanging or trapping.

import {
  ASYNC_NOT_SETTLED,
  CLIENT_EXECUTION_FAILED,
  IGNORE,
  INVALID_CLIENT_RESPONSE,
  INVALID_INPUT,
  INVALID_SERVER_RESPONSE,
  JOIN_HANDLER_FAILED,
  SERVER_EXECUTION_FAILED,
  SyncError,
  failure,
  paramList,
  type HandlerError,
} from "./errors.js";
import type { Backend } from "./backend.js";
import { CodecError, Writer, decode, encodeFields } from "./msgpack.js";
import type { AuthProps, ClientParams, Functions, JoinParams, MaybePromise, ServerParams, SessionLayout } from "./types.js";

/** What a server handler file exports. */
export interface ServerModule {
  auth?: AuthProps;
  main(params: ServerParams<any>): MaybePromise<unknown>;
}

/** What a client handler file exports. */
export interface ClientModule {
  /** Who may call a client-only sync (a client stage with a server stage defers to the server's). */
  auth?: AuthProps;
  main(params: ClientParams<any, any>): MaybePromise<unknown>;
}

/** What a join handler file exports. */
export interface JoinModule {
  /** Who may be asked at all: checked by the host before `main` runs. */
  auth?: AuthProps;
  main(params: JoinParams): MaybePromise<unknown>;
}

export type ServerResult = { ok: Uint8Array } | { error: HandlerError };

/** A join handler's decision: `ok` lets the joiner in. */
export type JoinResult = { ok: true } | { error: HandlerError };

/** One recipient's outcome; `deliver` points into the batch's output buffer. */
export type ClientOutcome =
  | { kind: "deliver"; start: number; len: number }
  | { kind: "plain" }
  | { kind: "skip" }
  | { kind: "error"; error: HandlerError };

export interface ClientResult {
  data: Uint8Array;
  outcomes: ClientOutcome[];
}

/** Runs the server stage once. */
export function runServer(
  module: ServerModule,
  backend: Backend,
  functions: Functions,
  input: Uint8Array,
  user: SessionLayout | null,
  roomCode: string,
): MaybePromise<ServerResult> {
  let clientInput: unknown;
  try {
    clientInput = decode(input);
  } catch (error) {
    return { error: failure(INVALID_INPUT, messageOf(error)) };
  }
  const answer = (response: unknown): ServerResult => serverAnswer(response);
  const thrown = (error: unknown): ServerResult => ({ error: caught(error, SERVER_EXECUTION_FAILED, backend) });
  let response: unknown;
  try {
    response = module.main({ clientInput, user, functions, roomCode });
  } catch (error) {
    return thrown(error);
  }
  if (!isThenable(response)) return answer(response);
  return settle(Promise.resolve(response).then(answer, thrown), () => ({ error: notSettled() }));
}

/**
 * Runs a join handler once. Its refusals are its own; anything it throws other than a
 * `SyncError`, and any answer that is not a response, is `room.joinHandlerFailed` (500, param
 * `room`), so a broken handler never lets anyone in.
 */
export function runJoin(
  module: JoinModule,
  backend: Backend,
  functions: Functions,
  user: SessionLayout | null,
  roomCode: string,
): MaybePromise<JoinResult> {
  const failed = (error: HandlerError): JoinResult => ({
    error:
      error.code === JOIN_HANDLER_FAILED
        ? { code: error.code, params: [{ key: "room", value: roomCode }, ...error.params], httpStatus: 500 }
        : error,
  });
  const answer = (response: unknown): JoinResult => {
    const reply = classify(response, JOIN_HANDLER_FAILED);
    return "error" in reply ? failed(reply.error) : { ok: true };
  };
  const thrown = (error: unknown): JoinResult => failed(caught(error, JOIN_HANDLER_FAILED, backend));
  let response: unknown;
  try {
    response = module.main({ user, functions, roomCode });
  } catch (error) {
    return thrown(error);
  }
  if (!isThenable(response)) return answer(response);
  return settle(Promise.resolve(response).then(answer, thrown), () => ({ error: notSettled() }));
}

function serverAnswer(response: unknown): ServerResult {
  const reply = classify(response, INVALID_SERVER_RESPONSE);
  if ("error" in reply) return reply;
  try {
    return { ok: encodeFields(reply.output, "status") };
  } catch (error) {
    return { error: failure(INVALID_SERVER_RESPONSE, messageOf(error)) };
  }
}

/**
 * Runs the client stage for every recipient, in order, writing delivered outputs back to back
 * into one buffer. Always exactly one outcome per recipient.
 */
export function runClient(
  module: ClientModule,
  backend: Backend,
  functions: Functions,
  input: Uint8Array,
  serverOutput: Uint8Array | undefined,
  roomCode: string,
  recipients: ReadonlyArray<SessionLayout | null>,
): MaybePromise<ClientResult> {
  const count = recipients.length;
  const writer = new Writer();
  const outcomes: ClientOutcome[] = [];
  const all = (error: HandlerError): ClientResult => ({
    data: new Uint8Array(0),
    outcomes: Array.from({ length: count }, () => ({ kind: "error", error }) as const),
  });
  let clientInput: unknown;
  let decodedOutput: unknown = null;
  try {
    clientInput = decode(input);
  } catch (error) {
    return all(failure(INVALID_INPUT, messageOf(error)));
  }
  if (serverOutput !== undefined) {
    try {
      decodedOutput = decode(serverOutput);
    } catch (error) {
      return all(failure(INVALID_SERVER_RESPONSE, messageOf(error)));
    }
  }
  const record = (response: unknown): void => {
    outcomes.push(clientOutcome(response, writer));
  };
  const thrown = (error: unknown): void => {
    outcomes.push({ kind: "error", error: caught(error, CLIENT_EXECUTION_FAILED, backend) });
  };
  // Recipients run one after another, as the seed's loop awaits each; once a `main` returns a
  // promise the rest of the batch continues after it settles.
  const loop = (from: number): MaybePromise<ClientResult> => {
    for (let index = from; index < count; index++) {
      let response: unknown;
      try {
        response = module.main({
          clientInput,
          serverOutput: decodedOutput,
          user: recipients[index],
          functions,
          roomCode,
        });
      } catch (error) {
        thrown(error);
        continue;
      }
      if (isThenable(response)) {
        return Promise.resolve(response).then(record, thrown).then(() => loop(index + 1));
      }
      outcomes.push(clientOutcome(response, writer));
    }
    return { data: writer.finish(), outcomes };
  };
  const result = loop(0);
  if (!isThenable(result)) return result;
  return settle(result, () => {
    // Recipients that were answered keep their outcomes; the rest get the code.
    const error = notSettled();
    while (outcomes.length < count) outcomes.push({ kind: "error", error });
    return { data: writer.finish(), outcomes: outcomes.slice(0, count) };
  });
}

function clientOutcome(response: unknown, writer: Writer): ClientOutcome {
  const reply = classify(response, INVALID_CLIENT_RESPONSE);
  if ("error" in reply) {
    return reply.error.code === IGNORE ? { kind: "skip" } : { kind: "error", error: reply.error };
  }
  const start = writer.length;
  try {
    // `success` alone (no field but the status, or only undefined ones) delivers the server output.
    if (writer.fields(reply.output, "status", 0) === 0) {
      writer.length = start;
      return { kind: "plain" };
    }
  } catch (error) {
    writer.length = start;
    return { kind: "error", error: failure(INVALID_CLIENT_RESPONSE, messageOf(error)) };
  }
  return { kind: "deliver", start, len: writer.length - start };
}

/** A success's `output` is the handler's answer itself, written without its `status`. */
type Reply = { output: Record<string, unknown> } | { error: HandlerError };

/** `{status: "success", ...output}` or `{status: "error", errorCode, ...}`; anything else is `invalid`. */
function classify(response: unknown, invalid: string): Reply {
  if (typeof response !== "object" || response === null || Array.isArray(response)) {
    return { error: failure(invalid, `expected an object with a status, got ${describe(response)}`) };
  }
  // No copy of the answer (an object rest costs as much as encoding it, inside a component).
  const answer = response as Record<string, unknown>;
  const status = answer.status;
  if (status === "success") return { output: answer };
  if (status === "error") {
    const { errorCode, errorParams, httpStatus } = answer;
    if (typeof errorCode !== "string" || errorCode.trim() === "") {
      return { error: failure(invalid, "an error response needs an errorCode") };
    }
    return {
      error: {
        code: errorCode.trim(),
        params: paramList(errorParams),
        httpStatus: httpStatusOf(httpStatus),
      },
    };
  }
  return { error: failure(invalid, `status must be "success" or "error", got ${describe(status)}`) };
}

function httpStatusOf(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value >= 100 && value <= 599 ? value : undefined;
}

/** A thrown `SyncError` is a refusal; anything else is a bug, logged and answered with `code`. */
function caught(error: unknown, code: string, backend: Backend): HandlerError {
  if (error instanceof SyncError) return error.toHandlerError();
  const detail = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ""}` : describe(error);
  try {
    backend.log("error", `main threw ${detail.trimEnd()}`);
  } catch {
    // logging is best effort
  }
  return { code, params: [], httpStatus: 500 };
}

function notSettled(): HandlerError {
  return { code: ASYNC_NOT_SETTLED, params: [], httpStatus: 500 };
}

/**
 * `promise`, or `onPending()` when it is still pending after every queued job has run. The check
 * is a zero-delay timer: it fires only once the job queue is empty, so a `main` that awaits only
 * other promises always settles first.
 */
function settle<T>(promise: Promise<T>, onPending: () => T): Promise<T> {
  return new Promise<T>((resolve) => {
    let done = false;
    promise.then((value) => {
      done = true;
      resolve(value);
    });
    const check = (): void => {
      if (!done) resolve(onPending());
    };
    setTimeout(check, 0);
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown })?.then === "function";
}

function messageOf(error: unknown): string {
  return error instanceof CodecError || error instanceof Error ? error.message : String(error);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? JSON.stringify(value) : typeof value;
}
