// Graceful shutdown of `synchost serve` on SIGTERM, with the official socket.io-client: a sync in
// flight when the signal arrives still answers its sender and reaches another member, new syncs and
// new connections are refused, clients see a lost transport (so they reconnect), and the process
// exits 0. A stage stuck far past `shutdown_timeout_ms` cannot keep the process alive.
//
// "In flight" is known, not guessed: the test waits until `synchost_syncs_in_progress` reads 1.
// Every wait has a timeout that only guards against hanging.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { io } from "socket.io-client";
import { repo, startHost } from "./host.mjs";

const SLEEP = path.join(repo, "build", "fixtures", "hostile", "_sync", "sleep_server_v1.wasm");
const GUARD = 60000;

/** A plugins tree holding only the sleeping server stage (so the host starts fast). */
function sleepTree() {
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-shutdown-"));
  fs.mkdirSync(path.join(tree, "hostile", "_sync"), { recursive: true });
  fs.copyFileSync(SLEEP, path.join(tree, "hostile", "_sync", "sleep_server_v1.wasm"));
  return tree;
}

const cleanups = [];
after(() => cleanups.forEach((cleanup) => cleanup()));

function open(url) {
  const socket = io(url, { forceNew: true, reconnection: false, transports: ["websocket"] });
  cleanups.push(() => socket.disconnect());
  socket.frames = [];
  socket.on("sync", (frame) => socket.frames.push(frame));
  return socket;
}

async function connected(url) {
  const socket = open(url);
  await within(new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  }), "connect");
  return socket;
}

function within(promise, what, ms = GUARD) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

function ack(socket, event, ...args) {
  return within(new Promise((resolve) => socket.emit(event, ...args, resolve)), event);
}

async function join(socket, room) {
  const reply = await ack(socket, "joinRoom", room);
  assert.equal(reply.status, "success", JSON.stringify(reply));
}

const sleepSync = (ms, receiver) => ({ name: "hostile/sleep", version: "v1", data: { how: "sleep", ms }, receiver });

/** Waits until the host counts `count` accepted requests in progress. */
async function inProgress(host, count) {
  for (let tries = 0; tries < 2000; tries++) {
    if ((await host.metric("synchost_syncs_in_progress")) === count) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`synchost_syncs_in_progress never reached ${count}`);
}

test("SIGTERM: a sync in flight completes and is delivered, new work is refused, exit 0", async () => {
  const tree = sleepTree();
  const host = await startHost({
    plugins: [tree],
    server: "shutdown_timeout_ms = 60000",
    config: `[plugins.routes."hostile/sleep".server]\ntimeout_ms = 30000\n`,
  });
  cleanups.push(() => host.stop(), () => fs.rmSync(tree, { recursive: true, force: true }));
  const [sender, member, prober] = [await connected(host.url), await connected(host.url), await connected(host.url)];
  await join(sender, "drain");
  await join(member, "drain");
  await join(prober, "probe");
  const memberGone = new Promise((resolve) => member.once("disconnect", resolve));

  const answer = ack(sender, "sync", sleepSync(2000, "drain"));
  await inProgress(host, 1);
  const exited = host.signal("SIGTERM");

  // The pipeline closes once the listeners are gone: a new sync from an open connection is then
  // refused with its own code (before that, it runs and answers at once).
  let refused;
  for (let tries = 0; tries < 1000 && !refused; tries++) {
    const reply = await ack(prober, "sync", { ...sleepSync(0, "probe"), data: { how: "ok" } });
    if (reply.status === "error") refused = reply;
  }
  assert.equal(refused?.errorCode, "sync.shuttingDown", JSON.stringify(refused));

  const late = open(host.url);
  const lateError = await within(new Promise((resolve) => {
    late.once("connect", () => resolve(null));
    late.once("connect_error", resolve);
  }), "late connect");
  assert.ok(lateError instanceof Error, "a connection opened after the signal was accepted");

  assert.deepEqual(await answer, { status: "success", result: { ok: true } });
  const delivered = await within((async () => {
    while (!member.frames.some((f) => f.fullName === "sync/hostile/sleep/v1")) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return member.frames.find((f) => f.fullName === "sync/hostile/sleep/v1");
  })(), "delivery to the member");
  assert.deepEqual(delivered.serverOutput, { ok: true });

  // A lost transport, not a server-side disconnect: socket.io-client reconnects after this one.
  assert.equal(await within(memberGone, "member disconnect"), "transport close");
  assert.deepEqual(await within(exited, "exit"), { code: 0, signal: null });
});

test("SIGTERM: a stage stuck past shutdown_timeout_ms does not keep the host alive", async () => {
  const tree = sleepTree();
  const host = await startHost({
    plugins: [tree],
    server: "shutdown_timeout_ms = 500",
    // No wall-clock budget for the stage: only the shutdown bound can end the wait.
    config: `[plugins.routes."hostile/sleep".server]\ntimeout_ms = 0\n`,
  });
  cleanups.push(() => host.stop(), () => fs.rmSync(tree, { recursive: true, force: true }));
  const sender = await connected(host.url);
  await join(sender, "stuck");
  const gone = new Promise((resolve) => sender.once("disconnect", resolve));
  // Ten minutes: far past the guard below, so exiting at all shows the bound held.
  sender.emit("sync", sleepSync(600000, "stuck"));
  await inProgress(host, 1);
  const exited = host.signal("SIGTERM");
  assert.deepEqual(await within(exited, "exit"), { code: 0, signal: null });
  assert.equal(await within(gone, "disconnect"), "transport close");
});
