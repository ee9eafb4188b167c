// The `functions` object handed to `main`: the host imports behind the seed-style names. A failed
// capability call throws `SyncError("plugin.hostCallFailed", {reason}, 500)`, as the Rust SDK's
// `?` does, so an unhandled failure reaches the caller with its reason. Capability rules are the
// host's: nothing is checked here.

import type { Backend, DeniedOrFailed, Level } from "./backend.js";
import { HOST_CALL_FAILED, SyncError } from "./errors.js";
import { CodecError, decode, encode } from "./msgpack.js";
import { fromWire } from "./session.js";
import type { Functions, SessionLayout } from "./types.js";

/** The host hands out at most this many random bytes per call; larger requests are split. */
const RANDOM_CHUNK = 4096;
/** Page size of `rooms.members` when the handler gives none. */
const DEFAULT_MEMBERS_LIMIT = 100;

const REASONS: Record<string, string> = {
  "not-granted": "notGranted",
  "quota-exceeded": "quotaExceeded",
  "too-large": "tooLarge",
  "wrong-type": "wrongType",
  storage: "storage",
};

/** A thrown capability failure as the SyncError the caller gets. */
export function hostFailure(thrown: unknown): SyncError {
  const payload = (thrown as { payload?: unknown })?.payload ?? thrown;
  const tag = (payload as DeniedOrFailed)?.tag;
  if (typeof tag === "string" && tag in REASONS) {
    return new SyncError(HOST_CALL_FAILED, { reason: REASONS[tag] }, 500);
  }
  if (thrown instanceof CodecError) return new SyncError(HOST_CALL_FAILED, { reason: "codec" }, 500);
  throw thrown; // not a capability failure: a bug, reported as such by the stage
}

function call<T>(run: () => T): T {
  try {
    return run();
  } catch (thrown) {
    throw hostFailure(thrown);
  }
}

export function makeFunctions(backend: Backend): Functions {
  const log = (level: Level) => (message: string) => backend.log(level, String(message));
  return {
    log: { trace: log("trace"), debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
    time: { nowMs: () => Number(backend.nowMs()) },
    random: {
      bytes(length: number): Uint8Array {
        const out = new Uint8Array(Math.max(0, Math.floor(length)));
        for (let filled = 0; filled < out.length; ) {
          const chunk = backend.randomBytes(Math.min(out.length - filled, RANDOM_CHUNK));
          if (chunk.length === 0) break;
          out.set(chunk.subarray(0, out.length - filled), filled);
          filled += chunk.length;
        }
        return out;
      },
    },
    kv: {
      get<T>(key: string): T | null {
        return call(() => {
          const bytes = backend.kvGet(key);
          return bytes === undefined ? null : (decode(bytes) as T);
        });
      },
      set: (key, value) => call(() => backend.kvSet(key, encode(value))),
      delete: (key) => call(() => backend.kvDelete(key)),
      incr: (key, delta = 1) => call(() => Number(backend.kvIncr(key, BigInt(Math.trunc(delta))))),
      getBytes: (key) => call(() => backend.kvGet(key) ?? null),
      setBytes: (key, value) => call(() => backend.kvSet(key, value)),
    },
    rooms: {
      size: (room) => call(() => backend.roomsSize(room)),
      members: (room, offset = 0, limit = DEFAULT_MEMBERS_LIMIT): SessionLayout[] =>
        call(() => backend.roomsMembers(room, offset, limit)).map(fromWire),
    },
    config: { get: (key) => call(() => backend.configGet(key) ?? null) },
  };
}
