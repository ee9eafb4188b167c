// JSON Schemas of a TypeScript handler's input and output, read from its types at build time so
// the front end's `apiTypes.generated.ts` gets them the way it gets a Rust handler's (the host's
// typegen reads them from `metadata()`). The input is the type of the `clientInput` property of
// `main`'s parameter; the output is `main`'s return type (promise unwrapped) restricted to its
// `status: "success"` members, without `status`. Types that JSON cannot carry, or that are too
// deep, become `{}` (any value): a schema is a description, never a gate.

import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const sdk = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** Nesting beyond this is described as any value (recursive types end here too). */
const MAX_DEPTH = 12;

const options = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  allowImportingTsExtensions: true,
  noEmit: true,
  strict: true,
  skipLibCheck: true,
  types: [],
  paths: {
    "synchost-sdk": [path.join(sdk, "src", "index.ts")],
    "synchost-sdk/testing": [path.join(sdk, "src", "testing.ts")],
  },
};

/**
 * A reader over one program of all `files` (type-checking them together is much cheaper than
 * one program each). It returns `{input, output}` as JSON texts for one of the files; either is
 * left out when `main` cannot be read. `previous`, a reader made earlier in this process, lends
 * its program so that unchanged files (the standard library's declarations above all) are not
 * parsed again; the reader's `program` is kept for that.
 */
export function schemaReader(files, previous) {
  const program = ts.createProgram(files, options, undefined, previous?.program);
  const checker = program.getTypeChecker();
  const read = (file, stage) => schemasOf(checker, program.getSourceFile(file), stage);
  read.program = program;
  return read;
}

function schemasOf(checker, source, stage) {
  const module = source && checker.getSymbolAtLocation(source);
  const main = module && checker.getExportsOfModule(module).find((symbol) => symbol.name === "main");
  if (!main) return {};
  const mainType = checker.getTypeOfSymbolAtLocation(main, source);
  const signature = mainType.getCallSignatures()[0];
  if (!signature) return {};
  const schemas = {};
  const parameter = signature.getParameters()[0];
  if (parameter) {
    const input = checker.getTypeOfSymbolAtLocation(parameter, source).getProperty("clientInput");
    if (input) schemas.input = JSON.stringify(toSchema(checker, checker.getTypeOfSymbolAtLocation(input, source), 0));
  }
  const output = successOutput(checker, signature.getReturnType(), source, stage);
  if (output) schemas.output = JSON.stringify(output);
  return schemas;
}

function unwrapPromise(checker, type) {
  const awaited = checker.getAwaitedType?.(type);
  return awaited ?? type;
}

/** The schema of what a `success` answer carries besides `status`. */
function successOutput(checker, returnType, source, stage) {
  const type = unwrapPromise(checker, returnType);
  const members = type.isUnion() ? type.types : [type];
  const successes = members.filter((member) => {
    const status = member.getProperty("status");
    if (!status) return false;
    const statusType = checker.getTypeOfSymbolAtLocation(status, source);
    return statusType.isStringLiteral() && statusType.value === "success";
  });
  if (successes.length === 0) return undefined;
  const schemas = successes.map((member) => objectSchema(checker, member, 0, new Set(["status"])));
  // A client stage that returns `success` alone delivers no client output (null on the wire).
  const described = schemas.map((schema) =>
    stage === "client" && Object.keys(schema.properties).length === 0 && !schema.additionalProperties ? { type: "null" } : schema,
  );
  return described.length === 1 ? described[0] : { anyOf: described };
}

function objectSchema(checker, type, depth, skip = new Set()) {
  const properties = {};
  const required = [];
  for (const property of checker.getPropertiesOfType(type)) {
    if (skip.has(property.name)) continue;
    const declaration = property.valueDeclaration ?? property.declarations?.[0];
    const propertyType = declaration
      ? checker.getTypeOfSymbolAtLocation(property, declaration)
      : checker.getTypeOfSymbol(property);
    if (propertyType.getCallSignatures().length > 0) continue; // functions are not sent
    const optional = (property.flags & ts.SymbolFlags.Optional) !== 0;
    const schema = toSchema(checker, optional ? checker.getNonNullableType(propertyType) : propertyType, depth + 1);
    const doc = ts.displayPartsToString(property.getDocumentationComment(checker)).trim();
    properties[property.name] = doc ? { ...schema, description: doc } : schema;
    if (!optional) required.push(property.name);
  }
  const schema = { type: "object", properties, required };
  const index = checker.getIndexInfoOfType(type, ts.IndexKind.String);
  if (index) schema.additionalProperties = toSchema(checker, index.type, depth + 1);
  return schema;
}

function toSchema(checker, type, depth) {
  if (depth > MAX_DEPTH) return {};
  const flags = type.flags;
  if (flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.Never)) return {};
  if (flags & ts.TypeFlags.Null) return { type: "null" };
  if (flags & ts.TypeFlags.Undefined || flags & ts.TypeFlags.Void) return { type: "null" };
  if (type.isStringLiteral()) return { const: type.value };
  if (type.isNumberLiteral()) return { const: type.value };
  if (flags & ts.TypeFlags.BooleanLiteral) return { const: checker.typeToString(type) === "true" };
  if (flags & ts.TypeFlags.StringLike) return { type: "string" };
  if (flags & ts.TypeFlags.NumberLike || flags & ts.TypeFlags.BigIntLike) return { type: "number" };
  if (flags & ts.TypeFlags.BooleanLike) return { type: "boolean" };
  if (type.isUnion()) {
    const members = type.types;
    const literals = members.filter((member) => flagsOf(member) & ts.TypeFlags.BooleanLiteral);
    if (literals.length === 2 && members.length === 2) return { type: "boolean" };
    const rest = literals.length === 2 ? members.filter((member) => !literals.includes(member)) : members;
    const anyOf = rest.map((member) => toSchema(checker, member, depth + 1));
    if (literals.length === 2) anyOf.push({ type: "boolean" });
    return { anyOf };
  }
  if (checker.isTupleType(type)) {
    const items = checker.getTypeArguments(type).map((item) => toSchema(checker, item, depth + 1));
    return { type: "array", prefixItems: items, items: false };
  }
  if (checker.isArrayType(type)) {
    return { type: "array", items: toSchema(checker, checker.getTypeArguments(type)[0], depth + 1) };
  }
  if (flags & ts.TypeFlags.Object || type.isIntersection()) {
    if (type.getCallSignatures().length > 0) return {};
    const name = type.getSymbol()?.getName();
    if (name === "Date") return { type: "string" }; // as JSON sends it
    if (name === "Uint8Array") return {};
    return objectSchema(checker, type, depth);
  }
  return {};
}

function flagsOf(type) {
  return type.flags;
}
