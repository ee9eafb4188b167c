// Starts a real `synchost serve --static <demo>` for the browser test: a private folder with a copy of
// the built handlers and its own config, cache and store, on a free port.
import fs from "node:fs";
import path from "node:path";
import { repo, startHost } from "../js/host.mjs";

export { repo };

/** Where the built demo page is (scripts/build-demo writes it); DEMO_DIR overrides. */
export const demoDir = process.env.DEMO_DIR ?? path.join(repo, "build", "demo");

/** Starts the host serving the example handlers and `demoDir`; resolves once it listens. */
export async function startDemoHost() {
  for (const needed of [path.join(demoDir, "index.html"), path.join(demoDir, "app.js")]) {
    if (!fs.existsSync(needed)) throw new Error(`${needed} is missing: run scripts/build-demo first`);
  }
  return startHost({
    plugins: [path.join(repo, "build", "plugins")],
    // A secret of its own, so the host does not create a development secret in the working folder.
    config: '[auth]\nsecret = "browser-test-secret-not-for-production"',
    args: ["--static", demoDir],
  });
}
