// Must not compile: the sync name is misspelled.
import { createSyncClient } from "synchost-client";

const client = createSyncClient({ url: "http://127.0.0.1:3000" });

export const misspelled = client.syncRequest({
  name: "examples/updateCountr",
  version: "v1",
  data: { amount: 41 },
  receiver: "lobby",
});
