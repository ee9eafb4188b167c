// Reference server for the synchost sync benchmark (bench/SCENARIO.md): Node socket.io 4.8 with the
// two bench routes (`bench/relay` v1, `bench/relayEach` v1) as plain JavaScript handlers, run the
// way LuckyStack's socket sync handler runs a request: session read per message, hooks dispatched
// (none registered), the server handler once, an early ack, `fetchSockets()` on the room, then a
// sequential awaited loop that runs the client handler for each recipient with that recipient's
// token (the handler looks its session up itself) and emits to that socket, sleeping 1 ms every
// 100 recipients. Only the wire is synchost's (ack callbacks, `{name, version}`, its frames).
//
// It must never be tuned or given tricks that system does not have: no batching, no encode-once,
// no per-connection ordering, no caching of sessions or outputs beyond what the original does.
// Usage: BENCH_JWT_SECRET=... node sync.js <port>   (binds 127.0.0.1, WebSocket transport only)
"use strict";

const { createServer } = require("node:http");
const { createHmac, timingSafeEqual } = require("node:crypto");
const { Server } = require("socket.io");

// The original's defaults (`sync.fanoutYieldEvery`, `sync.fanoutYieldMs`) and room-name limit.
const FANOUT_YIELD_EVERY = 100;
const FANOUT_YIELD_MS = 1;
const MAX_ROOM_CHARS = 256;
const MAX_NOTE_CHARS = 256;

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`usage: BENCH_JWT_SECRET=... node sync.js <port> (got ${process.argv[2]})`);
  process.exit(2);
}
const secret = process.env.BENCH_JWT_SECRET;
if (!secret) {
  console.error("BENCH_JWT_SECRET is required");
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Errors: the original's normalizer (code, params when valid, status 400 unless given, message
// from the catalog or the code itself). English only: no language negotiation.

const MESSAGES = {
  "auth.invalidToken": "The session token is not valid.",
  "auth.tokenExpired": "The session token has expired.",
  "auth.required": "You need to be logged in.",
  "room.invalidName": "Invalid room name.",
  "sync.invalidRequest": "Invalid sync request.",
  "sync.missingReceiver": "Sync receiver is required.",
  "sync.notFound": "Sync event was not found.",
  "sync.receiverNotAllowed": "This receiver is not allowed.",
  "sync.notRoomMember": "You are not a member of this room.",
  "sync.serverExecutionFailed": "Sync server handler failed.",
  "sync.invalidServerResponse": "Sync server returned an invalid response.",
  "sync.noReceiversFound": "No receivers found for this sync event.",
  "sync.clientExecutionFailed": "Sync client handler failed.",
  "sync.clientRejected": "Sync event was rejected by client validation.",
  "sync.invalidClientResponse": "Sync client returned an invalid response.",
  "bench.invalidInput": "The input must be {amount, note?}.",
  "bench.signInRequired": "Only signed-in users receive this sync.",
  "bench.mismatch": "The server output does not match the input.",
};

function isErrorParam(param) {
  return (
    param !== null &&
    typeof param === "object" &&
    typeof param.key === "string" &&
    ["string", "number", "boolean"].includes(typeof param.value)
  );
}

function errorEnvelope({ errorCode, errorParams, httpStatus }) {
  const code =
    typeof errorCode === "string" && errorCode.trim() ? errorCode.trim() : "error.invalidResponse";
  return {
    status: "error",
    errorCode: code,
    errorParams:
      Array.isArray(errorParams) && errorParams.every(isErrorParam) ? errorParams : undefined,
    httpStatus: typeof httpStatus === "number" ? httpStatus : 400,
    message: MESSAGES[code] ?? code,
  };
}

// ---------------------------------------------------------------------------------------------
// Sessions: an in-memory store keyed by token (the original's Redis store, minus the network).
// A token's session is put there at connect and dropped when its last connection leaves.

const sessions = new Map(); // token -> { session, connections }

function openSession(token, session) {
  const entry = sessions.get(token);
  if (entry) entry.connections += 1;
  else sessions.set(token, { session, connections: 1 });
}

function closeSession(token) {
  const entry = sessions.get(token);
  if (!entry) return;
  entry.connections -= 1;
  if (entry.connections <= 0) sessions.delete(token);
}

async function getSession(token) {
  if (!token) return null;
  return sessions.get(token)?.session ?? null;
}

// What handlers receive as `functions` (the original's injected `functions.session.getSession`).
const functionsObject = { session: { getSession } };

// HS256 JWT with `sub`, `name`, `exp`: `{ session }` or `{ errorCode }`.
function verifyToken(token) {
  const parts = token.split(".");
  if (parts.length !== 3) return { errorCode: "auth.invalidToken" };
  const [header, claims, signature] = parts;
  const expected = createHmac("sha256", secret).update(`${header}.${claims}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { errorCode: "auth.invalidToken" };
  }
  const parsedHeader = parseJsonPart(header);
  const parsedClaims = parseJsonPart(claims);
  if (parsedHeader?.alg !== "HS256" || parsedClaims === null) return { errorCode: "auth.invalidToken" };
  const { sub, name, exp } = parsedClaims;
  if (typeof sub !== "string" || !sub || typeof exp !== "number") {
    return { errorCode: "auth.invalidToken" };
  }
  if (exp <= Date.now() / 1000) return { errorCode: "auth.tokenExpired" };
  return { session: { id: sub, name: typeof name === "string" ? name : null } };
}

function parseJsonPart(part) {
  try {
    const value = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return value !== null && typeof value === "object" && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

// Token mode: the token is `handshake.auth.token`, read from the socket's handshake.
function extractTokenFromSocket(socket) {
  return typeof socket.handshake.auth?.token === "string" ? socket.handshake.auth.token : null;
}

// ---------------------------------------------------------------------------------------------
// Hooks: the original dispatches them at each stage, awaited; this install registers none.

const hookHandlers = new Map();

async function dispatchHook(name, payload) {
  const handlers = hookHandlers.get(name) ?? [];
  for (const handler of handlers) {
    let result;
    try {
      result = await handler(payload);
    } catch {
      continue;
    }
    if (result !== undefined) return { stopped: true, signal: result };
  }
  return { stopped: false };
}

async function tryCatch(func) {
  try {
    return [null, await func()];
  } catch (error) {
    return [error instanceof Error ? error : new Error(String(error)), null];
  }
}

// ---------------------------------------------------------------------------------------------
// The two routes. Same logic as the synchost components and the socketioxide closures.

function codePoints(text) {
  return text.length <= MAX_NOTE_CHARS ? text.length : [...text].length;
}

async function relayServer({ clientInput, user }) {
  const { amount, note } = clientInput;
  const noteOk =
    note === undefined ||
    note === null ||
    (typeof note === "string" && codePoints(note) <= MAX_NOTE_CHARS);
  if (!Number.isSafeInteger(amount) || amount < 0 || !noteOk) {
    return { status: "error", errorCode: "bench.invalidInput", httpStatus: 400 };
  }
  const output = { status: "success", newValue: amount + 1 };
  if (typeof note === "string") output.note = note;
  output.by = user?.id ?? null;
  return output;
}

// The checks both client handlers make; an error response, or the recipient's session.
async function relayRecipient({ clientInput, token, functions, serverOutput }) {
  const session = await functions.session.getSession(token);
  if (!session) {
    return { error: { status: "error", errorCode: "bench.signInRequired", httpStatus: 401 } };
  }
  if (serverOutput.newValue !== clientInput.amount + 1) {
    return { error: { status: "error", errorCode: "bench.mismatch", httpStatus: 500 } };
  }
  return { session };
}

async function relayClient(params) {
  const { error } = await relayRecipient(params);
  return error ?? { status: "success" };
}

async function relayEachClient(params) {
  const { error, session } = await relayRecipient(params);
  return error ?? { status: "success", to: session.id, newValue: params.serverOutput.newValue };
}

// The route map as the original's loader builds it: `<fullName>_server` entries and
// `<fullName>_client` functions. The handlers validate their own input (`validation: 'relaxed'`).
const syncObject = {
  "sync/bench/relay/v1_server": { main: relayServer, auth: {}, validation: "relaxed" },
  "sync/bench/relay/v1_client": relayClient,
  "sync/bench/relayEach/v1_server": { main: relayServer, auth: {}, validation: "relaxed" },
  "sync/bench/relayEach/v1_client": relayEachClient,
};

async function getRuntimeSyncMaps() {
  return { syncObject, functionsObject };
}

// ---------------------------------------------------------------------------------------------
// One `sync` request, in the original's order.

const httpServer = createServer();
const io = new Server(httpServer, { transports: ["websocket"], serveClient: false });

async function handleSyncRequest({ msg, ack, socket, token }) {
  const reply = typeof ack === "function" ? ack : () => {};
  if (typeof msg !== "object" || msg === null || Array.isArray(msg)) {
    return reply(errorEnvelope({ errorCode: "sync.invalidRequest" }));
  }

  const preMessage = await dispatchHook("preSocketMessage", {
    channel: "sync",
    socketId: socket.id,
    ip: socket.handshake.address,
    authenticated: Boolean(token),
    routeName: typeof msg.name === "string" ? msg.name : undefined,
  });
  if (preMessage.stopped) return reply(errorEnvelope(preMessage.signal));

  const { name, version, receiver: rawReceiver, ignoreSelf } = msg;
  const data = msg.data === undefined ? {} : msg.data;
  if (
    !name ||
    typeof name !== "string" ||
    !version ||
    typeof version !== "string" ||
    !data ||
    typeof data !== "object" ||
    Array.isArray(data)
  ) {
    return reply(errorEnvelope({ errorCode: "sync.invalidRequest" }));
  }
  const receiver = typeof rawReceiver === "string" ? rawReceiver.trim() : "";
  if (!receiver) return reply(errorEnvelope({ errorCode: "sync.missingReceiver" }));
  const resolvedName = `sync/${name}/${version}`;

  const user = await getSession(token);
  const { syncObject: routes, functionsObject: functions } = await getRuntimeSyncMaps();

  let originatorAcked = false;
  const [handlerError] = await tryCatch(async () => {
    const serverEntry = routes[`${resolvedName}_server`];
    if (!serverEntry) return reply(errorEnvelope({ errorCode: "sync.notFound", httpStatus: 404 }));
    const clientHandler = routes[`${resolvedName}_client`];

    if (serverEntry.auth.login && !user?.id) return reply(errorEnvelope({ errorCode: "auth.required" }));

    if (receiver === "all") {
      return reply(errorEnvelope({ errorCode: "sync.receiverNotAllowed", httpStatus: 403 }));
    }
    if (!socket.rooms.has(receiver)) {
      return reply(errorEnvelope({ errorCode: "sync.notRoomMember", httpStatus: 403 }));
    }

    const stagePayload = { routeName: resolvedName, data, user, receiver, transport: "socket" };
    const preAuthorize = await dispatchHook("preSyncAuthorize", stagePayload);
    if (preAuthorize.stopped) return reply(errorEnvelope(preAuthorize.signal));
    void dispatchHook("postSyncAuthorize", stagePayload);

    const preValidate = await dispatchHook("preSyncValidate", stagePayload);
    if (preValidate.stopped) return reply(errorEnvelope(preValidate.signal));
    void dispatchHook("postSyncValidate", { ...stagePayload, validation: { status: "success" } });

    const executePayload = { ...stagePayload, result: undefined, error: null, durationMs: 0 };
    const preExecute = await dispatchHook("preSyncExecute", executePayload);
    if (preExecute.stopped) return reply(errorEnvelope(preExecute.signal));
    const executeStart = Date.now();
    const [serverError, serverResult] = await tryCatch(() =>
      serverEntry.main({ clientInput: data, user, functions, roomCode: receiver }),
    );
    executePayload.result = serverResult;
    executePayload.error = serverError;
    executePayload.durationMs = Date.now() - executeStart;
    await dispatchHook("postSyncExecute", executePayload);
    if (serverError) return reply(errorEnvelope({ errorCode: "sync.serverExecutionFailed" }));
    if (serverResult?.status === "error") return reply(errorEnvelope(serverResult));
    if (serverResult?.status !== "success") {
      return reply(errorEnvelope({ errorCode: "sync.invalidServerResponse" }));
    }
    const serverOutput = serverResult;

    const sockets = await io.in(receiver).fetchSockets();
    if (sockets.length === 0) return reply(errorEnvelope({ errorCode: "sync.noReceiversFound" }));

    const fanoutPayload = { ...stagePayload, serverOutput, recipientCount: 0 };
    const preFanout = await dispatchHook("preSyncFanout", fanoutPayload);
    if (preFanout.stopped) return reply(errorEnvelope(preFanout.signal));

    // The early ack: before any recipient is served.
    reply({ status: "success", result: serverOutput });
    originatorAcked = true;

    const frameBase = { name, version, fullName: resolvedName };
    let recipientCount = 0;
    // As the original counts: from 1, so the first pause comes before the 99th recipient.
    let tempCount = 1;
    for (const tempSocket of sockets) {
      tempCount++;
      if (tempCount % FANOUT_YIELD_EVERY === 0) {
        await new Promise((resolve) => setTimeout(resolve, FANOUT_YIELD_MS));
      }
      const tempToken = extractTokenFromSocket(tempSocket);
      if (ignoreSelf === true && token && token === tempToken) continue;

      const preRecipient = await dispatchHook("preSyncRecipient", {
        routeName: resolvedName,
        receiver,
        recipientSocketId: tempSocket.id,
        recipientUserId: null,
        serverOutput,
      });
      if (preRecipient.stopped && preRecipient.signal.overrideOutput === undefined) continue;
      const effectiveOutput = preRecipient.stopped ? preRecipient.signal.overrideOutput : serverOutput;
      recipientCount++;

      if (!clientHandler) {
        const frame = { ...frameBase, status: "success", serverOutput: effectiveOutput, clientOutput: {} };
        tempSocket.emit("sync", frame);
        continue;
      }
      await serveRecipient({
        tempSocket,
        tempToken,
        clientHandler,
        data,
        functions,
        serverOutput: effectiveOutput,
        receiver,
        frameBase,
      });
    }

    fanoutPayload.recipientCount = recipientCount;
    await dispatchHook("postSyncFanout", fanoutPayload);
  });
  if (handlerError && !originatorAcked) {
    reply(errorEnvelope({ errorCode: "sync.serverExecutionFailed" }));
  }
}

// One recipient: its client handler with its own token, then its frame (success or error).
async function serveRecipient(recipient) {
  const { tempSocket, tempToken, clientHandler, data, functions, serverOutput, receiver, frameBase } =
    recipient;
  const stream = (payload = {}) => {
    tempSocket.emit("sync", { ...payload, fullName: frameBase.fullName, status: "stream" });
  };
  const [clientError, clientResult] = await tryCatch(() =>
    clientHandler({
      clientInput: data,
      token: tempToken,
      functions,
      serverOutput,
      roomCode: receiver,
      stream,
    }),
  );
  let refusal = null;
  if (clientError) refusal = { errorCode: "sync.clientExecutionFailed" };
  else if (clientResult?.status === "error") {
    refusal =
      typeof clientResult.errorCode === "string" && clientResult.errorCode.trim()
        ? clientResult
        : { ...clientResult, errorCode: "sync.clientRejected" };
  } else if (clientResult?.status !== "success") refusal = { errorCode: "sync.invalidClientResponse" };

  if (refusal) {
    tempSocket.emit("sync", { ...frameBase, ...errorEnvelope(refusal) });
    return;
  }
  tempSocket.emit("sync", { ...frameBase, status: "success", serverOutput, clientOutput: clientResult });
}

// ---------------------------------------------------------------------------------------------
// Connections: the token is checked and extracted once at connect; a bad one refuses the CONNECT.

io.use((socket, next) => {
  const raw = socket.handshake.auth?.token;
  if (raw === undefined || raw === null) return next();
  const verdict = typeof raw === "string" ? verifyToken(raw) : { errorCode: "auth.invalidToken" };
  if (verdict.errorCode) {
    const error = new Error(verdict.errorCode);
    error.data = errorEnvelope({ errorCode: verdict.errorCode, httpStatus: 401 });
    return next(error);
  }
  socket.data.session = verdict.session;
  next();
});

io.on("connection", (socket) => {
  const token = extractTokenFromSocket(socket);
  if (token) {
    openSession(token, socket.data.session);
    // The original puts every signed-in socket in a room named after its token.
    socket.join(token);
  }

  socket.on("joinRoom", (arg, ack) => {
    const reply = typeof ack === "function" ? ack : () => {};
    const raw = typeof arg === "string" ? arg : typeof arg?.room === "string" ? arg.room : null;
    const room = raw === null ? "" : raw.trim();
    const chars = [...room].length;
    if (chars < 1 || chars > MAX_ROOM_CHARS) {
      return reply(errorEnvelope({ errorCode: "room.invalidName", httpStatus: 400 }));
    }
    socket.join(room);
    const rooms = [...socket.rooms].filter((joined) => joined !== socket.id && joined !== token).sort();
    reply({ status: "success", rooms });
  });

  socket.on("sync", (msg, ack) => {
    // An ack without an argument: the request is missing.
    if (typeof msg === "function") {
      return void handleSyncRequest({ msg: undefined, ack: msg, socket, token });
    }
    void handleSyncRequest({ msg, ack, socket, token });
  });

  socket.on("disconnect", () => {
    if (token) closeSession(token);
  });
});

httpServer.listen(port, "127.0.0.1", () => {
  const version = require("socket.io/package.json").version;
  console.log(`node socket.io ${version} sync reference listening on 127.0.0.1:${port}`);
});

process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
