// Starts a real Debian `redis-server` for end-to-end tests: a free loopback port, a private temp
// folder, no persistence unless asked for. kill() takes it away mid-run and restart() brings it back
// on the same port; stop() kills it and removes its folder. When redis-server is missing the test
// fails naming scripts/redis-deps; it never skips.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

/** How long a started server may take to answer PING: only a guard against hanging. */
const READY_WITHIN_MS = 20000;

/** A port that was free a moment ago. */
async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Sends one inline command; resolves with the reply's first line (`+PONG`, `:3`, ...). */
export function redisCommand(port, line) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let seen = "";
    socket.setTimeout(5000, () => socket.destroy(new Error(`redis ${line}: no answer`)));
    socket.once("error", reject);
    socket.on("data", (chunk) => {
      seen += chunk.toString();
      const end = seen.indexOf("\r\n");
      if (end >= 0) {
        socket.end();
        resolve(seen.slice(0, end));
      }
    });
    socket.write(`${line}\r\n`);
  });
}

/** Starts redis-server on `port` in `dir`; resolves with the child once it answers PING. */
async function spawnRedis(port, dir, persistent) {
  const args = [
    "--port", String(port), "--bind", "127.0.0.1", "--unixsocket", "", "--daemonize", "no",
    "--dir", dir, "--logfile", path.join(dir, "redis.log"), "--save", "",
    ...(persistent ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]),
  ];
  const child = spawn("redis-server", args, { stdio: ["ignore", "ignore", "pipe"] });
  let exited = null;
  const spawned = new Promise((resolve) => {
    child.once("spawn", () => resolve(null));
    child.once("error", (error) => resolve(error));
  });
  const failure = await spawned;
  if (failure?.code === "ENOENT") {
    throw new Error("redis-server is not installed (or not on the PATH): run scripts/redis-deps");
  }
  if (failure) throw failure;
  child.once("exit", (code, signal) => (exited = signal ?? code));
  const deadline = Date.now() + READY_WITHIN_MS;
  for (;;) {
    if (exited !== null) {
      const log = fs.readFileSync(path.join(dir, "redis.log"), { encoding: "utf8", flag: "a+" });
      return { child: null, log: `exited with ${exited}\n${log}` };
    }
    if ((await redisCommand(port, "PING").catch(() => "")) === "+PONG") return { child };
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`redis-server did not answer PING within ${READY_WITHIN_MS} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Kills `child` (SIGKILL: no shutdown save) and resolves once it has exited. */
async function kill(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

/**
 * Starts a redis-server on a free loopback port. With `persistent`, every command goes to an
 * append-only file (fsync always), so restart() keeps the data; otherwise a restart forgets it.
 */
export async function startRedis({ persistent = false } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "synchost-redis-"));
  let port;
  let child = null;
  let lastLog = "";
  // A free port can be taken by someone else between probing and binding: try a few.
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    const started = await spawnRedis(port, dir, persistent);
    child = started.child;
    lastLog = started.log ?? "";
  }
  if (!child) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`redis-server did not start:\n${lastLog}`);
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    command: (line) => redisCommand(port, line),
    /** Kills the server (SIGKILL); restart() starts it again on the same port. */
    async kill() {
      await kill(child);
      child = null;
    },
    /** Kills the server if it runs, and starts it again on the same port and folder. */
    async restart() {
      await kill(child);
      const started = await spawnRedis(port, dir, persistent);
      if (!started.child) throw new Error(`redis-server did not restart on ${port}:\n${started.log}`);
      child = started.child;
    },
    /** Kills the server and removes its folder. */
    async stop() {
      await kill(child);
      child = null;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
