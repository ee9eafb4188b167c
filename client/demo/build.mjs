// Bundles src/main.ts with synchost-client and socket.io-client into one ES module and writes it
// with the page: <outdir>/index.html and <outdir>/app.js (+ app.js.map).
//
//   node build.mjs [outdir]      default: ../../build/demo (the repository's build/demo)
import { build } from "esbuild";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(process.argv[2] ?? path.join(here, "..", "..", "build", "demo"));

fs.mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: [path.join(here, "src", "main.ts")],
  outfile: path.join(outdir, "app.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  sourcemap: true,
  minify: false,
  logLevel: "warning",
});
fs.copyFileSync(path.join(here, "src", "index.html"), path.join(outdir, "index.html"));
console.log(`demo written to ${outdir}`);
