// Starts a real `synchost serve --static <demo>` for the browser test: a private folder with a copy of
// the built handlers and its own config, cache and store, on a free port.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { binary, copyTree, repo } from "../js/host.mjs";

export { repo };

/** Where the built demo page is (scripts/build-demo writes it); DEMO_DIR overrides. */
export const demoDir = process.env.DEMO_DIR ?? path.join(repo, "build", "demo");

/** Starts the host serving the example handlers and `demoDir`; resolves once it listens. */
export async function startDemoHost() {
  for (const needed of [path.join(demoDir, "index.html"), path.join(demoDir, "app.js")]) {
    if (!fs.existsSync(needed)) throw new Error(`${needed} is missing: run scripts/build-demo first`);
  }
  const plugins = path.join(repo, "build", "plugins");
  if (!fs.existsSync(plugins)) throw new Error(`${plugins} is missing: run scripts/build-plugins build/plugins`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-browser-"));
  const root = path.join(dir, "plugins");
  copyTree(plugins, root);
  const configPath = path.join(dir, "synchost.toml");
  fs.writeFileSync(
    configPath,
    [
      "[server]",
      'host = "127.0.0.1"',
      "port = 0",
      `plugins_root = ${JSON.stringify(root)}`,
      "[runtime]",
      `cache_dir = ${JSON.stringify(path.join(dir, "cache"))}`,
      "[store]",
      `path = ${JSON.stringify(path.join(dir, "kv.redb"))}`,
      // A secret of its own, so the host does not create a development secret in the working folder.
      "[auth]",
      'secret = "browser-test-secret-not-for-production"',
    ].join("\n"),
  );
  const child = spawn(binary, ["serve", "--config", configPath, "--static", demoDir], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" },
  });
  const url = await new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`no listening line from ${binary}: ${seen}`)), 60000);
    child.stdout.on("data", (chunk) => {
      seen += chunk.toString();
      const match = seen.match(/listening on (http:\/\/[^\s]+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${seen}`));
    });
  });
  return {
    url,
    stop() {
      child.kill("SIGTERM");
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
