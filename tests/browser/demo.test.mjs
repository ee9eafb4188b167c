// The demo page in a real browser: Debian's Chromium, driven by playwright-core, against
// `synchost serve --static build/demo` with the example handlers. Two browser contexts are two
// visitors in one room; one of them goes offline, clicks twice, and comes back.
//
// Every wait has a timeout and reports what the page showed instead; nothing asserts on elapsed
// time. Screenshots of each step go to artifacts/ (CHROMIUM_PATH overrides /usr/bin/chromium).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { chromium } from "playwright-core";
import { startDemoHost } from "./host.mjs";
import {
  allOf, attrOf, browserReady, byTestId, chromiumPath, countOf, openVisitor, shoot, STEP_TIMEOUT, textOf, waitFor,
} from "./page.mjs";

let host;
let browser;
const pageErrors = [];

before(async () => {
  browserReady();
  host = await startDemoHost();
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ["--no-sandbox"], timeout: 60000 });
});

after(async () => {
  await browser?.close();
  host?.stop();
});

/** A raw GET (the path is sent exactly as given, `..` included): status, content type, body. */
function rawGet(pathname) {
  const { hostname, port } = new URL(host.url);
  return new Promise((resolve, reject) => {
    const request = http.get({ hostname, port, path: pathname, timeout: 5000 }, (response) => {
      let body = "";
      response.on("data", (chunk) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode, type: response.headers["content-type"], body }));
    });
    request.on("timeout", () => request.destroy(new Error(`GET ${pathname} timed out`)));
    request.on("error", reject);
  });
}

/** A new visitor on the host's page. */
const visitor = (name) => openVisitor(browser, name, host.url, pageErrors);

test("the host serves the page, its script and nothing outside the folder", async () => {
  const page = await rawGet("/");
  assert.equal(page.status, 200);
  assert.equal(page.type, "text/html; charset=utf-8");
  assert.match(page.body, /<script type="module" src="app.js">/);
  const script = await rawGet("/app.js");
  assert.equal(script.status, 200);
  assert.equal(script.type, "text/javascript; charset=utf-8");
  assert.equal((await rawGet("/app.js.map")).type, "application/json");
  for (const escape of ["/../Cargo.toml", "/%2e%2e/%2e%2e/Cargo.toml", "/..%2f..%2fCargo.toml", "/missing.js"]) {
    assert.equal((await rawGet(escape)).status, 404, escape);
  }
  // The host's own routes win over the fallback.
  assert.equal((await rawGet("/healthz")).body, "ok");
});

test("two visitors share the counter, and clicks made offline arrive in order", { timeout: 180000 }, async () => {
  const ann = await visitor("page1");
  const bob = await visitor("page2");
  for (const who of [ann, bob]) {
    await waitFor(who, "connected", attrOf, ["connection", "data-state"], "connected");
  }

  // Both join the room the picker suggests.
  const room = await ann.page.inputValue(byTestId("room-input"));
  assert.notEqual(room, "");
  for (const who of [ann, bob]) {
    await who.page.fill(byTestId("room-input"), room, { timeout: STEP_TIMEOUT });
    await who.page.click(byTestId("join"), { timeout: STEP_TIMEOUT });
    await waitFor(who, "joined rooms", allOf, ["joined-room", "data-room"], [room]);
    await waitFor(who, "current room", textOf, "current-room", room);
    await shoot(who, "01-joined");
  }

  // Online: a click on page 1 reaches page 2.
  await ann.page.click(byTestId("increment"), { timeout: STEP_TIMEOUT });
  await waitFor(bob, "count after one click", textOf, "count", "1");
  await waitFor(ann, "own count after one click", textOf, "count", "1");
  await waitFor(bob, "received after one click", allOf, ["received-item", "data-output"], ['{"newValue":1}']);
  for (const who of [ann, bob]) await shoot(who, "02-first-click");

  // Offline: two clicks queue on page 1 and nothing reaches page 2.
  await ann.context.setOffline(true);
  await waitFor(ann, "offline indicator", attrOf, ["connection", "data-state"], "offline");
  await ann.page.click(byTestId("increment"), { timeout: STEP_TIMEOUT });
  await ann.page.click(byTestId("increment"), { timeout: STEP_TIMEOUT });
  await waitFor(ann, "queue count", textOf, "queue-count", "2");
  await waitFor(ann, "queue items", countOf, "queue-item", 2);
  await waitFor(ann, "optimistic count", textOf, "count", "3");
  // The two requests are still in page 1's queue, so page 2 cannot have seen them.
  assert.equal(await bob.page.textContent(byTestId("count")), "1");
  assert.equal(await bob.page.locator(byTestId("received-item")).count(), 1);
  for (const who of [ann, bob]) await shoot(who, "03-offline-two-clicks");

  // Back online: the queue drains and page 2 gets 2 then 3 (the list is newest first).
  await ann.context.setOffline(false);
  await waitFor(ann, "queue drained", textOf, "queue-count", "0");
  await waitFor(bob, "count after the flush", textOf, "count", "3");
  const inOrder = ['{"newValue":3}', '{"newValue":2}', '{"newValue":1}'];
  await waitFor(bob, "received in order", allOf, ["received-item", "data-output"], inOrder);
  await waitFor(ann, "own frames in order", allOf, ["received-item", "data-output"], inOrder);
  await waitFor(ann, "own count after the flush", textOf, "count", "3");
  await waitFor(ann, "connected again", attrOf, ["connection", "data-state"], "connected");
  assert.equal(await ann.page.textContent(byTestId("last-error")), "");
  for (const who of [ann, bob]) await shoot(who, "04-back-online");

  assert.deepEqual(pageErrors, []);
});
