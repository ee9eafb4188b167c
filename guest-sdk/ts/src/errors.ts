// `SyncError`, a refusal a handler may throw instead of returning `{status: "error"}`, and the
// codes the SDK itself answers with. The codes are the host's vocabulary (each has an English and
// a Dutch message in locales/); the SDK never writes a sentence for users.

import type { ErrorParam, Scalar } from "./types.js";

/** The client input does not decode. */
export const INVALID_INPUT = "sync.invalidInputType";
/** A server stage returned something that is not a valid response. */
export const INVALID_SERVER_RESPONSE = "sync.invalidServerResponse";
/** A client stage returned something that is not a valid response. */
export const INVALID_CLIENT_RESPONSE = "sync.invalidClientResponse";
/** A server stage threw something other than a `SyncError`. */
export const SERVER_EXECUTION_FAILED = "sync.serverExecutionFailed";
/** A client stage threw something other than a `SyncError` (for that recipient only). */
export const CLIENT_EXECUTION_FAILED = "sync.clientExecutionFailed";
/** A join handler threw something other than a `SyncError`, or answered something invalid. */
export const JOIN_HANDLER_FAILED = "room.joinHandlerFailed";
/** An async `main` whose promise was still pending when no work was left to run. */
export const ASYNC_NOT_SETTLED = "plugin.asyncNotSettled";
/** A capability call failed; param `reason`. */
export const HOST_CALL_FAILED = "plugin.hostCallFailed";
/** The seed's convention for "do not send this recipient anything" in a client stage. */
export const IGNORE = "sync.ignore";

/** A handler's refusal as the host receives it. */
export interface HandlerError {
  code: string;
  params: ErrorParam[];
  httpStatus?: number;
}

/** A refusal thrown from anywhere in a handler; the caller (or recipient) gets its code. */
export class SyncError extends Error {
  readonly code: string;
  readonly params: ErrorParam[];
  readonly httpStatus?: number;

  constructor(code: string, params: ErrorParam[] | Record<string, Scalar> = [], httpStatus?: number) {
    super(code);
    this.name = "SyncError";
    this.code = code;
    this.params = paramList(params);
    this.httpStatus = httpStatus;
  }

  toHandlerError(): HandlerError {
    return { code: this.code, params: this.params, httpStatus: this.httpStatus };
  }
}

/** Params as a list, whichever of the two accepted forms they came in; other values are dropped. */
export function paramList(params: unknown): ErrorParam[] {
  if (Array.isArray(params)) {
    return params.filter(
      (param): param is ErrorParam =>
        typeof param === "object" && param !== null && typeof param.key === "string" && isScalar(param.value),
    );
  }
  if (typeof params === "object" && params !== null) {
    return Object.entries(params)
      .filter(([, value]) => isScalar(value))
      .map(([key, value]) => ({ key, value: value as Scalar }));
  }
  return [];
}

function isScalar(value: unknown): value is Scalar {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

/** A handler error with one `message` param. */
export function failure(code: string, message: string, httpStatus?: number): HandlerError {
  return { code, params: [{ key: "message", value: message }], httpStatus };
}
