// Conversions between the SDK's values and the WIT types as componentize-js presents them
// (records as camelCase objects, variants as `{tag, val}`, s64 as bigint, options as undefined).
// Shared by both stage exports; no decisions are made here.

import type { HandlerError } from "../errors.js";
import type { AuthCondition, AuthProps, Scalar } from "../types.js";

export type WitScalar =
  | { tag: "null" }
  | { tag: "boolean"; val: boolean }
  | { tag: "integer"; val: bigint }
  | { tag: "float"; val: number }
  | { tag: "text"; val: string };

export interface WitHandlerError {
  code: string;
  params: { key: string; value: WitScalar }[];
  httpStatus?: number;
}

export function scalar(value: Scalar): WitScalar {
  switch (typeof value) {
    case "boolean":
      return { tag: "boolean", val: value };
    case "number":
      return Number.isSafeInteger(value) ? { tag: "integer", val: BigInt(value) } : { tag: "float", val: value };
    case "string":
      return { tag: "text", val: value };
    default:
      return { tag: "null" };
  }
}

export function handlerError(error: HandlerError): WitHandlerError {
  return {
    code: error.code,
    params: error.params.map((param) => ({ key: param.key, value: scalar(param.value) })),
    httpStatus: error.httpStatus,
  };
}

function condition(condition: AuthCondition) {
  return {
    key: String(condition.key),
    // `value` present, even as undefined, means strict equality in the seed; undefined is null here.
    value: "value" in condition ? scalar(condition.value ?? null) : undefined,
    valueType: condition.type,
    nullish: condition.nullish,
    mustBeFalsy: condition.mustBeFalsy,
  };
}

/** The `metadata` export's value. A missing `auth` export is a public route, as in the seed. */
export function metadata(auth: AuthProps | undefined, schemas: { input?: string; output?: string }) {
  return {
    auth: { login: auth?.login === true, additional: (auth?.additional ?? []).map(condition) },
    inputSchema: schemas.input,
    outputSchema: schemas.output,
  };
}
