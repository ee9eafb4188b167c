// Must not compile: `amount` is a number in updateCounter's input.
import { createSyncClient } from "synchost-client";

const client = createSyncClient({ url: "http://127.0.0.1:3000" });

export const wrongData = client.syncRequest({
  name: "examples/updateCounter",
  version: "v1",
  data: { amount: "forty-one" },
  receiver: "lobby",
});
