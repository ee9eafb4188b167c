// Per-plugin metrics on /metrics, against a real `synchost serve` and the hostile fixtures, with
// the official socket.io-client: the page is valid Prometheus text (checked by the small parser
// below, not by matching a few lines), a hostile call increments exactly the error series of its
// route, version, stage and code, and the series of a version whose file is deleted disappear.
//
// Every wait has a timeout that only guards against hanging.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { io } from "socket.io-client";
import { repo, startHost } from "./host.mjs";

const ATTACK = path.join(repo, "build", "fixtures", "hostile", "_sync", "attack_server_v1.wasm");
const GUARD = 60000;
let host;
let tree;
let socket;

/**
 * Parses the Prometheus text format (0.0.4) strictly enough to catch a broken exposition: every
 * sample belongs to a family declared by `# TYPE` before it, names and labels are well formed,
 * values are numbers, no series appears twice, counters end in `_total`, and each histogram's
 * buckets rise with `le` and end at `+Inf` equal to its `_count`. Returns the samples.
 */
function parseExposition(text) {
  const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
  const types = new Map();
  const samples = [];
  const seen = new Set();
  assert.ok(text.endsWith("\n"), "the page ends with a newline");
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.startsWith("# HELP ")) {
      assert.match(line.slice(7).split(" ")[0], NAME, line);
      continue;
    }
    if (line.startsWith("# TYPE ")) {
      const [name, type] = line.slice(7).split(" ");
      assert.match(name, NAME, line);
      assert.ok(["counter", "gauge", "histogram"].includes(type), line);
      assert.ok(!types.has(name), `family ${name} declared twice`);
      if (type === "counter") assert.ok(name.endsWith("_total"), `counter ${name} lacks _total`);
      types.set(name, type);
      continue;
    }
    const match = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/);
    assert.ok(match, `not a sample line: ${JSON.stringify(line)}`);
    const [, name, labelText = "", valueText] = match;
    const labels = {};
    const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;
    let at = 0;
    while (at < labelText.length) {
      labelPattern.lastIndex = at;
      const label = labelPattern.exec(labelText);
      assert.ok(label, `bad labels in ${line}`);
      labels[label[1]] = label[2];
      at = labelPattern.lastIndex;
    }
    const value = valueText === "+Inf" ? Infinity : Number(valueText);
    assert.ok(!Number.isNaN(value), `bad value in ${line}`);
    const family = [name, name.replace(/_(bucket|sum|count)$/, "")].find((f) => types.has(f));
    assert.ok(family, `sample ${name} has no # TYPE before it`);
    const key = `${name}${JSON.stringify(labels)}`;
    assert.ok(!seen.has(key), `series twice: ${key}`);
    seen.add(key);
    samples.push({ name, family, type: types.get(family), labels, value });
  }
  const histograms = new Map();
  for (const sample of samples.filter((s) => s.type === "histogram")) {
    const { le, ...rest } = sample.labels;
    const id = `${sample.family}${JSON.stringify(rest)}`;
    const entry = histograms.get(id) ?? { buckets: [], count: undefined };
    if (sample.name.endsWith("_bucket")) entry.buckets.push([le === "+Inf" ? Infinity : Number(le), sample.value]);
    if (sample.name.endsWith("_count")) entry.count = sample.value;
    histograms.set(id, entry);
  }
  for (const [id, { buckets, count }] of histograms) {
    assert.ok(buckets.length > 0, `${id} has no buckets`);
    for (let i = 1; i < buckets.length; i++) {
      assert.ok(buckets[i][0] > buckets[i - 1][0] && buckets[i][1] >= buckets[i - 1][1], `${id} buckets out of order`);
    }
    assert.equal(buckets.at(-1)[0], Infinity, `${id} lacks +Inf`);
    assert.equal(buckets.at(-1)[1], count, `${id}: +Inf bucket differs from _count`);
  }
  return samples;
}

async function page() {
  return parseExposition(await host.metricsText());
}

/** The samples of `name` whose labels include `labels`. */
function find(samples, name, labels) {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

function ack(event, ...args) {
  let timer;
  return Promise.race([
    new Promise((resolve) => socket.emit(event, ...args, resolve)),
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${event}: no answer`)), GUARD))),
  ]).finally(() => clearTimeout(timer));
}

const attack = (version, kind) =>
  ack("sync", { name: "hostile/attack", version: `v${version}`, data: { attack: kind }, receiver: "metrics" });

before(async () => {
  tree = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-metrics-"));
  fs.mkdirSync(path.join(tree, "hostile", "_sync"), { recursive: true });
  for (const version of [1, 2]) {
    fs.copyFileSync(ATTACK, path.join(tree, "hostile", "_sync", `attack_server_v${version}.wasm`));
  }
  host = await startHost({
    plugins: [tree],
    // A small fuel budget, so `loop` ends as plugin.outOfFuel and never as a timeout.
    config: `[plugins.routes."hostile/attack".server]\nfuel = 50_000_000\ntimeout_ms = 30000\n`,
  });
  socket = io(host.url, { forceNew: true, reconnection: false, transports: ["websocket"] });
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  assert.equal((await ack("joinRoom", "metrics")).status, "success");
});

after(() => {
  socket?.disconnect();
  host?.stop();
  if (tree) fs.rmSync(tree, { recursive: true, force: true });
});

test("the exposition parses and keeps the host-wide names", async () => {
  const samples = await page();
  for (const name of ["synchost_routes", "synchost_plugin_file_errors", "synchost_syncs_accepted_total",
    "synchost_connections_open", "synchost_cluster_syncs_published_total"]) {
    assert.equal(find(samples, name, {}).length, 1, `${name} is missing`);
  }
  assert.equal(await host.metric("synchost_routes"), 2);
});

test("a hostile call increments the error counter of its route, version, stage and code", async () => {
  const series = { route: "hostile/attack", version: "1", stage: "server" };
  const before = await page();
  assert.equal(find(before, "synchost_plugin_calls_total", series)[0]?.value, 0);
  assert.equal(find(before, "synchost_plugin_errors_total", series).length, 0);

  const loop = await attack(1, "loop");
  assert.equal(loop.errorCode, "plugin.outOfFuel", JSON.stringify(loop));
  const panic = await attack(1, "panic");
  assert.equal(panic.errorCode, "plugin.trap", JSON.stringify(panic));
  assert.equal((await attack(1, "ok")).status, "success");

  const after = await page();
  assert.equal(find(after, "synchost_plugin_calls_total", series)[0]?.value, 3);
  const errors = find(after, "synchost_plugin_errors_total", series)
    .map((s) => [s.labels.code, s.value])
    .sort();
  assert.deepEqual(errors, [["plugin.outOfFuel", 1], ["plugin.trap", 1]]);
  // The other version of the same route saw none of it.
  const other = { ...series, version: "2" };
  assert.equal(find(after, "synchost_plugin_calls_total", other)[0]?.value, 0);
  assert.equal(find(after, "synchost_plugin_errors_total", other).length, 0);
  // Three calls were timed and their fuel measured; the loop spent at least its whole budget.
  assert.equal(find(after, "synchost_plugin_call_duration_seconds_count", series)[0]?.value, 3);
  assert.equal(find(after, "synchost_plugin_call_fuel_count", series)[0]?.value, 3);
  assert.ok(find(after, "synchost_plugin_call_fuel_sum", series)[0]?.value >= 50_000_000);
  assert.ok(find(after, "synchost_plugin_instance_memory_bytes", series)[0]?.value > 0);
  assert.equal(find(after, "synchost_plugin_loads_total", series)[0]?.value, 1);
});

test("the series of a deleted version disappear", async () => {
  const v2 = { route: "hostile/attack", version: "2", stage: "server" };
  assert.equal((await attack(2, "ok")).status, "success");
  assert.equal(find(await page(), "synchost_plugin_calls_total", v2)[0]?.value, 1);

  fs.rmSync(path.join(host.root, "hostile", "_sync", "attack_server_v2.wasm"));
  for (let tries = 0; (await host.metric("synchost_routes")) !== 1; tries++) {
    assert.ok(tries < 3000, "version 2 was never unpublished");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const samples = await page();
  assert.deepEqual(samples.filter((s) => s.labels.version === "2"), []);
  assert.equal(find(samples, "synchost_plugin_calls_total", { ...v2, version: "1" }).length, 1);
});

test("GET /admin/plugins: admin tokens only; limits, counters and load errors", async () => {
  const url = `${host.url}/admin/plugins`;
  assert.equal((await fetch(url)).status, 401);
  const plain = host.token("--sub", "someone");
  assert.equal((await fetch(url, { headers: { authorization: `Bearer ${plain}` } })).status, 403);
  const admin = host.token("--sub", "operator", "--admin");
  const read = async () => {
    const response = await fetch(url, { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type"), /^application\/json/);
    return response.json();
  };

  fs.writeFileSync(path.join(host.root, "hostile", "_sync", "broken_server_v1.wasm"), "not a component");
  let report = await read();
  for (let tries = 0; !report.loadErrors.some((e) => e.path.endsWith("broken_server_v1.wasm")); tries++) {
    assert.ok(tries < 3000, "the broken file was never reported");
    await new Promise((resolve) => setTimeout(resolve, 20));
    report = await read();
  }
  const server = report.routes.find((r) => r.route === "hostile/attack" && r.version === 1).stages.server;
  assert.equal(server.hash.length, 64);
  assert.equal(server.path, "hostile/_sync/attack_server_v1.wasm");
  assert.equal(server.limits.fuel, 50_000_000);
  assert.equal(server.limits.timeoutMs, 30000);
  assert.deepEqual(server.capabilities, []);
  assert.equal(server.calls, 3);
  assert.deepEqual(server.errors, { "plugin.outOfFuel": 1, "plugin.trap": 1 });
  assert.equal(server.loads, 1);
  // The broken file publishes nothing: its version is unavailable, with the reason, and it counts
  // one load failure for its route.
  assert.deepEqual(report.unavailable.map(({ reason, ...rest }) => rest), [
    { route: "hostile/broken", version: 1, stage: "server" },
  ]);
  assert.match(report.unavailable[0].reason, /did not load/);
  assert.equal(report.routes.some((r) => r.route === "hostile/broken"), false);
  const failures = find(await page(), "synchost_plugin_load_failures_total", { route: "hostile/broken", version: "1" });
  assert.equal(failures[0]?.value, 1);
});
