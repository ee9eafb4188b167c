// Compiles against the generated types: right names, versions and data, typed results.
import { createSyncClient } from "synchost-client";

const client = createSyncClient({ url: "http://127.0.0.1:3000" });

export async function correct(): Promise<number> {
  const reply = await client.syncRequest({
    name: "examples/updateCounter",
    version: "v1",
    data: { amount: 41 },
    receiver: "lobby",
  });
  const nested = await client.syncRequest({
    name: "test/nestedTest/room",
    version: "v1",
    data: { step: 1, active: true },
    receiver: "lobby",
  });
  client.upsertSyncEventCallback({
    name: "examples/updateCounter",
    version: "v2",
    callback: ({ serverOutput }) => console.log(serverOutput.newValue + serverOutput.version),
  });
  const step = nested.status === "success" ? nested.result.nextStep : 0;
  return reply.status === "success" ? reply.result.newValue + step : step;
}
