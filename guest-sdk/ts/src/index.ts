// synchost-sdk for TypeScript: write a sync handler the way the seed does, as a file
// `<page>/_sync/<name>_<server|client>_v<n>.ts` exporting `main` (and `auth` for a server stage),
// or a room's join handler as `<page>/_sync/<name>_join_v<n>.ts`, and the build turns it into a
// sandboxed component. A handler needs only the types from here;
// `SyncError` is for refusing from deep inside helper functions.

export type {
  AuthCondition,
  AuthProps,
  ClientParams,
  ConfigFunctions,
  ErrorParam,
  Functions,
  JoinParams,
  JoinResponse,
  KvFunctions,
  LogFunctions,
  MaybePromise,
  RoomFunctions,
  Scalar,
  ServerParams,
  SessionLayout,
  SyncClientInput,
  SyncClientResponse,
  SyncErrorResponse,
  SyncServerOutput,
  SyncServerResponse,
} from "./types.js";
export {
  ASYNC_NOT_SETTLED,
  CLIENT_EXECUTION_FAILED,
  HOST_CALL_FAILED,
  IGNORE,
  INVALID_CLIENT_RESPONSE,
  INVALID_INPUT,
  INVALID_SERVER_RESPONSE,
  JOIN_HANDLER_FAILED,
  SERVER_EXECUTION_FAILED,
  SyncError,
} from "./errors.js";
