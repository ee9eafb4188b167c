// Native tests for handler authors: run a TypeScript handler under Node with a fake host, through
// the same decoding, batching and encoding as the component (`stage.ts`), the way the Rust SDK's
// `testing` module does. The fake keeps kv, config and rooms in memory, records log lines, and can
// deny a capability to show what a handler does without it. Only for tests; never bundled into a
// component.

import type { Backend, DeniedOrFailed, Level, WireSession } from "./backend.js";
import type { HandlerError } from "./errors.js";
import { makeFunctions } from "./functions.js";
import { decode, encode } from "./msgpack.js";
import {
  runClient as runClientStage,
  runJoin as runJoinHandler,
  runServer as runServerStage,
  type ClientModule,
  type JoinModule,
  type ServerModule,
} from "./stage.js";
import type { Functions, SessionLayout } from "./types.js";

export type Capability = "kv" | "rooms" | "config";

/** A session for tests: `session("ann", { team: "red", admin: true })`. */
export function session(id: string, fields: Partial<SessionLayout> = {}): SessionLayout {
  return { id, name: null, email: null, language: null, admin: false, roles: [], ...fields };
}

function toWire(user: SessionLayout): WireSession {
  const { id, name, email, language, admin, roles, ...claims } = user;
  return {
    id,
    name: name ?? undefined,
    email: email ?? undefined,
    language: language ?? undefined,
    admin,
    roles,
    extra: encode(claims),
  };
}

/** The in-memory host of a test. */
export class FakeHost {
  readonly kv = new Map<string, Uint8Array>();
  readonly config = new Map<string, string>();
  readonly rooms = new Map<string, (SessionLayout | null)[]>();
  readonly logs: { level: Level; message: string }[] = [];
  readonly denied = new Set<Capability>();
  nowMs = 1_700_000_000_000;

  deny(capability: Capability): this {
    this.denied.add(capability);
    return this;
  }

  setConfig(key: string, value: string): this {
    this.config.set(key, value);
    return this;
  }

  /** The connections of `room`; null entries are anonymous connections. */
  setRoom(room: string, connections: (SessionLayout | null)[]): this {
    this.rooms.set(room, connections);
    return this;
  }

  /** The decoded kv value at `key`, or null. */
  kvValue(key: string): unknown {
    const bytes = this.kv.get(key);
    return bytes === undefined ? null : decode(bytes);
  }

  readonly backend: Backend = {
    log: (level, message) => void this.logs.push({ level, message }),
    nowMs: () => BigInt(this.nowMs),
    randomBytes: (length) => crypto.getRandomValues(new Uint8Array(Math.min(length, 4096))),
    configGet: (key) => this.grant("config", () => this.config.get(key)),
    kvGet: (key) => this.grant("kv", () => this.kv.get(key)),
    kvSet: (key, value) => this.grant("kv", () => void this.kv.set(key, value.slice())),
    kvDelete: (key) => this.grant("kv", () => this.kv.delete(key)),
    kvIncr: (key, delta) =>
      this.grant("kv", () => {
        const stored = this.kv.get(key);
        const current = stored === undefined ? 0n : decode(stored);
        if (typeof current !== "number" && typeof current !== "bigint") throw { tag: "wrong-type" } satisfies DeniedOrFailed;
        const next = BigInt(current) + delta;
        this.kv.set(key, encode(next >= BigInt(Number.MIN_SAFE_INTEGER) && next <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(next) : next));
        return next;
      }),
    roomsSize: (room) => this.grant("rooms", () => this.rooms.get(room)?.length ?? 0),
    roomsMembers: (room, offset, limit) =>
      this.grant("rooms", () =>
        (this.rooms.get(room) ?? [])
          .filter((member): member is SessionLayout => member !== null)
          .slice(offset, offset + limit)
          .map(toWire),
      ),
  };

  readonly functions: Functions = makeFunctions(this.backend);

  private grant<T>(capability: Capability, run: () => T): T {
    if (this.denied.has(capability)) throw { tag: "not-granted" } satisfies DeniedOrFailed;
    return run();
  }
}

/** What a stage answered, decoded. */
export type TestResult<T = any> =
  | { status: "success"; output: T }
  | { status: "error"; errorCode: string; errorParams: HandlerError["params"]; httpStatus?: number };

/** A client stage's answer for one recipient. */
export type TestOutcome<T = any> =
  | { status: "deliver"; output: T }
  | { status: "plain" }
  | { status: "skip" }
  | { status: "error"; errorCode: string; errorParams: HandlerError["params"]; httpStatus?: number };

function refusal(error: HandlerError) {
  return { status: "error" as const, errorCode: error.code, errorParams: error.params, httpStatus: error.httpStatus };
}

export interface ServerOptions {
  user?: SessionLayout | null;
  roomCode?: string;
  host?: FakeHost;
}

/** Runs a server stage module once, as the host would, with `clientInput` sent as MessagePack. */
export async function runServer<T = any>(module: ServerModule, clientInput: unknown, options: ServerOptions = {}): Promise<TestResult<T>> {
  const host = options.host ?? new FakeHost();
  const user = options.user ? decodeSession(options.user) : null;
  const result = await runServerStage(module, host.backend, host.functions, encode(clientInput), user, options.roomCode ?? "room");
  return "ok" in result ? { status: "success", output: decode(result.ok) as T } : refusal(result.error);
}

export interface ClientOptions {
  roomCode?: string;
  host?: FakeHost;
}

/** Runs a client stage module once over all `recipients` (null = anonymous), as one batch. */
export async function runClient<T = any>(
  module: ClientModule,
  clientInput: unknown,
  serverOutput: unknown,
  recipients: (SessionLayout | null)[],
  options: ClientOptions = {},
): Promise<TestOutcome<T>[]> {
  const host = options.host ?? new FakeHost();
  const result = await runClientStage(
    module,
    host.backend,
    host.functions,
    encode(clientInput),
    serverOutput === undefined ? undefined : encode(serverOutput),
    options.roomCode ?? "room",
    recipients.map((user) => (user ? decodeSession(user) : null)),
  );
  return result.outcomes.map((outcome) => {
    switch (outcome.kind) {
      case "deliver":
        return { status: "deliver", output: decode(result.data, outcome.start, outcome.start + outcome.len) as T };
      case "plain":
        return { status: "plain" };
      case "skip":
        return { status: "skip" };
      default:
        return refusal(outcome.error);
    }
  });
}

/** A join handler's decision: let in, or refused with a code. */
export type TestJoin = { status: "success" } | { status: "error"; errorCode: string; errorParams: HandlerError["params"]; httpStatus?: number };

export interface JoinOptions {
  host?: FakeHost;
}

/** Runs a join handler module once, as the host would when `user` (null = anonymous) joins `roomCode`. */
export async function runJoin(module: JoinModule, roomCode: string, user: SessionLayout | null, options: JoinOptions = {}): Promise<TestJoin> {
  const host = options.host ?? new FakeHost();
  const result = await runJoinHandler(module, host.backend, host.functions, user ? decodeSession(user) : null, roomCode);
  return "ok" in result ? { status: "success" } : refusal(result.error);
}

/** A session as the handler would see it after the trip through the host's wire form. */
function decodeSession(user: SessionLayout): SessionLayout {
  const wire = toWire(user);
  const claims = decode(wire.extra) as Record<string, unknown>;
  return { ...claims, ...session(wire.id, { name: wire.name ?? null, email: wire.email ?? null, language: wire.language ?? null, admin: wire.admin, roles: wire.roles }) };
}
