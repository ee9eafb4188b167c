// Starts a real `synchost serve --static <demo>` for the browser tests: a private folder with a copy of
// the built handlers and its own config, cache and store, on a free port. For the cluster test, runs
// `scripts/cluster` itself (Redis and the nodes, as a developer starts them) on free ports.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { binary, repo, startHost } from "../js/host.mjs";

export { repo };

/** Where the built demo page is (scripts/build-demo writes it); DEMO_DIR overrides. */
export const demoDir = process.env.DEMO_DIR ?? path.join(repo, "build", "demo");

/** A folder holding only the built `examples` page. */
function examplesOnly() {
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-demo-handlers-"));
  fs.cpSync(path.join(repo, "build", "plugins", "examples"), path.join(tree, "examples"), { recursive: true });
  return tree;
}

function demoBuilt() {
  for (const needed of [path.join(demoDir, "index.html"), path.join(demoDir, "app.js")]) {
    if (!fs.existsSync(needed)) throw new Error(`${needed} is missing: run scripts/build-demo first`);
  }
}

/** Starts the host serving the example handlers and `demoDir`; resolves once it listens. */
export async function startDemoHost() {
  demoBuilt();
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

/** Only a guard against hanging: a cold cache compiles the handlers before the first node listens. */
const CLUSTER_READY_WITHIN_MS = 300000;

/**
 * Runs `scripts/cluster --no-build` with `nodes` nodes on free ports, serving the example handlers
 * and `demoDir`; resolves once it prints `ready` with `{ redis: {url, pid}, nodes: [{id, url, pid}],
 * folder, token(...args), metric(node, name), stop(signal) }`. token() mints a token every node
 * accepts (they share one secret); metric() reads one value of a node's /metrics with an admin token;
 * stop() sends `signal` (SIGINT, as Ctrl-C does) to the script and resolves with its exit code once
 * it has exited.
 */
export async function startDemoCluster(nodes) {
  demoBuilt();
  const handlers = examplesOnly();
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-demo-cache-"));
  const child = spawn(path.join(repo, "scripts", "cluster"), ["--no-build"], {
    cwd: repo,
    stdio: ["ignore", "pipe", "inherit"],
    env: {
      ...process.env,
      CLUSTER_PORTS: Array(nodes).fill("0").join(" "),
      CLUSTER_PLUGINS: handlers,
      CLUSTER_STATIC: demoDir,
      CLUSTER_CACHE: cache,
      SYNCHOST_BIN: binary,
      RUST_LOG: process.env.RUST_LOG ?? "warn",
    },
  });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)));
  const removeFolders = () => {
    fs.rmSync(handlers, { recursive: true, force: true });
    fs.rmSync(cache, { recursive: true, force: true });
  };
  const cluster = { redis: null, nodes: [] };
  try {
    await new Promise((resolve, reject) => {
      let seen = "";
      const timer = setTimeout(() => reject(new Error(`scripts/cluster printed no ready line: ${seen}`)), CLUSTER_READY_WITHIN_MS);
      child.stdout.on("data", (chunk) => {
        seen += chunk.toString();
        // Whole lines only: the last piece may still be growing.
        for (const line of seen.split("\n").slice(0, -1)) {
          const redis = line.match(/^redis (\S+) pid (\d+)$/);
          if (redis) cluster.redis = { url: redis[1], pid: Number(redis[2]) };
          const node = line.match(/^node (\S+) (\S+) pid (\d+)$/);
          if (node && !cluster.nodes.some((known) => known.id === node[1])) {
            cluster.nodes.push({ id: node[1], url: node[2], pid: Number(node[3]) });
          }
          const folder = line.match(/^folder (\S+)$/);
          if (folder) cluster.folder = folder[1];
          if (line === "ready") {
            clearTimeout(timer);
            resolve();
          }
        }
      });
      exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`scripts/cluster exited with ${code} before it was ready: ${seen}`));
      });
    });
  } catch (error) {
    child.kill("SIGTERM");
    await exited;
    removeFolders();
    throw error;
  }
  cluster.token = (...args) =>
    execFileSync(binary, ["token", "--config", path.join(cluster.folder, `${cluster.nodes[0].id}.toml`), ...args])
      .toString()
      .trim();
  let adminToken;
  cluster.metric = async (node, name) => {
    adminToken ??= cluster.token("--sub", "operator", "--admin");
    const response = await fetch(`${node.url}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } });
    if (!response.ok) throw new Error(`${node.id} /metrics answered ${response.status}`);
    const line = (await response.text()).split("\n").find((candidate) => candidate.startsWith(`${name} `));
    return Number(line?.split(" ")[1] ?? NaN);
  };
  cluster.stop = async (signal = "SIGINT") => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const code = await exited;
    removeFolders();
    return code;
  };
  return cluster;
}
