// The demo page on two nodes of a cluster, in a real browser: `scripts/cluster` starts a real
// redis-server and two `synchost serve` nodes sharing it (as a developer runs them), one visitor opens
// the demo on node A and another on node B, and the shared counter moves on both pages whichever of
// them clicks. Stopping the script as Ctrl-C does takes the nodes and the Redis down with it.
//
// Every wait has a timeout and reports what the page showed instead; nothing asserts on elapsed
// time. Screenshots of each step go to artifacts/ (CHROMIUM_PATH overrides /usr/bin/chromium).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { startDemoCluster } from "./host.mjs";
import { allOf, attrOf, browserReady, byTestId, chromiumPath, openVisitor, shoot, STEP_TIMEOUT, textOf, waitFor } from "./page.mjs";

let cluster;
let browser;
const pageErrors = [];

before(async () => {
  browserReady();
  cluster = await startDemoCluster(2);
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ["--no-sandbox"], timeout: 60000 });
});

after(async () => {
  await browser?.close();
  await cluster?.stop("SIGTERM");
});

/** Whether `pid` is still a process. */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("the demo on two nodes shares one counter, both ways, and Ctrl-C stops the cluster", { timeout: 180000 }, async () => {
  assert.equal(cluster.nodes.length, 2);
  const [nodeA, nodeB] = cluster.nodes;
  assert.notEqual(nodeA.url, nodeB.url);
  const ann = await openVisitor(browser, "node-a", nodeA.url, pageErrors);
  const bob = await openVisitor(browser, "node-b", nodeB.url, pageErrors);
  for (const who of [ann, bob]) {
    await waitFor(who, "connected", attrOf, ["connection", "data-state"], "connected");
  }

  // A room of its own, so nothing else counts in it.
  const room = `cluster-${process.pid}`;
  for (const who of [ann, bob]) {
    await who.page.fill(byTestId("room-input"), room, { timeout: STEP_TIMEOUT });
    await who.page.click(byTestId("join"), { timeout: STEP_TIMEOUT });
    await waitFor(who, "joined rooms", allOf, ["joined-room", "data-room"], [room]);
    await shoot(who, "cluster-01-joined");
  }

  // A click on node A's page reaches node B's page.
  await ann.page.click(byTestId("increment"), { timeout: STEP_TIMEOUT });
  await waitFor(bob, "count after A's click", textOf, "count", "1");
  await waitFor(ann, "own count after A's click", textOf, "count", "1");
  await waitFor(bob, "received from A", allOf, ["received-item", "data-output"], ['{"newValue":1}']);
  for (const who of [ann, bob]) await shoot(who, "cluster-02-click-on-a");

  // And the other way round: node B's page moves node A's.
  await bob.page.click(byTestId("increment"), { timeout: STEP_TIMEOUT });
  await waitFor(ann, "count after B's click", textOf, "count", "2");
  await waitFor(bob, "own count after B's click", textOf, "count", "2");
  const both = ['{"newValue":2}', '{"newValue":1}'];
  await waitFor(ann, "received from both", allOf, ["received-item", "data-output"], both);
  await waitFor(bob, "received from both", allOf, ["received-item", "data-output"], both);
  for (const who of [ann, bob]) await shoot(who, "cluster-03-click-on-b");

  // Each sync crossed through Redis exactly once: node A published one and got B's, and vice versa.
  for (const node of [nodeA, nodeB]) {
    assert.equal(await cluster.metric(node, "synchost_cluster_syncs_published_total"), 1, node.id);
    assert.equal(await cluster.metric(node, "synchost_cluster_syncs_received_total"), 1, node.id);
    assert.equal(await cluster.metric(node, "synchost_cluster_syncs_dropped_total"), 0, node.id);
  }
  for (const who of [ann, bob]) {
    assert.equal(await who.page.textContent(byTestId("last-error")), "", who.name);
  }
  assert.deepEqual(pageErrors, []);

  // Ctrl-C: the script exits and takes both nodes and the Redis with it.
  await browser.close();
  browser = null;
  const code = await cluster.stop("SIGINT");
  assert.equal(code, 130);
  for (const pid of [cluster.redis.pid, ...cluster.nodes.map((node) => node.pid)]) {
    assert.equal(alive(pid), false, `process ${pid} still runs after Ctrl-C`);
  }
});
