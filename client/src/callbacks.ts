/**
 * The registry of sync event callbacks and the dispatch of incoming `sync` frames.
 *
 * Frames are routed by `fullName` only (`sync/<name>/<version>`). Error frames go to error
 * listeners and never reach a success callback. One throwing callback must never stop the others:
 * its error goes to `reportError` (or is rethrown asynchronously) so it still shows up as uncaught.
 */
import type { SyncErrorFrame } from "./types.js";

/** A success frame as delivered to callbacks. */
export type EventFrame = {
  name: string;
  version: string;
  fullName: string;
  serverOutput: unknown;
  clientOutput: unknown;
};

type Registration = { owner: object; callback: (frame: EventFrame) => void };

/** The routing key of a route. */
export function fullNameOf(name: string, version: string): string {
  return `sync/${name}/${version}`;
}

/** Reports a callback's error the way the platform reports uncaught ones, without unwinding the dispatch. */
function reportLater(error: unknown): void {
  const report = (globalThis as { reportError?: (error: unknown) => void }).reportError;
  if (typeof report === "function") {
    report(error);
    return;
  }
  setTimeout(() => {
    throw error;
  }, 0);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Callbacks per route, replaced per owner. */
export class CallbackRegistry {
  private readonly routes = new Map<string, Registration[]>();
  private readonly errorListeners = new Set<(frame: SyncErrorFrame) => void>();

  /**
   * Registers `callback` for `fullName`. A registration with the same owner and route is replaced in
   * place (it keeps its position); the returned function removes this registration only, and does
   * nothing once it has been replaced or removed.
   */
  upsert(fullName: string, owner: object, callback: (frame: EventFrame) => void): () => void {
    const list = this.routes.get(fullName) ?? [];
    const registration: Registration = { owner, callback };
    const index = list.findIndex((entry) => entry.owner === owner);
    if (index >= 0) list[index] = registration;
    else list.push(registration);
    this.routes.set(fullName, list);
    return () => {
      const current = this.routes.get(fullName);
      if (!current) return;
      const at = current.indexOf(registration);
      if (at < 0) return;
      current.splice(at, 1);
      if (current.length === 0) this.routes.delete(fullName);
    };
  }

  /** How many callbacks `fullName` has. */
  count(fullName: string): number {
    return this.routes.get(fullName)?.length ?? 0;
  }

  /** Adds a listener for per-recipient error frames; returns the unsubscriber. */
  onError(listener: (frame: SyncErrorFrame) => void): () => void {
    this.errorListeners.add(listener);
    return () => {
      this.errorListeners.delete(listener);
    };
  }

  /** Routes one incoming `sync` frame; frames without a string `fullName` are ignored. */
  dispatch(frame: unknown): void {
    if (!isRecord(frame) || typeof frame.fullName !== "string") return;
    if (frame.status === "error") {
      for (const listener of [...this.errorListeners]) {
        try {
          listener(frame as SyncErrorFrame);
        } catch (error) {
          reportLater(error);
        }
      }
      return;
    }
    if (frame.status !== "success") return;
    const event: EventFrame = {
      name: String(frame.name),
      version: String(frame.version),
      fullName: frame.fullName,
      serverOutput: frame.serverOutput ?? null,
      clientOutput: frame.clientOutput ?? null,
    };
    for (const { callback } of [...(this.routes.get(frame.fullName) ?? [])]) {
      try {
        callback(event);
      } catch (error) {
        reportLater(error);
      }
    }
  }
}
