// The generated types as a front-end developer uses them: `synchost types` writes
// apiTypes.generated.ts for the real example handlers, then the TypeScript compiler must accept
// type-tests/good.ts and refuse each bad-*.ts file for the reason it names.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

const clientDir = fileURLToPath(new URL("../../../", import.meta.url));
const binary = process.env.SYNCHOST_BIN ?? path.join(clientDir, "..", "target", "debug", "synchost");
const plugins = process.env.SYNCHOST_PLUGINS ?? path.join(clientDir, "..", "build", "plugins");
const cases = path.join(clientDir, "type-tests");
const tsc = path.join(clientDir, "node_modules", "typescript", "bin", "tsc");
let generated = "";
let dir = "";

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-types-"));
  const config = path.join(dir, "synchost.toml");
  fs.writeFileSync(config, `[runtime]\ncache_dir = ${JSON.stringify(path.join(dir, "cache"))}\n[store]\npath = ${JSON.stringify(path.join(dir, "kv.redb"))}\n`);
  generated = path.join(cases, "apiTypes.generated.ts");
  execFileSync(binary, ["types", "--config", config, "--root", plugins, "--out", generated], { stdio: ["ignore", "ignore", "inherit"] });
});

// Its compile cache holds every example compiled (hundreds of MB with the TypeScript ones).
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Compiles one case with the generated file; returns the exit status and the diagnostics. */
function compile(file: string): { status: number | null; output: string } {
  const result = spawnSync(
    process.execPath,
    [tsc, "--noEmit", "--strict", "--target", "ES2022", "--module", "NodeNext", "--moduleResolution", "NodeNext",
      "--lib", "ES2022,DOM", generated, path.join(cases, file)],
    { cwd: clientDir, encoding: "utf8" },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

test("the generated file names every example route", () => {
  const text = fs.readFileSync(generated, "utf8");
  for (const route of ['"examples/updateCounter"', '"examples/cursor"', '"test/nestedTest/room"']) {
    assert.ok(text.includes(route), `${route} missing from the generated file`);
  }
  assert.match(text, /declare module "synchost-client"/);
});

test("a correct use compiles", () => {
  const { status, output } = compile("good.ts");
  assert.equal(status, 0, output);
});

for (const [file, mentions] of [
  ["bad-name.ts", "examples/updateCountr"],
  ["bad-data.ts", "string"],
  ["bad-version.ts", "v7"],
] as const) {
  test(`${file} does not compile`, () => {
    const { status, output } = compile(file);
    assert.notEqual(status, 0, `${file} compiled`);
    assert.ok(output.includes(file), output);
    assert.ok(output.includes(mentions), output);
  });
}
