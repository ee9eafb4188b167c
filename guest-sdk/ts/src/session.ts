// Sessions from the host's form to the seed's `SessionLayout`: fixed fields first, then every
// other claim as a property of its own (a claim never overrides a fixed field).

import type { WireSession } from "./backend.js";
import { decode } from "./msgpack.js";
import type { SessionLayout } from "./types.js";

const FIXED = new Set(["id", "name", "email", "language", "admin", "roles"]);

/** `extra` is the MessagePack map of other claims, read from `bytes[start, end)`. */
export function sessionLayout(
  id: string,
  name: string | undefined,
  email: string | undefined,
  language: string | undefined,
  admin: boolean,
  roles: string[],
  extra: Uint8Array,
  start = 0,
  end = extra.length,
): SessionLayout {
  const session: SessionLayout = { id, name: name ?? null, email: email ?? null, language: language ?? null, admin, roles };
  // 0x80 is the empty map, the usual case: skip the decoder.
  if (end - start > 1 || (end - start === 1 && extra[start] !== 0x80)) {
    let claims: unknown;
    try {
      claims = decode(extra, start, end);
    } catch {
      claims = undefined; // the host always sends a valid map; never trust it blindly though
    }
    if (typeof claims === "object" && claims !== null && !Array.isArray(claims)) {
      for (const [key, value] of Object.entries(claims)) {
        if (!FIXED.has(key)) session[key] = value;
      }
    }
  }
  return session;
}

export function fromWire(session: WireSession): SessionLayout {
  return sessionLayout(session.id, session.name, session.email, session.language, session.admin, session.roles, session.extra);
}
