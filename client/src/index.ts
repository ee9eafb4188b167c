/**
 * synchost-client: typed syncs, event callbacks, rooms and an offline queue over socket.io-client.
 *
 * This entry re-exports the public API and declares nothing itself; React lives in
 * `synchost-client/react` so this entry never imports it.
 */
export { createSyncClient } from "./client.js";
export type { QueueView, SyncClient, SyncClientOptions } from "./client.js";
export type { Clock } from "./clock.js";
export { tokenExpiry } from "./renewal.js";
export type { GetToken } from "./renewal.js";
export { getDefaultClient, joinRoom, leaveRoom, setDefaultClient, syncRequest, upsertSyncEventCallback } from "./defaultClient.js";
export type * from "./types.js";
