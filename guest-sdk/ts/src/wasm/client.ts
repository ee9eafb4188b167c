// The `client-stage` world's exports for one handler file: the batch's recipients are unpacked
// from the one shared buffer, the author's `main` runs once per recipient (`stage.runClient`),
// and every delivered output goes back in one buffer with one outcome per recipient.

import { makeFunctions } from "../functions.js";
import { readUtf8 } from "../msgpack.js";
import { sessionLayout } from "../session.js";
import { runClient, type ClientModule, type ClientResult } from "../stage.js";
import type { SessionLayout } from "../types.js";
import { backend } from "./imports.js";
import { handlerError, metadata } from "./wit.js";

interface Span {
  start: number;
  len: number;
}

interface PackedSession {
  id: Span;
  name?: Span;
  email?: Span;
  language?: Span;
  admin: boolean;
  roles: Span;
  extra: Span;
}

interface ClientBatch {
  data: Uint8Array;
  input: Span;
  serverOutput?: Span;
  room: Span;
  roles: Span[];
  recipients: (PackedSession | undefined)[];
}

const text = (data: Uint8Array, span: Span): string => readUtf8(data, span.start, span.start + span.len);

// Per recipient, each JavaScript call costs thousands of instructions inside the component, so
// the loops below call no helper they can do without.

function unpack(batch: ClientBatch, packed: PackedSession | undefined): SessionLayout | null {
  if (packed === undefined) return null;
  const { data } = batch;
  const roles: string[] = [];
  const last = Math.min(packed.roles.start + packed.roles.len, batch.roles.length);
  for (let index = packed.roles.start; index < last; index++) roles.push(text(data, batch.roles[index]));
  const { name, email, language, extra } = packed;
  return sessionLayout(
    text(data, packed.id),
    name === undefined ? undefined : readUtf8(data, name.start, name.start + name.len),
    email === undefined ? undefined : readUtf8(data, email.start, email.start + email.len),
    language === undefined ? undefined : readUtf8(data, language.start, language.start + language.len),
    packed.admin,
    roles,
    data,
    extra.start,
    extra.start + extra.len,
  );
}

/** The outcomes without a payload; the bindings only read them. */
const PLAIN = { tag: "deliver-plain" } as const;
const SKIP = { tag: "skip" } as const;

function lower(result: ClientResult) {
  const { outcomes } = result;
  const lowered = new Array(outcomes.length);
  for (let index = 0; index < outcomes.length; index++) {
    const outcome = outcomes[index];
    switch (outcome.kind) {
      case "deliver":
        lowered[index] = { tag: "deliver", val: { start: outcome.start, len: outcome.len } };
        break;
      case "plain":
        lowered[index] = PLAIN;
        break;
      case "skip":
        lowered[index] = SKIP;
        break;
      default:
        lowered[index] = { tag: "error", val: handlerError(outcome.error) };
    }
  }
  return { data: result.data, outcomes: lowered };
}

export function clientStage(module: ClientModule, schemas: { input?: string; output?: string }) {
  const functions = makeFunctions(backend);
  return {
    metadata: () => metadata(module.auth, schemas),
    run(batch: ClientBatch) {
      const { data } = batch;
      const packed = batch.recipients;
      const recipients = new Array<SessionLayout | null>(packed.length);
      for (let index = 0; index < packed.length; index++) recipients[index] = unpack(batch, packed[index]);
      const input = data.subarray(batch.input.start, batch.input.start + batch.input.len);
      const output = batch.serverOutput;
      const serverOutput = output === undefined ? undefined : data.subarray(output.start, output.start + output.len);
      const result = runClient(module, backend, functions, input, serverOutput, text(data, batch.room), recipients);
      return result instanceof Promise ? result.then(lower) : lower(result as ClientResult);
    },
  };
}
