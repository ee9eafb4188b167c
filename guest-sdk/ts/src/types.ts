// The types a handler file is written against: the seed's names (`AuthProps`, `SessionLayout`,
// `SyncServerResponse`, `SyncClientResponse`, `Functions`) with the meanings synchost gives them.
// Types only: nothing here exists at run time, so a handler that imports only these has no SDK
// code of its own and the stage adapters supply everything.

/** A value an error param or an auth condition may hold. */
export type Scalar = string | number | boolean | null;

/** One condition on a session field; every constraint given must hold (the seed's `additional`). */
export interface AuthCondition {
  /** Session field (`id`, `name`, `email`, `language`, `admin`, `roles`) or a claim name. */
  key: string;
  /** Strict equality with this value. */
  value?: Scalar;
  /** `typeof` check, skipped when the value is null or absent. */
  type?: "string" | "number" | "boolean";
  /** `true`: must be null or absent; `false`: must be present and not null. */
  nullish?: boolean;
  /** `true`: must be falsy; `false`: must be truthy. */
  mustBeFalsy?: boolean;
}

/** Who may call a route; checked by the host before the server stage runs. */
export interface AuthProps {
  /** A logged-in session is required. */
  login: boolean;
  /** Conditions that must all hold (they imply a session). */
  additional?: AuthCondition[];
}

/**
 * A connected user's session, built by the host from verified token claims. Every claim the
 * token carries besides the fixed fields is a property too (`user.team`).
 */
export interface SessionLayout {
  id: string;
  name: string | null;
  email: string | null;
  language: string | null;
  admin: boolean;
  roles: string[];
  [claim: string]: unknown;
}

/** One named value for the translated error message. */
export interface ErrorParam {
  key: string;
  value: Scalar;
}

/** A refusal: a stable code the host translates, never a sentence. */
export interface SyncErrorResponse {
  status: "error";
  /** Dotted code, also the message id (`examples.messageTooLong` → `examples-messageTooLong`). */
  errorCode: string;
  /** Values for the message, as a list or as an object. */
  errorParams?: ErrorParam[] | Record<string, Scalar>;
  /** Overrides the HTTP status (default 400). */
  httpStatus?: number;
}

/** What a server stage returns: everything but `status` becomes the server output. */
export type SyncServerResponse<T extends object = Record<string, unknown>> =
  | ({ status: "success" } & T)
  | SyncErrorResponse;

/**
 * What a client stage returns for one recipient: `success` alone delivers the server output
 * only; `success` with fields delivers them as that recipient's client output; the error code
 * `sync.ignore` sends this recipient nothing; any other error sends it an error frame.
 */
export type SyncClientResponse<T extends object = Record<string, unknown>> =
  | ({ status: "success" } & T)
  | SyncErrorResponse;

/** Severity-named logging into the host log, tagged with the route (rate-limited). */
export interface LogFunctions {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Capability `kv`: a durable store namespaced per page. Values are stored as MessagePack. */
export interface KvFunctions {
  get<T = unknown>(key: string): T | null;
  set(key: string, value: unknown): void;
  /** Returns whether the key existed. */
  delete(key: string): boolean;
  /** Adds `delta` to the 64-bit counter at `key` (absent = 0) and returns the new value. */
  incr(key: string, delta?: number): number;
  getBytes(key: string): Uint8Array | null;
  setBytes(key: string, value: Uint8Array): void;
}

/** Capability `rooms`: read-only questions about rooms. */
export interface RoomFunctions {
  /** Connections in the room. */
  size(room: string): number;
  /** Sessions of the room's logged-in members, paged. */
  members(room: string, offset?: number, limit?: number): SessionLayout[];
}

/** Capability `config`: values the operator set for this route. */
export interface ConfigFunctions {
  get(key: string): string | null;
}

/**
 * What a handler may call. `log`, `time` and `random` always work; `kv`, `rooms` and `config`
 * work when the operator granted them and otherwise throw a `SyncError` with code
 * `plugin.hostCallFailed` and param `reason` (`notGranted`, `quotaExceeded`, ...), which
 * becomes the caller's error unless the handler catches it.
 */
export interface Functions {
  log: LogFunctions;
  time: { nowMs(): number };
  random: { bytes(length: number): Uint8Array };
  kv: KvFunctions;
  rooms: RoomFunctions;
  config: ConfigFunctions;
}

/** What a server stage's `main` receives. */
export interface ServerParams<Input = unknown> {
  clientInput: Input;
  /** The caller; null for anonymous callers (only possible when `auth.login` is false). */
  user: SessionLayout | null;
  functions: Functions;
  roomCode: string;
}

/** What a client stage's `main` receives, once per recipient. */
export interface ClientParams<Input = unknown, ServerOutput = unknown> {
  clientInput: Input;
  /** The server stage's output; null for client-only syncs. */
  serverOutput: ServerOutput;
  /** The recipient; null for anonymous recipients. */
  user: SessionLayout | null;
  functions: Functions;
  roomCode: string;
}

/** What a join handler's `main` receives: who wants to join which room. */
export interface JoinParams {
  /** The joiner; null for anonymous connections (only possible when `auth.login` is false). */
  user: SessionLayout | null;
  functions: Functions;
  /** The room asked for. */
  roomCode: string;
}

/**
 * What a join handler returns: `success` lets the joiner in; an error refuses with its code,
 * params and status (403 unless it sets `httpStatus`).
 */
export type JoinResponse = { status: "success" } | SyncErrorResponse;

/** `main` may return its answer or a promise of it; the promise must settle within the call. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * The seed imports these from its generated file to type a client stage by its server stage's
 * types. Here they are open placeholders, so a seed file builds unchanged but for its imports;
 * the route's real types reach the front end through `apiTypes.generated.ts`.
 */
export type SyncClientInput<_Page extends string = string, _Name extends string = string> = any;
export type SyncServerOutput<_Page extends string = string, _Name extends string = string> = any;
