// The TypeScript side of `synchost dev`: one long-lived Node process that builds handler files on
// request, so a save pays for the build alone and not for starting Node, loading esbuild,
// componentize-js and the TypeScript compiler, and warming them up again (a fresh process spends
// twice as long on the same component).
//
//   node build/serve.mjs <source-root> <out-root>
//
// Each line on standard input is one request, a JSON array of handler files relative to
// <source-root> (an empty array: every handler file there). For each file built, one JSON line
// goes to standard output, `{"file", "dest", "written", "seconds"}` or `{"file", "error"}`, and
// then `{"done": true}` ends the request. Build logs never go to standard output. The process
// ends when standard input closes. It never places a component for a file that failed: the last
// good one keeps serving.

import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { buildOne, handlerFiles } from "./build.mjs";
import { schemaReader } from "./schemas.mjs";

const [sourceRoot, outRoot] = process.argv.slice(2);
if (!sourceRoot || !outRoot) {
  console.error("usage: node build/serve.mjs <source-root> <out-root>");
  process.exit(2);
}

const reply = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
// componentize-js and its tools may print; keep standard output for replies.
console.log = (...args) => console.error(...args);

let reader;

/** The files a request names that are handler files today, or all of them. */
function requested(names) {
  const all = handlerFiles(sourceRoot);
  if (names.length === 0) return { all, build: all };
  const wanted = new Set(names.map((name) => path.normalize(name)));
  return { all, build: all.filter((file) => wanted.has(file)) };
}

async function serve(line) {
  let names;
  try {
    names = JSON.parse(line);
    if (!Array.isArray(names) || names.some((name) => typeof name !== "string")) throw new Error("not a list of paths");
  } catch (error) {
    reply({ file: "", error: `bad request: ${error.message}` });
    return;
  }
  const { all, build } = requested(names);
  if (build.length === 0) return;
  reader = schemaReader(
    all.map((file) => path.resolve(sourceRoot, file)),
    reader,
  );
  for (const file of build) {
    const started = performance.now();
    try {
      if (!fs.existsSync(path.resolve(sourceRoot, file))) throw new Error("the file is gone");
      const { dest, written } = await buildOne(sourceRoot, file, outRoot, reader);
      reply({ file, dest, written, seconds: (performance.now() - started) / 1000 });
    } catch (error) {
      reply({ file, error: String(error?.message ?? error) });
    }
  }
}

// One request at a time, in arrival order.
let queue = Promise.resolve();
readline.createInterface({ input: process.stdin }).on("line", (line) => {
  queue = queue
    .then(() => serve(line))
    .catch((error) => reply({ file: "", error: String(error?.message ?? error) }))
    .finally(() => reply({ done: true }));
});
