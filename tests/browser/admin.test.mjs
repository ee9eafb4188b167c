// The admin page in a real browser: Debian's Chromium, driven by playwright-core, against
// `synchost serve` with the example handlers, the page built by scripts/build-demo (build/admin)
// and the operator endpoints on their own address (`admin_listen`). The page polls
// /admin/plugins; the test replaces a stage file and waits for the page to show the new file's
// hash and one more load, and the syncs a socket.io-client sends show up in its live counters.
//
// Every wait has a timeout and reports what the page showed instead; nothing asserts on elapsed
// time. Screenshots of each step go to artifacts/ (CHROMIUM_PATH overrides /usr/bin/chromium).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { io } from "socket.io-client";
import { repo, startHost } from "../js/host.mjs";
import { browserReady, chromiumPath, openVisitor, shoot, textOf, attrOf, waitFor } from "./page.mjs";

const adminDir = process.env.ADMIN_DIR ?? path.join(repo, "build", "admin");
const examples = path.join(repo, "build", "plugins", "examples", "_sync");
const ROW = "examples/updateCounter-v1-server";
let host;
let browser;
let handlers;
const pageErrors = [];

const sha256 = (file) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

before(async () => {
  browserReady();
  for (const needed of [path.join(adminDir, "index.html"), path.join(adminDir, "admin.js")]) {
    if (!fs.existsSync(needed)) throw new Error(`${needed} is missing: run scripts/build-demo first`);
  }
  handlers = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-admin-handlers-"));
  fs.mkdirSync(path.join(handlers, "examples", "_sync"), { recursive: true });
  for (const file of ["updateCounter_server_v1.wasm", "updateCounter_client_v1.wasm"]) {
    fs.copyFileSync(path.join(examples, file), path.join(handlers, "examples", "_sync", file));
  }
  host = await startHost({
    plugins: [handlers],
    server: `admin_listen = "127.0.0.1:0"\nadmin_page_dir = ${JSON.stringify(adminDir)}`,
    config: '[auth]\nsecret = "browser-test-secret-not-for-production"',
  });
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ["--no-sandbox"], timeout: 60000 });
});

after(async () => {
  await browser?.close();
  host?.stop();
  if (handlers) fs.rmSync(handlers, { recursive: true, force: true });
});

test("the public address serves neither the page nor its data when admin_listen is set", async () => {
  assert.equal((await fetch(`${host.url}/admin/plugins`)).status, 404);
  assert.equal((await fetch(`${host.url}/admin/`)).status, 404);
  const report = await (await fetch(`${host.operatorUrl}/admin/plugins`)).json();
  const route = report.routes.find((r) => r.route === "examples/updateCounter" && r.version === 1);
  assert.equal(route.stages.server.hash, sha256(path.join(examples, "updateCounter_server_v1.wasm")));
  assert.deepEqual(Object.keys(route.stages).sort(), ["client", "server"]);
  assert.equal(typeof route.stages.server.limits.fuel, "number");
});

/** A socket.io-client in room `admin`, and a way to send it one `updateCounter` v1 sync. */
async function syncer() {
  const socket = io(host.url, { forceNew: true, reconnection: false, transports: ["websocket"] });
  const emit = (...args) =>
    new Promise((resolve, reject) => {
      socket.timeout(20000).emit(...args, (error, reply) => (error ? reject(error) : resolve(reply)));
    });
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  assert.equal((await emit("joinRoom", "admin")).status, "success");
  const sync = async () => {
    const reply = await emit("sync", { name: "examples/updateCounter", version: "v1", data: { amount: 1 }, receiver: "admin" });
    assert.equal(reply.status, "success", JSON.stringify(reply));
  };
  return { socket, sync };
}

test("the admin page shows live counters and a hot swap happen", async () => {
  const admin = await openVisitor(browser, "admin", `${host.operatorUrl}/admin/`, pageErrors);
  const client = await syncer();
  const before = sha256(path.join(examples, "updateCounter_server_v1.wasm"));
  await waitFor(admin, "the page is live", attrOf, ["state", "data-state"], "live");
  await waitFor(admin, "the served hash", attrOf, [`row-${ROW}`, "data-hash"], before);
  await waitFor(admin, "one load", textOf, `loads-${ROW}`, "1");
  await waitFor(admin, "no calls yet", textOf, `calls-${ROW}`, "0");
  await client.sync();
  await client.sync();
  await waitFor(admin, "two calls", textOf, `calls-${ROW}`, "2");
  await shoot(admin, "admin-1-before-swap");

  // The swap: another build's content at the served name, placed atomically.
  const served = path.join(host.root, "examples", "_sync", "updateCounter_server_v1.wasm");
  const replacement = path.join(examples, "updateCounter_server_v2.wasm");
  const after = sha256(replacement);
  assert.notEqual(after, before);
  fs.copyFileSync(replacement, `${served}.tmp`);
  fs.renameSync(`${served}.tmp`, served);

  await waitFor(admin, "the new hash after the swap", attrOf, [`row-${ROW}`, "data-hash"], after);
  await waitFor(admin, "a second load", textOf, `loads-${ROW}`, "2");
  await waitFor(admin, "the short hash", textOf, `hash-${ROW}`, after.slice(0, 12));
  // The series belong to the route version, not to one file: the swapped-in content counts on.
  await client.sync();
  await waitFor(admin, "a call on the swapped-in content", textOf, `calls-${ROW}`, "3");
  await shoot(admin, "admin-2-after-swap");
  client.socket.disconnect();
  assert.deepEqual(pageErrors, []);
  await admin.context.close();
});
