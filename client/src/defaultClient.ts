/**
 * Module-level conveniences on one default client, for code written like the seed API:
 * `syncRequest({...})` and `upsertSyncEventCallback({...})` without passing a client around.
 *
 * The default client is created on first use with the page's origin unless one was set; it must
 * never be created at import time (importing the package opens no socket).
 */
import { createSyncClient, type SyncClient } from "./client.js";
import type { RoomsResponse, ServerOutput, SyncEventEntry, SyncName, SyncRequest, SyncResponse, SyncVersion } from "./types.js";

let defaultClient: SyncClient | null = null;

/** Makes `client` the one the module-level functions and `useSyncEvents()` use (`null` forgets it). */
export function setDefaultClient(client: SyncClient | null): void {
  defaultClient = client;
}

/** The default client, created with the page's origin on first use. */
export function getDefaultClient(): SyncClient {
  defaultClient ??= createSyncClient();
  return defaultClient;
}

/** `syncRequest` on the default client. */
export function syncRequest<N extends SyncName, V extends SyncVersion<N>>(
  request: SyncRequest<N, V>,
): Promise<SyncResponse<ServerOutput<N, V>>> {
  return getDefaultClient().syncRequest(request);
}

/** `upsertSyncEventCallback` on the default client. */
export function upsertSyncEventCallback<N extends SyncName, V extends SyncVersion<N>>(entry: SyncEventEntry<N, V>): () => void {
  return getDefaultClient().upsertSyncEventCallback(entry);
}

/** `joinRoom` on the default client. */
export function joinRoom(room: string): Promise<RoomsResponse> {
  return getDefaultClient().joinRoom(room);
}

/** `leaveRoom` on the default client. */
export function leaveRoom(room: string): Promise<RoomsResponse> {
  return getDefaultClient().leaveRoom(room);
}
