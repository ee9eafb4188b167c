// Builds TypeScript handler files into components, laid out where the host serves them:
// <source-root>/<page>/_sync/<name>_<server|client|join>_v<n>.ts becomes
// <out-root>/<page>/_sync/<name>_<server|client|join>_v<n>.wasm.
//
//   node build/build.mjs <source-root> <out-root>
//
// Each file is bundled by esbuild together with the SDK's stage adapter for its world (the handler
// itself imports only types), then turned into a component by componentize-js against wit/. The
// result is cached under target/ts-components by a hash of everything that goes in, so unchanged
// handlers cost nothing on the next run; a file whose bytes did not change is left alone, and new
// files are written under a temporary name and renamed, so a watching host never reloads for
// nothing nor reads half a file. Nothing is downloaded: componentize-js runs from node_modules
// with ahead-of-time compilation (weval, which would fetch a binary) left off. Its first step, the
// splice of the world's bindings into the engine, is the same for every handler of a world and is
// kept on disk too (splice-cache.mjs).

import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import { componentize } from "@bytecodealliance/componentize-js";
import { schemaReader } from "./schemas.mjs";
import { remember } from "./splice-cache.mjs";

const sdk = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repo = path.resolve(sdk, "../..");
const wit = path.join(repo, "wit");
const cacheDir = path.join(repo, "target", "ts-components");
const HANDLER = /^(.+)\/_sync\/[A-Za-z0-9]+_(server|client|join)_v[0-9]+\.ts$/;

/** Per stage: the SDK adapter that exports its world, the adapter's factory, the world's exports. */
const WORLDS = {
  server: { adapter: "server.ts", factory: "serverStage", world: "server-stage", exports: ["metadata", "run"] },
  client: { adapter: "client.ts", factory: "clientStage", world: "client-stage", exports: ["metadata", "run"] },
  join: { adapter: "join.ts", factory: "joinHandler", world: "join-handler", exports: ["metadata", "decide"] },
};

const componentizeJs = path.join(sdk, "node_modules", "@bytecodealliance", "componentize-js");
const componentizeVersion = JSON.parse(fs.readFileSync(path.join(componentizeJs, "package.json"), "utf8")).version;
const witText = fs
  .readdirSync(wit)
  .sort()
  .map((name) => fs.readFileSync(path.join(wit, name), "utf8"))
  .join("\n");
const { splicer } = await import(pathToFileURL(path.join(componentizeJs, "lib", "spidermonkey-embedding-splicer.js")).href);
/** Splices taken from / added to the cache by this process. */
export const spliceCounts = remember(splicer, path.join(cacheDir, "splices"), witText, componentizeVersion);

/** Every handler file under `root`, relative to it, in a stable order. */
export function handlerFiles(root) {
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith(".") || entry.name === "node_modules" || entry.name === "target") continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (HANDLER.test(path.relative(root, full).split(path.sep).join("/"))) found.push(full);
    }
  };
  walk(root);
  return found.sort().map((file) => path.relative(root, file));
}

/** The entry module of one component: the handler plus the adapter of its stage. */
function entrySource(file, stage, schemas) {
  const { adapter, factory, exports } = WORLDS[stage];
  return [
    `import * as handler from ${JSON.stringify(file)};`,
    `import { ${factory} } from ${JSON.stringify(path.join(sdk, "src", "wasm", adapter))};`,
    `const stage = ${factory}(handler, ${JSON.stringify(schemas)});`,
    ...exports.map((name) => `export const ${name} = stage.${name};`),
    "",
  ].join("\n");
}

/** Bundles one handler with its adapter into a single ES module (host imports left external). */
export async function bundle(file, stage, schemas) {
  const result = await esbuild.build({
    stdin: { contents: entrySource(file, stage, schemas), resolveDir: path.dirname(file), sourcefile: "entry.ts", loader: "ts" },
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: ["synchost:*"],
    alias: { "synchost-sdk": path.join(sdk, "src", "index.ts") },
    // The bundle names its source files relative to this folder: the repository, so the bytes
    // (and the cache key) do not depend on where the build was started from.
    absWorkingDir: repo,
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

async function componentFor(source, stage, bundled) {
  const key = createHash("sha256")
    .update(`${componentizeVersion}\n${stage}\n${witText}\n${bundled}`)
    .digest("hex");
  const cached = path.join(cacheDir, `${key}.wasm`);
  if (fs.existsSync(cached)) return cached;
  fs.mkdirSync(cacheDir, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-ts-"));
  try {
    const sourcePath = path.join(work, "handler.js");
    fs.writeFileSync(sourcePath, bundled);
    const { component } = await componentize({
      sourcePath,
      witPath: wit,
      worldName: WORLDS[stage].world,
      disableFeatures: ["http", "fetch-event"],
    });
    const temporary = path.join(cacheDir, `.${key}.${process.pid}.tmp`);
    fs.writeFileSync(temporary, component);
    fs.renameSync(temporary, cached);
    return cached;
  } catch (error) {
    throw new Error(`${source}: componentize-js failed: ${error?.message ?? error}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Copies `from` to `to` through a temporary name beside it, unless the bytes are the same;
 * whether it wrote.
 */
function place(from, to) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  const bytes = fs.readFileSync(from);
  if (fs.existsSync(to) && Buffer.compare(fs.readFileSync(to), bytes) === 0) return false;
  const temporary = path.join(path.dirname(to), `.${path.basename(to)}.tmp.${process.pid}`);
  fs.writeFileSync(temporary, bytes);
  fs.renameSync(temporary, to);
  return true;
}

/**
 * Builds one handler file and places its component; returns `{dest, written, bytes}` (`written`
 * is false when the served file already had these bytes).
 */
export async function buildOne(sourceRoot, relative, outRoot, schemasOf) {
  const file = path.resolve(sourceRoot, relative);
  const stage = HANDLER.exec(relative.split(path.sep).join("/"))[2];
  // A join carries no payload: no schemas to read.
  const schemas = stage === "join" ? {} : schemasOf(file, stage);
  const bundled = await bundle(file, stage, schemas);
  const component = await componentFor(relative, stage, bundled);
  const dest = path.join(outRoot, relative.replace(/\.ts$/, ".wasm"));
  const written = place(component, dest);
  return { dest, written, bytes: fs.statSync(dest).size };
}

async function main() {
  const [sourceRoot, outRoot] = process.argv.slice(2);
  if (!sourceRoot || !outRoot) {
    console.error("usage: node build/build.mjs <source-root> <out-root>");
    process.exit(2);
  }
  const files = handlerFiles(sourceRoot);
  const schemasOf = schemaReader(files.map((file) => path.resolve(sourceRoot, file)));
  // componentize-js is CPU bound (it runs the engine's pre-initialisation): one per core.
  const parallel = Math.max(1, Math.min(os.availableParallelism?.() ?? 1, 4));
  let failed = false;
  const queue = [...files];
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        try {
          const { dest, written, bytes } = await buildOne(sourceRoot, next, outRoot, schemasOf);
          console.log(written ? `${dest} ${bytes} bytes` : `${dest} unchanged`);
        } catch (error) {
          failed = true;
          console.error(`${next}: ${error?.message ?? error}`);
        }
      }
    }),
  );
  if (failed) process.exit(1);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
