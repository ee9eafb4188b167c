/**
 * Requests on the wire: one emit with an acknowledgement, settled exactly once.
 *
 * A request settles with the host's answer, or with `sync.requestTimeout`, `request.aborted` or
 * `sync.connectionLost`, whichever comes first; late answers are ignored. It must never reject and
 * never leave a timer or abort listener behind once settled.
 */
import type { Socket } from "socket.io-client";
import type { Clock } from "./clock.js";
import { abortedError, clientError, codes, connectionLostError, timeoutError } from "./errors.js";
import type { SyncError } from "./types.js";

/** Timeout and cancellation of one emit. */
export type EmitOptions = {
  /** Milliseconds before `sync.requestTimeout`; 0 waits forever. */
  timeoutMs: number;
  /** Aborting settles with `request.aborted`. */
  signal?: AbortSignal | undefined;
};

/** The emits waiting for their acknowledgement. */
export class InFlight {
  private readonly waiting = new Set<() => void>();

  /** Tracks emits on `socket`, timed by `clock`. */
  constructor(
    private readonly socket: Socket,
    private readonly clock: Clock,
  ) {}

  /** How many emits wait for an answer. */
  get size(): number {
    return this.waiting.size;
  }

  /** Emits `event` with `args` and an ack; resolves with `read(reply)` or a client-made error. */
  emit<T>(event: string, args: unknown[], options: EmitOptions, read: (reply: unknown) => T): Promise<T | SyncError> {
    return new Promise((resolve) => {
      const { signal, timeoutMs } = options;
      if (signal?.aborted) {
        resolve(abortedError());
        return;
      }
      let timer: unknown = undefined;
      const onAbort = (): void => finish(abortedError());
      const onLost = (): void => finish(connectionLostError());
      let settled = false;
      const finish = (value: T | SyncError): void => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) this.clock.clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.waiting.delete(onLost);
        resolve(value);
      };
      if (timeoutMs > 0) timer = this.clock.setTimeout(() => finish(timeoutError(timeoutMs)), timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      // An emit made while disconnected sits in socket.io's send buffer and survives the reconnect;
      // only an emit that went out on a live connection is lost with it.
      if (this.socket.connected) this.waiting.add(onLost);
      try {
        this.socket.emit(event, ...args, (reply: unknown) => finish(read(reply)));
      } catch (error) {
        finish(clientError(codes.invalidRequest, 400, [{ key: "message", value: String(error) }]));
      }
    });
  }

  /** Settles every waiting emit with `sync.connectionLost` (the socket disconnected). */
  connectionLost(): void {
    for (const lost of [...this.waiting]) lost();
  }
}
