// Runs handler authors' native tests: every `*.test.ts` under the given folders is bundled by
// esbuild for Node (with `synchost-sdk` and `synchost-sdk/testing` resolved to this package) and
// run with `node --test`. No component is built; the handler runs against `testing.FakeHost`.
//
//   node build/test.mjs <folder>...

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const sdk = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function testFiles(dir, found = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || entry.name === "node_modules" || entry.name === "target") continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) testFiles(full, found);
    else if (entry.name.endsWith(".test.ts")) found.push(full);
  }
  return found;
}

const folders = process.argv.slice(2);
if (folders.length === 0) {
  console.error("usage: node build/test.mjs <folder>...");
  process.exit(2);
}
const files = folders.flatMap((folder) => testFiles(path.resolve(folder))).sort();
if (files.length === 0) {
  console.error(`no *.test.ts files under ${folders.join(", ")}`);
  process.exit(1);
}
const out = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-ts-tests-"));
try {
  const bundles = [];
  for (const [index, file] of files.entries()) {
    const outfile = path.join(out, `${index}-${path.basename(file, ".ts")}.mjs`);
    await esbuild.build({
      entryPoints: [file],
      outfile,
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      sourcemap: "inline",
      alias: {
        "synchost-sdk/testing": path.join(sdk, "src", "testing.ts"),
        "synchost-sdk": path.join(sdk, "src", "index.ts"),
      },
      logLevel: "warning",
    });
    bundles.push(outfile);
  }
  const run = spawnSync(process.execPath, ["--test", "--test-reporter=spec", ...bundles], { stdio: "inherit" });
  process.exitCode = run.status ?? 1;
} finally {
  fs.rmSync(out, { recursive: true, force: true });
}
