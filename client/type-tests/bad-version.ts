// Must not compile: updateCounter has no v7.
import { createSyncClient } from "synchost-client";

const client = createSyncClient({ url: "http://127.0.0.1:3000" });

export const noSuchVersion = client.syncRequest({
  name: "examples/updateCounter",
  version: "v7",
  data: { amount: 41 },
  receiver: "lobby",
});
