// The official Socket.IO Admin UI (the pinned @socket.io/admin-ui package's ui/dist, copied by
// scripts/build-demo to build/admin-ui) in Debian's Chromium against `synchost serve` with
// `[server] admin_ui_dir`: the UI logs in to the `/admin` namespace with an admin token as its
// password, lists a socket.io-client test client with the room it joined, takes it out of the
// room with the UI's Leave and closes its connection with the UI's Disconnect; its Events page shows
// an event the client sent. A token without `admin` is refused as the UI expects.
//
// Every wait has a timeout and reports what the page showed instead; nothing asserts on elapsed
// time. Screenshots of each step go to artifacts/ (CHROMIUM_PATH overrides /usr/bin/chromium).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { io } from "socket.io-client";
import { repo, startHost } from "../js/host.mjs";
import { browserReady, chromiumPath, shoot, STEP_TIMEOUT } from "./page.mjs";

const uiDir = process.env.ADMIN_UI_DIR ?? path.join(repo, "build", "admin-ui");
let host;
let browser;
let handlers;
const ROOM = "admin-ui-room";

before(async () => {
  browserReady();
  if (!fs.existsSync(path.join(uiDir, "index.html"))) {
    throw new Error(`${uiDir}/index.html is missing: run scripts/build-demo first`);
  }
  // No handler is needed: the UI shows sockets and rooms.
  handlers = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-admin-ui-"));
  host = await startHost({
    plugins: [handlers],
    server: `admin_ui_dir = ${JSON.stringify(uiDir)}`,
    config: '[auth]\nsecret = "browser-test-secret-not-for-production"',
  });
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ["--no-sandbox"], timeout: 60000 });
});

after(async () => {
  await browser?.close();
  host?.stop();
  if (handlers) fs.rmSync(handlers, { recursive: true, force: true });
});

/** A socket.io-client test client in ROOM. */
async function testClient() {
  const socket = io(host.url, { forceNew: true, reconnection: false, transports: ["websocket"] });
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  const reply = await socket.timeout(STEP_TIMEOUT).emitWithAck("joinRoom", ROOM);
  assert.equal(reply.status, "success", JSON.stringify(reply));
  return socket;
}

/** Opens the UI and submits its connection form. */
async function logIn(page, password) {
  await page.goto(`${host.url}/admin-ui/`, { timeout: STEP_TIMEOUT });
  await page.getByLabel("Server URL").fill(host.url);
  await page.getByLabel("Username").fill("operator");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Connect" }).click();
}

test("the /admin namespace refuses a token without admin", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await logIn(page, host.token("--sub", "someone"));
  await page.getByText("Invalid credentials").waitFor({ timeout: STEP_TIMEOUT });
  await shoot({ page, name: "admin-ui" }, "admin-ui-0-refused");
  await context.close();
});

test("the official Admin UI logs in and shows a test client and its room", async () => {
  const client = await testClient();
  const errors = [];
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  page.on("pageerror", (error) => errors.push(error.message));
  await logIn(page, host.token("--sub", "operator", "--admin"));

  await page.goto(`${host.url}/admin-ui/#/sockets/`);
  await page.getByText(client.id).first().waitFor();
  await shoot({ page, name: "admin-ui" }, "admin-ui-1-sockets");

  await page.goto(`${host.url}/admin-ui/#/rooms/`);
  await page.getByText(ROOM).first().waitFor();
  await shoot({ page, name: "admin-ui" }, "admin-ui-2-rooms");

  // The socket's own page lists its rooms. Its buttons are icons (the icon font comes from a CDN
  // the test does not reach), so they are found by their rows: the room's row has Leave, the
  // client's Status row has Disconnect.
  await page.goto(`${host.url}/admin-ui/#/n/%2F/sockets/${client.id}`);
  const roomRow = page.getByRole("row", { name: ROOM, exact: true });
  await roomRow.waitFor();
  await shoot({ page, name: "admin-ui" }, "admin-ui-3-socket");
  await roomRow.getByRole("button").click();
  // The click also opens the room's page (the row's own action): the room is empty now.
  await page.getByText("deleted", { exact: false }).first().waitFor();
  await shoot({ page, name: "admin-ui" }, "admin-ui-4-left");
  await page.goto(`${host.url}/admin-ui/#/n/%2F/sockets/${client.id}`);
  await page.getByRole("row", { name: client.id }).first().waitFor();
  assert.equal(await page.getByRole("row", { name: ROOM, exact: true }).count(), 0);

  const gone = new Promise((resolve) => client.once("disconnect", resolve));
  await page.locator("tr", { hasText: "Status" }).first().getByRole("button").click();
  let timer;
  const reason = await Promise.race([
    gone,
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("the client was not disconnected")), STEP_TIMEOUT))),
  ]).finally(() => clearTimeout(timer));
  // The client's button closes its whole connection (`_disconnect` with close = true).
  assert.equal(reason, "transport close");
  assert.deepEqual(errors, []);
  await context.close();
});

test("the Admin UI's Events page shows an event a test client sends", async () => {
  const client = await testClient();
  const errors = [];
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  page.on("pageerror", (error) => errors.push(error.message));
  await logIn(page, host.token("--sub", "operator", "--admin"));
  await page.goto(`${host.url}/admin-ui/#/sockets/`);
  await page.getByText(client.id).first().waitFor();
  await page.goto(`${host.url}/admin-ui/#/events/`);
  // An event the host ignores still passes the tap, as in Node's development mode.
  client.emit("wavedFromTheTest", { n: 1 });
  await page.getByText("wavedFromTheTest").first().waitFor();
  await shoot({ page, name: "admin-ui" }, "admin-ui-5-events");
  assert.deepEqual(errors, []);
  client.disconnect();
  await context.close();
});
