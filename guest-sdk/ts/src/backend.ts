// What the SDK needs from its host: the WIT imports in a component, an in-memory fake in native
// tests. Shapes follow the component-model JavaScript conventions (results throw, s64 is bigint,
// options are `undefined`), so the component backend is a plain re-export of the imports.

/** Log severity, as the WIT `level` enum. */
export type Level = "trace" | "debug" | "info" | "warn" | "error";

/** A session as the host sends it. */
export interface WireSession {
  id: string;
  name?: string;
  email?: string;
  language?: string;
  admin: boolean;
  roles: string[];
  /** MessagePack map of the other claims. */
  extra: Uint8Array;
}

/** The WIT `denied-or-failed` variant; capability calls throw it (possibly wrapped in `payload`). */
export type DeniedOrFailed =
  | { tag: "not-granted" }
  | { tag: "quota-exceeded" }
  | { tag: "too-large" }
  | { tag: "wrong-type" }
  | { tag: "storage"; val: string };

export interface Backend {
  log(level: Level, message: string): void;
  nowMs(): bigint;
  randomBytes(length: number): Uint8Array;
  configGet(key: string): string | undefined;
  kvGet(key: string): Uint8Array | undefined;
  kvSet(key: string, value: Uint8Array): void;
  kvDelete(key: string): boolean;
  kvIncr(key: string, delta: bigint): bigint;
  roomsSize(room: string): number;
  roomsMembers(room: string, offset: number, limit: number): WireSession[];
}
