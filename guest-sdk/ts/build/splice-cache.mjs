// Remembers componentize-js's first step, the splice of a WIT world's bindings into its JavaScript
// engine, on disk under target/ts-components/splices.
//
// componentize-js builds every component in three steps: splice the world's bindings into the
// engine (the same result for every handler of a world: the handler's source is not an input),
// pre-initialise the engine with the handler's JavaScript (wizer), then wrap it as a component.
// The splice runs a 6 MB wasm program inside Node and is the slowest of the three in a fresh
// process (about 5 s here, against under 1 s once V8 has optimised it), so a one-file rebuild paid
// it every time. componentize-js calls it through a plain object exported by its splicer module;
// `remember()` replaces that object's `spliceBindings` with one that looks in this cache first.
// The key is a hash of every input (engine bytes, features, world, WIT text, componentize-js
// version), so a new engine or WIT gets a new entry. Entries are written under a temporary name and
// renamed; one that cannot be read is spliced again.

import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * Wraps `splicer.spliceBindings` (componentize-js's own splicer object, so its `componentize` sees
 * the wrapper) with a cache in `dir`. `witText` is the text of every WIT file, `version` that of
 * componentize-js. Returns counters of hits and misses.
 */
export function remember(splicer, dir, witText, version) {
  const counts = { hits: 0, misses: 0 };
  const splice = splicer.spliceBindings.bind(splicer);
  splicer.spliceBindings = (engine, features, witWorld, witPath, worldName, debug) => {
    const key = createHash("sha256")
      .update(JSON.stringify([version, features, witWorld ?? null, worldName ?? null, debug, witText]))
      .update(engine)
      .digest("hex");
    const wasmPath = path.join(dir, `${key}.wasm`);
    const restPath = path.join(dir, `${key}.json`);
    try {
      const rest = JSON.parse(fs.readFileSync(restPath, "utf8"));
      const wasm = new Uint8Array(fs.readFileSync(wasmPath));
      counts.hits += 1;
      return { wasm, ...rest };
    } catch {
      // Not cached yet, or unreadable: splice and (re)write it.
    }
    const result = splice(engine, features, witWorld, witPath, worldName, debug);
    counts.misses += 1;
    fs.mkdirSync(dir, { recursive: true });
    const { wasm, ...rest } = result;
    // The bytes first: an entry counts only once its .json exists.
    writeAtomically(wasmPath, wasm);
    writeAtomically(restPath, JSON.stringify(rest));
    return result;
  };
  return counts;
}

function writeAtomically(file, data) {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, data);
  fs.renameSync(temporary, file);
}
