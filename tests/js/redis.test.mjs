// The Redis helper itself: a real server that answers, forgets on restart unless persistent, and
// comes back on the same port.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startRedis, redisCommand } from "./redis.mjs";

test("an in-memory redis answers and forgets its keys when restarted on the same port", async () => {
  const redis = await startRedis();
  try {
    assert.equal(await redis.command("SET k 1"), "+OK");
    assert.equal(await redis.command("GET k"), "$1");
    await redis.kill();
    await assert.rejects(redisCommand(redis.port, "PING"));
    await redis.restart();
    assert.equal(await redis.command("PING"), "+PONG");
    assert.equal(await redis.command("GET k"), "$-1");
  } finally {
    await redis.stop();
  }
});

test("a persistent redis keeps its keys across a kill and restart", async () => {
  const redis = await startRedis({ persistent: true });
  try {
    assert.equal(await redis.command("INCRBY n 5"), ":5");
    await redis.restart();
    assert.equal(await redis.command("INCRBY n 1"), ":6");
  } finally {
    await redis.stop();
  }
});
