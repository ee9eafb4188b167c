// The `server-stage` world's exports for one handler file: `metadata` from its `auth` export and
// the schemas found at build time, `run` through `stage.runServer`. Errors leave as the WIT
// `handler-error` (thrown, the component-model way of returning `err`).

import { makeFunctions } from "../functions.js";
import { fromWire } from "../session.js";
import { runServer, type ServerModule, type ServerResult } from "../stage.js";
import type { WireSession } from "../backend.js";
import { backend } from "./imports.js";
import { handlerError, metadata } from "./wit.js";

interface ServerCall {
  input: Uint8Array;
  caller?: WireSession;
  room: string;
}

export function serverStage(module: ServerModule, schemas: { input?: string; output?: string }) {
  const functions = makeFunctions(backend);
  const lower = (result: ServerResult): Uint8Array => {
    if ("ok" in result) return result.ok;
    throw handlerError(result.error);
  };
  return {
    metadata: () => metadata(module.auth, schemas),
    run(call: ServerCall): Uint8Array | Promise<Uint8Array> {
      const user = call.caller === undefined ? null : fromWire(call.caller);
      const result = runServer(module, backend, functions, call.input, user, call.room);
      return result instanceof Promise ? result.then(lower) : lower(result as ServerResult);
    },
  };
}
