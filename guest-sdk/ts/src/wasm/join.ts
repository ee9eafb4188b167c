// The `join-handler` world's exports for one handler file: `metadata` from its `auth` export (no
// schemas: a join carries no payload), `decide` through `stage.runJoin`. A refusal leaves as the
// WIT `handler-error` (thrown, the component-model way of returning `err`); only a `success`
// returns normally, which is the one answer that lets the joiner in.

import { makeFunctions } from "../functions.js";
import { fromWire } from "../session.js";
import { runJoin, type JoinModule, type JoinResult } from "../stage.js";
import type { WireSession } from "../backend.js";
import { backend } from "./imports.js";
import { handlerError, metadata } from "./wit.js";

interface JoinCall {
  room: string;
  session?: WireSession;
}

export function joinHandler(module: JoinModule) {
  const functions = makeFunctions(backend);
  const lower = (result: JoinResult): void => {
    if ("error" in result) throw handlerError(result.error);
  };
  return {
    metadata: () => metadata(module.auth, {}),
    decide(call: JoinCall): void | Promise<void> {
      const user = call.session === undefined ? null : fromWire(call.session);
      const result = runJoin(module, backend, functions, user, call.room);
      return result instanceof Promise ? result.then(lower) : lower(result as JoinResult);
    },
  };
}
