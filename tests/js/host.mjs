// Starts a real `synchost serve` for end-to-end tests: a private folder with a copy of the built
// handlers, its own config, cache and store, and a way to mint tokens with the real CLI.
import { spawn, execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.join(here, "..", "..");
export const binary = process.env.SYNCHOST_BIN ?? path.join(repo, "target", "debug", "synchost");

/** Copies a folder tree (plain files and folders only). */
export function copyTree(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) copyTree(source, target);
    else if (entry.isFile()) fs.copyFileSync(source, target);
  }
}

/**
 * Starts the host on a free port. `plugins` lists folders whose trees are copied into the plugins
 * root; `server` is TOML lines added to the generated [server] section; `config` is TOML appended
 * after the generated [server], [runtime] and [store] sections;
 * `args` go to `synchost serve` after the config (e.g. `--static <dir>`). Hosts given the same
 * `cacheDir` share compiled handlers (its files are immutable, written under temporary names).
 */
export async function startHost({ plugins, config = "", server = "", args = [], cacheDir }) {
  for (const tree of plugins) {
    if (!fs.existsSync(tree)) throw new Error(`${tree} is missing: run scripts/build-plugins first`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-e2e-"));
  const root = path.join(dir, "plugins");
  for (const tree of plugins) copyTree(tree, root);
  const configPath = path.join(dir, "synchost.toml");
  const configText = (extra) =>
    [
      "[server]",
      'host = "127.0.0.1"',
      "port = 0",
      `plugins_root = ${JSON.stringify(root)}`,
      server,
      "[runtime]",
      `cache_dir = ${JSON.stringify(cacheDir ?? path.join(dir, "cache"))}`,
      "[store]",
      `path = ${JSON.stringify(path.join(dir, "kv.redb"))}`,
      extra,
    ].join("\n");
  fs.writeFileSync(configPath, configText(config));
  const serveArgs = ["serve", "--config", configPath, ...args];
  let { child, url, banner } = await launch(serveArgs);
  let adminToken;
  return {
    get url() {
      return url;
    },
    /** The operator endpoints' own address, when `server` set `admin_listen`. */
    get operatorUrl() {
      return banner.match(/operator endpoints on (http:\/\/[^\s]+)/)?.[1];
    },
    root,
    dir,
    /**
     * Kills the host with `signal` (SIGKILL: no chance to flush anything), waits for it to exit,
     * and starts it again on the same folder, config, cache and store. `url` changes.
     */
    /**
     * Sends `signal` to the host and returns at once; the promise resolves with `{ code, signal }`
     * when the process has exited.
     */
    signal(name) {
      const exited = new Promise((resolve) => {
        if (child.exitCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
        else child.once("exit", (code, signal) => resolve({ code, signal }));
      });
      child.kill(name);
      return exited;
    },
    /** Kills the host with `signal` and waits for it to exit (no restart). */
    async kill(signal = "SIGKILL") {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill(signal);
      await exited;
    },
    async restart(signal = "SIGKILL") {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill(signal);
      await exited;
      ({ child, url, banner } = await launch(serveArgs));
    },
    /**
     * Replaces the TOML appended to the generated sections, atomically (the host's watcher applies
     * the live sections: plugin limits, [sync], [rooms]).
     */
    rewriteConfig(extra) {
      const temporary = path.join(dir, `.synchost-${process.pid}.toml.tmp`);
      fs.writeFileSync(temporary, configText(extra));
      fs.renameSync(temporary, configPath);
    },
    /** The host's whole /metrics page (read with an admin token, as the host requires). */
    async metricsText() {
      adminToken ??= this.token("--sub", "operator", "--admin");
      const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } });
      if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
      return response.text();
    },
    /** One value of the host's /metrics page: `name` is the series as written, labels included. */
    async metric(name) {
      const line = (await this.metricsText()).split("\n").find((l) => l.startsWith(`${name} `));
      return Number(line?.split(" ")[1] ?? NaN);
    },
    /** Mints a token with `synchost token` (args: --sub, --name, --lang, --admin, --claim k=v, ...). */
    token(...args) {
      return execFileSync(binary, ["token", "--config", configPath, ...args]).toString().trim();
    },
    stop() {
      child.kill("SIGTERM");
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `synchost <args>` and resolves once it prints its listening address. */
export async function launch(args) {
  const child = spawn(binary, args, {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" },
  });
  const { url, banner } = await new Promise((resolve, reject) => {
    let seen = "";
    // Only a guard against hanging: a cold start compiles every component first, and those built
    // from TypeScript embed a whole JavaScript engine each.
    const timer = setTimeout(() => reject(new Error(`no listening line from ${binary}: ${seen}`)), 300000);
    child.stdout.on("data", (chunk) => {
      seen += chunk.toString();
      const match = seen.match(/listening on (http:\/\/[^\s]+)/);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1], banner: seen });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${seen}`));
    });
  });
  return { child, url, banner };
}

/** An HS256 token signed with `secret`, with any claims (for expired or forged tokens). */
export function signToken(secret, claims) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const body = `${encode({ alg: "HS256", typ: "JWT" })}.${encode(claims)}`;
  const signature = createHmac("sha256", secret).update(body).digest("base64url");
  return `${body}.${signature}`;
}
