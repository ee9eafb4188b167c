/**
 * The error envelopes the client makes itself, and the reading of envelopes the host sends.
 *
 * Client-made errors use the same shape as the host's so callers handle one type. The client has
 * no message catalog: `message` is the code, and apps localize by `errorCode`. Host envelopes are
 * passed on unchanged; this module must never rewrite a well-formed one.
 */
import type { ErrorParam, RoomsResponse, SyncError, SyncResponse } from "./types.js";

/** Builds a client-made error envelope. */
export function clientError(errorCode: string, httpStatus: number, errorParams?: ErrorParam[]): SyncError {
  const error: SyncError = { status: "error", errorCode, httpStatus, message: errorCode };
  if (errorParams && errorParams.length > 0) error.errorParams = errorParams;
  return error;
}

/** The codes the client produces without asking the host. */
export const codes = {
  invalidName: "sync.invalidName",
  missingReceiver: "sync.missingReceiver",
  requestTimeout: "sync.requestTimeout",
  connectionLost: "sync.connectionLost",
  invalidRequest: "sync.invalidRequest",
  invalidServerResponse: "sync.invalidServerResponse",
  aborted: "request.aborted",
  queueFull: "offline.queueFull",
  dropped: "offline.dropped",
} as const;

/** `request.aborted`. */
export const abortedError = (): SyncError => clientError(codes.aborted, 499);

/** `sync.requestTimeout`, with the timeout that elapsed. */
export const timeoutError = (ms: number): SyncError => clientError(codes.requestTimeout, 504, [{ key: "ms", value: ms }]);

/** `sync.connectionLost`: the socket closed before the answer came; the host may or may not have run it. */
export const connectionLostError = (): SyncError => clientError(codes.connectionLost, 503);

/** `offline.dropped` with its reason (`queue-full`, `expired` or `closed`). */
export const droppedError = (reason: string): SyncError => clientError(codes.dropped, 503, [{ key: "reason", value: reason }]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isHostError(value: Record<string, unknown>): boolean {
  return value.status === "error" && typeof value.errorCode === "string";
}

/** Reads a `sync` ack: a host envelope as it came, or `sync.invalidServerResponse`. */
export function readSyncReply(reply: unknown): SyncResponse<unknown> {
  if (isRecord(reply)) {
    if (reply.status === "success") {
      return "result" in reply ? (reply as SyncResponse<unknown>) : { ...reply, status: "success", result: null };
    }
    if (isHostError(reply)) {
      return typeof reply.message === "string" ? (reply as SyncError) : { ...(reply as SyncError), message: String(reply.errorCode) };
    }
  }
  return clientError(codes.invalidServerResponse, 502);
}

/** Reads a room event ack: `{ status: "success", rooms }`, a host error, or `sync.invalidServerResponse`. */
export function readRoomsReply(reply: unknown): RoomsResponse {
  if (isRecord(reply)) {
    if (reply.status === "success" && Array.isArray(reply.rooms) && reply.rooms.every((r) => typeof r === "string")) {
      return reply as RoomsResponse;
    }
    if (isHostError(reply)) {
      return typeof reply.message === "string" ? (reply as SyncError) : { ...(reply as SyncError), message: String(reply.errorCode) };
    }
  }
  return clientError(codes.invalidServerResponse, 502);
}

/** Checks name, version and receiver before anything is sent or queued; `null` when they are fine. */
export function checkRequest(name: unknown, version: unknown, receiver: unknown): SyncError | null {
  const nameOk =
    typeof name === "string" && !name.startsWith("sync/") && name.split("/").length >= 2 && name.split("/").every((s) => s.trim() !== "");
  const versionOk = typeof version === "string" && /^v[0-9]+$/.test(version);
  if (!nameOk || !versionOk) {
    const shown = typeof name === "string" ? `${name}/${String(version)}` : String(name);
    return clientError(codes.invalidName, 400, [{ key: "name", value: shown }]);
  }
  if (typeof receiver !== "string" || receiver.trim() === "") return clientError(codes.missingReceiver, 400);
  return null;
}
