// The WIT imports as componentize-js presents them to JavaScript (see wit/host.wit).
declare module "synchost:plugin/host@1.0.0" {
  export function log(level: "trace" | "debug" | "info" | "warn" | "error", message: string): void;
  export function nowMs(): bigint;
  export function randomBytes(length: number): Uint8Array;
}
declare module "synchost:plugin/config@1.0.0" {
  export function get(key: string): string | undefined;
}
declare module "synchost:plugin/kv@1.0.0" {
  export function get(key: string): Uint8Array | undefined;
  export function set(key: string, value: Uint8Array): void;
  function remove(key: string): boolean;
  export { remove as delete };
  export function incr(key: string, delta: bigint): bigint;
}
declare module "synchost:plugin/rooms@1.0.0" {
  import type { WireSession } from "../backend.js";
  export function size(room: string): number;
  export function members(room: string, offset: number, limit: number): WireSession[];
}
