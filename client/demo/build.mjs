// Bundles src/main.ts with synchost-client and socket.io-client into one ES module and writes it
// with the page: <outdir>/index.html and <outdir>/app.js (+ app.js.map). Also bundles the admin
// page (src/admin/, served by synchost under /admin/ from `[server] admin_page_dir`):
// <adminOutdir>/index.html and <adminOutdir>/admin.js. And copies the official Socket.IO Admin UI
// (`ui/dist` of the pinned @socket.io/admin-ui package) to <adminUiOutdir>, which synchost serves
// under /admin-ui/ from `[server] admin_ui_dir`.
//
//   node build.mjs [outdir] [adminOutdir] [adminUiOutdir]
//   defaults: ../../build/demo, ../../build/admin, ../../build/admin-ui
import { build } from "esbuild";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(process.argv[2] ?? path.join(here, "..", "..", "build", "demo"));
const adminOutdir = path.resolve(process.argv[3] ?? path.join(here, "..", "..", "build", "admin"));
const adminUiOutdir = path.resolve(process.argv[4] ?? path.join(here, "..", "..", "build", "admin-ui"));

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

fs.rmSync(adminUiOutdir, { recursive: true, force: true });
fs.cpSync(path.join(here, "node_modules", "@socket.io", "admin-ui", "ui", "dist"), adminUiOutdir, { recursive: true });
console.log(`Socket.IO Admin UI copied to ${adminUiOutdir}`);
