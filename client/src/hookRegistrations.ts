/**
 * What one `useSyncEvents()` instance registered, so unmounting removes all of it.
 *
 * The hook instance is the owner: upserting a route again from the same instance replaces its
 * callback. Registrations made before the component mounts are held back until it mounts, and a
 * detach keeps them so a remount (React's StrictMode does one) registers them again; a render that
 * never commits therefore leaves nothing behind. This file must never import React.
 */
import { fullNameOf } from "./callbacks.js";
import type { SyncClient } from "./client.js";
import type { SyncEventEntry, SyncName, SyncVersion } from "./types.js";

type Held = { client: SyncClient; entry: SyncEventEntry<SyncName, SyncVersion<SyncName>>; remove: (() => void) | null };

/** The registrations of one hook instance. */
export class HookRegistrations {
  private readonly owner = {};
  private readonly held = new Map<string, Held>();
  private mounted = false;

  /** Registers (or replaces) this instance's callback for the entry's route on `client`. */
  upsert<N extends SyncName, V extends SyncVersion<N>>(client: SyncClient, entry: Omit<SyncEventEntry<N, V>, "owner">): () => void {
    const key = fullNameOf(entry.name, entry.version);
    const previous = this.held.get(key);
    // On the same client the new registration replaces the old one in place (same owner, same
    // route); on another client the old one must go explicitly.
    if (previous && previous.client !== client) previous.remove?.();
    const held: Held = { client, entry: entry as unknown as Held["entry"], remove: null };
    this.held.set(key, held);
    if (this.mounted) this.register(held);
    return () => {
      if (this.held.get(key) !== held) return;
      held.remove?.();
      this.held.delete(key);
    };
  }

  /** The component mounted: register everything held. */
  attach(): void {
    this.mounted = true;
    for (const held of this.held.values()) if (held.remove === null) this.register(held);
  }

  /** The component unmounted: remove every registration (kept for a possible remount). */
  detach(): void {
    this.mounted = false;
    for (const held of this.held.values()) {
      held.remove?.();
      held.remove = null;
    }
  }

  private register(held: Held): void {
    // Same owner and route: the client replaces the earlier callback in place.
    held.remove = held.client.upsertSyncEventCallback({ ...held.entry, owner: this.owner });
  }
}
