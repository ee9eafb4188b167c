/**
 * A real `synchost serve` for the client's integration tests: a private temp folder with a copy of
 * the built handlers, its own config with a shared secret, and token minting with the real CLI.
 *
 * SYNCHOST_BIN (default `../target/debug/synchost` from `client/`) and SYNCHOST_PLUGINS (default
 * `../build/plugins`) say what to run; a missing binary or plugins root fails the tests loudly.
 * SYNCHOST_CACHE (default `node_modules/.cache/synchost`) keeps compiled components between runs.
 * Only the pages the tests call are copied (`examples`, `test`): the TypeScript twins would add
 * minutes of compiling to a cold start and nothing to these tests.
 */
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

// Compiled to client/test-dist/test/integration/: three levels up is client/.
const clientDir = fileURLToPath(new URL("../../../", import.meta.url));
const binary = process.env.SYNCHOST_BIN ?? path.join(clientDir, "..", "target", "debug", "synchost");
const plugins = process.env.SYNCHOST_PLUGINS ?? path.join(clientDir, "..", "build", "plugins");
// Compiled components are keyed by content and engine, so one cache can serve every run.
const PAGES = ["examples", "test"];
const cache = process.env.SYNCHOST_CACHE ?? path.join(clientDir, "node_modules", ".cache", "synchost");

/** A running host. */
export type Host = { url: string; token(...args: string[]): string; stop(): void };

/** Starts the host on a free port. */
export async function startHost(): Promise<Host> {
  for (const [what, where] of [["SYNCHOST_BIN", binary], ["SYNCHOST_PLUGINS", plugins]] as const) {
    if (!fs.existsSync(where)) throw new Error(`${where} does not exist: build it or set ${what}`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-client-"));
  const root = path.join(dir, "plugins");
  for (const page of PAGES) fs.cpSync(path.join(plugins, page), path.join(root, page), { recursive: true });
  const config = path.join(dir, "synchost.toml");
  fs.writeFileSync(
    config,
    [
      "[server]",
      'host = "127.0.0.1"',
      "port = 0",
      `plugins_root = ${JSON.stringify(root)}`,
      "[runtime]",
      `cache_dir = ${JSON.stringify(cache)}`,
      "[store]",
      `path = ${JSON.stringify(path.join(dir, "kv.redb"))}`,
      "[auth]",
      `secret = ${JSON.stringify(randomBytes(32).toString("hex"))}`,
      // Short test tokens end when they say, not 30 s later.
      "leeway_s = 0",
    ].join("\n"),
  );
  const child = spawn(binary, ["serve", "--config", config], {
    cwd: dir,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = "";
    // Only a guard against hanging: a cold start compiles every component first.
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no "listening on" line from ${binary}: ${seen}`));
    }, 300_000);
    child.stdout.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(seen);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${binary} exited with ${code}: ${seen}`));
    });
  });
  return {
    url,
    token: (...args) => execFileSync(binary, ["token", "--config", config, ...args], { cwd: dir }).toString().trim(),
    stop() {
      child.kill("SIGTERM");
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
