// Starts a real `synchost serve --static <demo>` for the browser test: a private folder with a copy of
// the built handlers and its own config, cache and store, on a free port.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { repo, startHost } from "../js/host.mjs";

export { repo };

/** Where the built demo page is (scripts/build-demo writes it); DEMO_DIR overrides. */
export const demoDir = process.env.DEMO_DIR ?? path.join(repo, "build", "demo");

/** A folder holding only the built `examples` page. */
function examplesOnly() {
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-demo-handlers-"));
  fs.cpSync(path.join(repo, "build", "plugins", "examples"), path.join(tree, "examples"), { recursive: true });
  return tree;
}

/** Starts the host serving the example handlers and `demoDir`; resolves once it listens. */
export async function startDemoHost() {
  for (const needed of [path.join(demoDir, "index.html"), path.join(demoDir, "app.js")]) {
    if (!fs.existsSync(needed)) throw new Error(`${needed} is missing: run scripts/build-demo first`);
  }
  const handlers = examplesOnly();
  const host = await startHost({
    // Only the page the demo calls: the other pages (the TypeScript twins above all) would add
    // compiling to the start and nothing to the test.
    plugins: [handlers],
    // A secret of its own, so the host does not create a development secret in the working folder.
    config: '[auth]\nsecret = "browser-test-secret-not-for-production"',
    args: ["--static", demoDir],
  });
  const stop = host.stop.bind(host);
  host.stop = () => {
    stop();
    fs.rmSync(handlers, { recursive: true, force: true });
  };
  return host;
}
