// The real host functions inside a component: the WIT imports, which the bundler leaves as
// `synchost:plugin/*` imports for componentize-js to wire to the host.

import { log, nowMs, randomBytes } from "synchost:plugin/host@1.0.0";
import { get as configGet } from "synchost:plugin/config@1.0.0";
import { get as kvGet, set as kvSet, delete as kvDelete, incr as kvIncr } from "synchost:plugin/kv@1.0.0";
import { size as roomsSize, members as roomsMembers } from "synchost:plugin/rooms@1.0.0";
import type { Backend } from "../backend.js";

export const backend: Backend = {
  log,
  nowMs,
  randomBytes,
  configGet,
  kvGet,
  kvSet,
  kvDelete,
  kvIncr,
  roomsSize,
  roomsMembers,
};
