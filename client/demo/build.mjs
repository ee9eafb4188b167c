// Bundles src/main.ts with synchost-client and socket.io-client into one ES module and writes it
// with the page: <outdir>/index.html and <outdir>/app.js (+ app.js.map). Also bundles the admin
// page (src/admin/, served by synchost under /admin/ from `[server] admin_page_dir`):
// <adminOutdir>/index.html and <adminOutdir>/admin.js.
//
//   node build.mjs [outdir] [adminOutdir]   defaults: ../../build/demo and ../../build/admin
import { build } from "esbuild";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(process.argv[2] ?? path.join(here, "..", "..", "build", "demo"));
const adminOutdir = path.resolve(process.argv[3] ?? path.join(here, "..", "..", "build", "admin"));

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

fs.mkdirSync(adminOutdir, { recursive: true });
await build({
  entryPoints: [path.join(here, "src", "admin", "main.ts")],
  outfile: path.join(adminOutdir, "admin.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  sourcemap: true,
  minify: false,
  logLevel: "warning",
});
fs.copyFileSync(path.join(here, "src", "admin", "index.html"), path.join(adminOutdir, "index.html"));
console.log(`admin page written to ${adminOutdir}`);
