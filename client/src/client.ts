/**
 * `createSyncClient`: one socket, its sync requests, event callbacks, rooms and offline queue.
 *
 * Requests go straight out while the socket is connected, the browser online and nothing waits in
 * the queue; otherwise they queue and are flushed in order, one at a time, on `connect` and on the
 * window's `online` event. Rooms joined through the client are joined again after a reconnect,
 * before the queue flushes, so queued syncs still reach their room. `syncRequest` never rejects.
 */
import { io, type ManagerOptions, type Socket, type SocketOptions } from "socket.io-client";
import { CallbackRegistry, fullNameOf, type EventFrame } from "./callbacks.js";
import { systemClock, type Clock } from "./clock.js";
import { abortedError, checkRequest, clientError, codes, droppedError, readRoomsReply, readSyncReply } from "./errors.js";
import { InFlight } from "./inflight.js";
import { TokenRenewal, type GetToken } from "./renewal.js";
import { OfflineQueue, type QueueEntry } from "./queue.js";
import type {
  DropPolicy,
  QueuedItem,
  RoomsResponse,
  ServerOutput,
  SyncErrorFrame,
  SyncEventEntry,
  SyncName,
  SyncRequest,
  SyncResponse,
  SyncVersion,
} from "./types.js";

/** Options of {@link createSyncClient}. */
export type SyncClientOptions = {
  /** The host's URL; default: the page's origin. */
  url?: string;
  /** A signed token sent in the CONNECT auth payload; `null`/absent = anonymous. */
  token?: string | null;
  /** The Socket.IO path (default `/socket.io`). */
  path?: string;
  /** Extra socket.io-client options. */
  io?: Partial<ManagerOptions & SocketOptions>;
  /** Default per-request timeout in milliseconds (30000); 0 = none. */
  requestTimeoutMs?: number;
  /** The offline queue's bounds. */
  offline?: { maxSize?: number; ttlMs?: number; dropPolicy?: DropPolicy };
  /** Whether the browser is online; default `navigator.onLine` when there is one, else true. */
  isOnline?: () => boolean;
  /** Use this socket instead of opening one (the client then never closes it). */
  socket?: Socket;
  /** Time source for timeouts, TTLs and token renewal (tests); its `now()` is wall time. */
  clock?: Clock;
  /**
   * Where fresh tokens come from. With it, the client renews the token on the open socket
   * (`renew`) `renewBeforeMs` before it expires, and at once when the host ends the session, so the
   * connection never drops to anonymous; a reconnect uses the latest token.
   */
  getToken?: GetToken;
  /** How long before a token's expiry it is renewed (default 30000). */
  renewBeforeMs?: number;
};

/** The live view of the offline queue. */
export interface QueueView {
  /** How many requests wait. */
  readonly size: number;
  /** The waiting requests, oldest first. */
  items(): ReadonlyArray<QueuedItem>;
  /** Calls `listener` after every change; returns the unsubscriber. */
  subscribe(listener: () => void): () => void;
}

/** A connection to a synchost host. */
export interface SyncClient {
  /** The socket.io-client socket. */
  readonly socket: Socket;
  /** Sends a sync; resolves with the host's envelope or a client-made error, never rejects. */
  syncRequest<N extends SyncName, V extends SyncVersion<N>>(request: SyncRequest<N, V>): Promise<SyncResponse<ServerOutput<N, V>>>;
  /** Registers a callback for a route's success frames; same owner + same route replaces. Returns the remover. */
  upsertSyncEventCallback<N extends SyncName, V extends SyncVersion<N>>(entry: SyncEventEntry<N, V>): () => void;
  /** Listens to per-recipient error frames; returns the remover. */
  onSyncError(listener: (frame: SyncErrorFrame) => void): () => void;
  /**
   * Joins a room; the answer lists the connection's rooms. `token` is a room token from the app's
   * backend (for rooms whose policy needs one); it is shown again when the client rejoins after a
   * reconnect.
   */
  joinRoom(room: string, options?: { token?: string }): Promise<RoomsResponse>;
  /** Leaves a room. */
  leaveRoom(room: string): Promise<RoomsResponse>;
  /** Lists the connection's rooms. */
  getJoinedRooms(): Promise<RoomsResponse>;
  /** Replaces the token (`null` = anonymous) and reconnects with it (to change user; renewing the same user's token needs no reconnect, see `getToken`). */
  setToken(token: string | null): void;
  /** The offline queue. */
  readonly queue: QueueView;
  /** Settles everything pending, stops listening and closes the socket it opened. */
  close(): void;
}

type Entry = QueueEntry & { send(): Promise<void>; abandon(): void };

function defaultIsOnline(): boolean {
  const nav = (globalThis as { navigator?: { onLine?: unknown } }).navigator;
  return typeof nav?.onLine === "boolean" ? nav.onLine : true;
}

function openSocket(options: SyncClientOptions): Socket {
  const settings: Partial<ManagerOptions & SocketOptions> = { ...options.io };
  if (options.path !== undefined) settings.path = options.path;
  if (options.token) settings.auth = { token: options.token };
  return options.url === undefined ? io(settings) : io(options.url, settings);
}

/** Opens a client (the socket connects right away unless `io.autoConnect` is false). */
export function createSyncClient(options: SyncClientOptions = {}): SyncClient {
  const ownsSocket = options.socket === undefined;
  const socket = options.socket ?? openSocket(options);
  const clock = options.clock ?? systemClock;
  const isOnline = options.isOnline ?? defaultIsOnline;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const maxSize = options.offline?.maxSize ?? 200;
  const defaultTtlMs = options.offline?.ttlMs ?? 3_600_000;
  const defaultDropPolicy = options.offline?.dropPolicy ?? "drop-oldest";

  const renewal = options.getToken
    ? new TokenRenewal(socket, clock, options.getToken, options.renewBeforeMs ?? 30_000)
    : undefined;
  renewal?.track(options.token);
  const registry = new CallbackRegistry();
  const queue = new OfflineQueue<Entry>(maxSize, clock);
  const inFlight = new InFlight(socket, clock);
  let rooms = new Set<string>();
  // Room tokens by room, for rejoining after a reconnect.
  const roomTokens = new Map<string, string>();
  const joinArg = (room: string): unknown => {
    const token = roomTokens.get(room);
    return token ? { room, token } : room;
  };
  let rejoining: Promise<void> | null = null;
  let flushing = false;
  let closed = false;
  let sequence = 0;

  const ready = (): boolean => !closed && socket.connected && isOnline() && rejoining === null;

  const remember = (reply: RoomsResponse): RoomsResponse => {
    if (reply.status === "success") rooms = new Set(reply.rooms);
    return reply;
  };

  const roomRequest = (event: string, args: unknown[]): Promise<RoomsResponse> =>
    closed
      ? Promise.resolve(droppedError("closed"))
      : inFlight.emit(event, args, { timeoutMs: requestTimeoutMs }, (reply) => remember(readRoomsReply(reply)));

  const rejoin = async (): Promise<void> => {
    const wanted = [...rooms];
    const replies = await Promise.all(wanted.map((room) => roomRequest("joinRoom", [joinArg(room)]).then((reply) => ({ room, reply }))));
    // A room the host now refuses (another user, a limit) is forgotten rather than retried forever.
    for (const { room, reply } of replies) if (reply.status === "error" && reply.errorCode.startsWith("room.")) rooms.delete(room);
  };

  const flush = async (): Promise<void> => {
    if (flushing) return;
    flushing = true;
    try {
      while (ready() && queue.size > 0) {
        const entry = queue.shift();
        if (entry === undefined) break;
        await entry.send();
      }
    } finally {
      flushing = false;
    }
  };

  const onConnect = (): void => {
    if (rooms.size > 0) {
      const done = rejoin().finally(() => {
        if (rejoining === done) rejoining = null;
        void flush();
      });
      rejoining = done;
      return;
    }
    void flush();
  };
  const onDisconnect = (): void => inFlight.connectionLost();
  const onFrame = (frame: unknown): void => registry.dispatch(frame);
  const onOnline = (): void => {
    if (socket.connected) void flush();
    else if (socket.active) socket.connect();
  };
  socket.on("connect", onConnect);
  socket.on("disconnect", onDisconnect);
  socket.on("sync", onFrame);
  const win = (globalThis as { window?: { addEventListener?: Function; removeEventListener?: Function } }).window;
  win?.addEventListener?.("online", onOnline);

  function syncRequest<N extends SyncName, V extends SyncVersion<N>>(request: SyncRequest<N, V>): Promise<SyncResponse<ServerOutput<N, V>>> {
    type Answer = SyncResponse<ServerOutput<N, V>>;
    const { name, version, receiver, signal } = request;
    const invalid = checkRequest(name, version, receiver);
    if (invalid) return Promise.resolve(invalid);
    if (signal?.aborted) return Promise.resolve(abortedError());
    if (closed) return Promise.resolve(droppedError("closed"));
    const payload = { name, version, data: request.data ?? {}, receiver, ignoreSelf: request.ignoreSelf ?? false };
    const emitOptions = { timeoutMs: request.timeoutMs ?? requestTimeoutMs, signal };
    const send = (): Promise<Answer> => inFlight.emit("sync", [payload], emitOptions, readSyncReply) as Promise<Answer>;
    if (ready() && queue.size === 0 && !flushing) return send();

    return new Promise<Answer>((resolve) => {
      const id = `${clock.now().toString(36)}-${(++sequence).toString(36)}`;
      const onAbort = (): void => {
        if (queue.remove(id)) entry.abandon();
        resolve(abortedError());
      };
      const entry: Entry = {
        item: { id, name, version, receiver, queuedAt: clock.now() },
        expiresAt: clock.now() + (request.ttlMs ?? defaultTtlMs),
        dropped: (reason) => {
          entry.abandon();
          resolve(droppedError(reason));
        },
        abandon: () => signal?.removeEventListener("abort", onAbort),
        send: async () => {
          entry.abandon();
          resolve(await send());
        },
      };
      const outcome = queue.add(entry, request.dropPolicy ?? defaultDropPolicy);
      if (outcome === "refused") {
        resolve(clientError(codes.queueFull, 503, [{ key: "maxSize", value: maxSize }]));
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      if (ready()) void flush();
    });
  }

  return {
    socket,
    syncRequest,
    upsertSyncEventCallback(entry) {
      const { name, version, callback } = entry;
      return registry.upsert(fullNameOf(name, version), entry.owner ?? {}, callback as (frame: EventFrame) => void);
    },
    onSyncError: (listener) => registry.onError(listener),
    joinRoom: (room, options) => {
      if (options?.token) roomTokens.set(room, options.token);
      return roomRequest("joinRoom", [joinArg(room)]);
    },
    leaveRoom: (room) => {
      roomTokens.delete(room);
      return roomRequest("leaveRoom", [room]);
    },
    getJoinedRooms: () => roomRequest("getJoinedRooms", []),
    setToken(token) {
      socket.auth = token ? { token } : {};
      renewal?.track(token);
      if (closed) return;
      // Also after the host refused the previous token: socket.io does not retry that by itself.
      if (socket.connected || socket.active) socket.disconnect();
      socket.connect();
    },
    queue: {
      get size() {
        return queue.size;
      },
      items: () => queue.items(),
      subscribe: (listener) => queue.subscribe(listener),
    },
    close() {
      if (closed) return;
      closed = true;
      renewal?.stop();
      socket.off("connect", onConnect);
      socket.off("disconnect", onDisconnect);
      socket.off("sync", onFrame);
      win?.removeEventListener?.("online", onOnline);
      queue.clear("closed");
      inFlight.connectionLost();
      if (ownsSocket) socket.disconnect();
    },
  };
}
