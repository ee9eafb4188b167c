/**
 * The type contract between the client and a project's generated route map.
 *
 * A project's `apiTypes.generated.ts` augments {@link Register} with its `SyncTypeMap`; every
 * other type here reads routes through that one slot, so a wrong name, version or `data` becomes a
 * compile error. Without the augmentation everything falls back to loose types. This file must
 * never contain runtime code: it is imported by generated files and type tests alone.
 */

/** The three payload types of one sync version. */
export interface SyncRoute {
  /** What the sender passes as `data`. */
  clientInput: unknown;
  /** What the server stage returns (the ack's `result`, the frames' `serverOutput`). */
  serverOutput: unknown;
  /** What the client stage returns for one recipient (the frames' `clientOutput`). */
  clientOutput: unknown;
}

/**
 * Augmented by `apiTypes.generated.ts`:
 * `declare module "synchost-client" { interface Register { syncTypes: SyncTypeMap } }`
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface Register {}

/** The route map: the registered one, or a loose map when no project types are registered. */
export type SyncTypes = Register extends { syncTypes: infer T } ? T : Record<string, Record<string, SyncRoute>>;

/** A sync name such as `"examples/updateCounter"`. */
export type SyncName = keyof SyncTypes & string;

/** The versions of sync `N`, such as `"v1"`. */
export type SyncVersion<N extends SyncName> = keyof SyncTypes[N] & string;

/** The route entry of name `N`, version `V` (`never` when either is unknown). */
type RouteOf<N, V> = N extends keyof SyncTypes ? (V extends keyof SyncTypes[N] ? SyncTypes[N][V] : never) : never;

/** The `data` type of a route. */
export type ClientInput<N, V> = RouteOf<N, V> extends { clientInput: infer T } ? T : unknown;

/** The server stage's output of a route (`result` of the ack, `serverOutput` of frames). */
export type ServerOutput<N, V> = RouteOf<N, V> extends { serverOutput: infer T } ? T : unknown;

/** The client stage's output of a route (`clientOutput` of frames). */
export type ClientOutput<N, V> = RouteOf<N, V> extends { clientOutput: infer T } ? T : unknown;

/** One error parameter, as the server sends it. */
export type ErrorParam = { key: string; value: string | number | boolean | null };

/** A successful answer. */
export type SyncSuccess<T> = { status: "success"; result: T; message?: string };

/** A refused or failed request: a code, its params, an HTTP-like status and a localized message. */
export type SyncError = {
  status: "error";
  errorCode: string;
  errorParams?: ErrorParam[];
  httpStatus?: number;
  message: string;
};

/** The answer to one `syncRequest`. */
export type SyncResponse<T> = SyncSuccess<T> | SyncError;

/** The answer to `joinRoom`, `leaveRoom` and `getJoinedRooms`: the connection's rooms, sorted. */
export type RoomsResponse = { status: "success"; rooms: string[] } | SyncError;

/** What happens to a request when the offline queue is full. */
export type DropPolicy = "drop-oldest" | "drop-newest" | "reject";

/** `data` is optional exactly when `{}` is a valid input of the route. */
export type DataField<I> = {} extends I ? { data?: I } : { data: I };

/** The argument of `syncRequest` for route `N`/`V`. */
export type SyncRequest<N extends SyncName, V extends SyncVersion<N>> = {
  /** The sync name, `"<page...>/<sync>"`. */
  name: N;
  /** The version, `"v<n>"`. */
  version: V;
  /** The room that receives the frames (or `"all"` when the host allows it). */
  receiver: string;
  /** When true, none of the sender's connections get a frame. */
  ignoreSelf?: boolean;
  /** Aborting settles the request with `request.aborted` (and removes it from the offline queue). */
  signal?: AbortSignal;
  /** Overrides the client's `requestTimeoutMs` for this request (0 = none). */
  timeoutMs?: number;
  /** Overrides the client's drop policy for this request while it is queued. */
  dropPolicy?: DropPolicy;
  /** Overrides the client's queue TTL for this request. */
  ttlMs?: number;
} & DataField<ClientInput<N, V>>;

/** A success frame delivered to a room member, as a callback sees it. */
export type SyncEvent<N, V> = {
  /** The sync name. */
  name: N;
  /** The version. */
  version: V;
  /** `"sync/<name>/<version>"`, the routing key. */
  fullName: string;
  /** The server stage's output (`null` for client-only syncs). */
  serverOutput: ServerOutput<N, V>;
  /** This recipient's client stage output (`null` without one). */
  clientOutput: ClientOutput<N, V>;
};

/** An error frame: this recipient's client stage refused or failed. */
export type SyncErrorFrame = SyncError & {
  /** The sync name. */
  name: string;
  /** The version. */
  version: string;
  /** `"sync/<name>/<version>"`. */
  fullName: string;
};

/** A callback registration for one route. */
export type SyncEventEntry<N extends SyncName, V extends SyncVersion<N>> = {
  /** The sync name. */
  name: N;
  /** The version. */
  version: V;
  /** Called with every success frame of this route. */
  callback: (event: SyncEvent<N, V>) => void;
  /** Registrations with the same owner and route replace each other; without one, each call adds. */
  owner?: object;
};

/** A request waiting in the offline queue, as the queue lists it. */
export type QueuedItem = {
  /** Unique per request. */
  id: string;
  /** The sync name. */
  name: string;
  /** The version. */
  version: string;
  /** The target room. */
  receiver: string;
  /** When it was queued, in the client clock's milliseconds. */
  queuedAt: number;
};
