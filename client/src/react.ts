/**
 * `useSyncEvents()`: the React way to receive sync frames, as in the seed API.
 *
 * Every callback registered through one hook instance is removed when the component unmounts, and
 * upserting the same route again from the same instance replaces its callback. This is the only
 * module that imports React; the main entry must never depend on it.
 */
import { useCallback, useEffect, useMemo, useRef } from "react";
import type { SyncClient } from "./client.js";
import { getDefaultClient } from "./defaultClient.js";
import { HookRegistrations } from "./hookRegistrations.js";
import type { SyncEventEntry, SyncName, SyncVersion } from "./types.js";

/** What `useSyncEvents` returns; the function is stable for the life of the component. */
export type UseSyncEvents = {
  /** Registers (or replaces) this component's callback for a route; returns the remover. */
  upsertSyncEventCallback<N extends SyncName, V extends SyncVersion<N>>(entry: Omit<SyncEventEntry<N, V>, "owner">): () => void;
};

/** Receives sync frames on `client` (default: the default client) for as long as the component is mounted. */
export function useSyncEvents(client?: SyncClient): UseSyncEvents {
  const ref = useRef<HookRegistrations | null>(null);
  ref.current ??= new HookRegistrations();
  const registrations = ref.current;
  useEffect(() => {
    registrations.attach();
    return () => registrations.detach();
  }, [registrations]);
  const upsertSyncEventCallback = useCallback(
    <N extends SyncName, V extends SyncVersion<N>>(entry: Omit<SyncEventEntry<N, V>, "owner">) =>
      registrations.upsert(client ?? getDefaultClient(), entry),
    [registrations, client],
  );
  return useMemo(() => ({ upsertSyncEventCallback }), [upsertSyncEventCallback]);
}
