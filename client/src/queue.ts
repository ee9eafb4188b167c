/**
 * The offline queue: requests made while the socket is down or the browser is offline, in order.
 *
 * It is bounded (`maxSize`), every entry expires after its TTL, and a full queue applies the
 * entry's drop policy. Every entry that leaves the queue other than by `shift` or `remove` is told
 * why through `dropped`, so no queued request is ever left unsettled. It never sends anything: the
 * client decides when to flush.
 */
import type { Clock } from "./clock.js";
import type { DropPolicy, QueuedItem } from "./types.js";

/** Why a queued entry was dropped. */
export type DropReason = "queue-full" | "expired" | "closed";

/** One queued request. */
export interface QueueEntry {
  /** What the queue shows about it. */
  readonly item: QueuedItem;
  /** When it expires, in clock milliseconds. */
  readonly expiresAt: number;
  /** Called once when the queue drops it. */
  dropped(reason: DropReason): void;
}

/** What `add` did with a new entry. */
export type AddOutcome = "queued" | "refused";

/** A bounded FIFO of requests with TTLs. */
export class OfflineQueue<E extends QueueEntry> {
  private entries: E[] = [];
  private readonly listeners = new Set<() => void>();
  private expiryTimer: unknown = undefined;

  /** A queue of at most `maxSize` entries, timed by `clock`. */
  constructor(
    private readonly maxSize: number,
    private readonly clock: Clock,
  ) {}

  /** How many entries wait. */
  get size(): number {
    return this.entries.length;
  }

  /** Snapshots of the waiting entries, head first. */
  items(): ReadonlyArray<QueuedItem> {
    return this.entries.map((entry) => ({ ...entry.item }));
  }

  /** Calls `listener` after every change; returns the unsubscriber. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Appends `entry`, first evicting expired ones; when full, applies `policy`. */
  add(entry: E, policy: DropPolicy): AddOutcome {
    this.evictExpired();
    if (this.entries.length >= this.maxSize) {
      const head = this.entries[0];
      if (policy !== "drop-oldest" || head === undefined) return "refused";
      this.entries.shift();
      head.dropped("queue-full");
    }
    this.entries.push(entry);
    this.changed();
    return "queued";
  }

  /** Removes and returns the head, or `undefined` when empty. */
  shift(): E | undefined {
    this.evictExpired();
    const head = this.entries.shift();
    if (head !== undefined) this.changed();
    return head;
  }

  /** Puts an entry back at the head (a send that could not happen). */
  unshift(entry: E): void {
    this.entries.unshift(entry);
    this.changed();
  }

  /** Removes the entry with this id; true when it was queued. */
  remove(id: string): boolean {
    const index = this.entries.findIndex((entry) => entry.item.id === id);
    if (index < 0) return false;
    this.entries.splice(index, 1);
    this.changed();
    return true;
  }

  /** Drops every entry whose TTL has passed. */
  evictExpired(): void {
    const now = this.clock.now();
    const expired = this.entries.filter((entry) => entry.expiresAt <= now);
    if (expired.length === 0) return;
    this.entries = this.entries.filter((entry) => entry.expiresAt > now);
    for (const entry of expired) entry.dropped("expired");
    this.changed();
  }

  /** Drops every entry with `reason` (the client is closing). */
  clear(reason: DropReason): void {
    const all = this.entries;
    this.entries = [];
    for (const entry of all) entry.dropped(reason);
    this.changed();
  }

  private changed(): void {
    this.scheduleExpiry();
    for (const listener of [...this.listeners]) listener();
  }

  /** Keeps one timer armed for the earliest expiry, so entries expire even when nothing else happens. */
  private scheduleExpiry(): void {
    if (this.expiryTimer !== undefined) this.clock.clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    if (this.entries.length === 0) return;
    const earliest = Math.min(...this.entries.map((entry) => entry.expiresAt));
    const delay = Math.max(0, earliest - this.clock.now());
    this.expiryTimer = this.clock.setTimeout(() => {
      this.expiryTimer = undefined;
      this.evictExpired();
      // Nothing expired (the clock moved less than the timer): arm again for what is left.
      if (this.expiryTimer === undefined) this.scheduleExpiry();
    }, delay);
  }
}
