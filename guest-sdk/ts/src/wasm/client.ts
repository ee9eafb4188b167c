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
const optionalText = (data: Uint8Array, span: Span | undefined): string | undefined =>
  span === undefined ? undefined : text(data, span);

function unpack(batch: ClientBatch, packed: PackedSession | undefined): SessionLayout | null {
  if (packed === undefined) return null;
  const { data } = batch;
  const roles: string[] = [];
  const last = Math.min(packed.roles.start + packed.roles.len, batch.roles.length);
  for (let index = packed.roles.start; index < last; index++) roles.push(text(data, batch.roles[index]));
  return sessionLayout(
    text(data, packed.id),
    optionalText(data, packed.name),
    optionalText(data, packed.email),
    optionalText(data, packed.language),
    packed.admin,
    roles,
    data,
    packed.extra.start,
    packed.extra.start + packed.extra.len,
  );
}

function lower(result: ClientResult) {
  return {
    data: result.data,
    outcomes: result.outcomes.map((outcome) => {
      switch (outcome.kind) {
        case "deliver":
          return { tag: "deliver", val: { start: outcome.start, len: outcome.len } };
        case "plain":
          return { tag: "deliver-plain" };
        case "skip":
          return { tag: "skip" };
        default:
          return { tag: "error", val: handlerError(outcome.error) };
      }
    }),
  };
}

export function clientStage(module: ClientModule, schemas: { input?: string; output?: string }) {
  const functions = makeFunctions(backend);
  return {
    metadata: () => metadata(module.auth, schemas),
    run(batch: ClientBatch) {
      const { data } = batch;
      const recipients = batch.recipients.map((packed) => unpack(batch, packed));
      const input = data.subarray(batch.input.start, batch.input.start + batch.input.len);
      const output = batch.serverOutput;
      const serverOutput = output === undefined ? undefined : data.subarray(output.start, output.start + output.len);
      const result = runClient(module, backend, functions, input, serverOutput, text(data, batch.room), recipients);
      return result instanceof Promise ? result.then(lower) : lower(result as ClientResult);
    },
  };
}
