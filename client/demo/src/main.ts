/**
 * The demo page: a counter shared by everyone in a room, built only on synchost-client.
 *
 * A click shows the new count at once and sends `examples/updateCounter` v1 with the value from
 * before the click; the host answers every member of the room with that value plus one. Because each
 * request carries its own starting value, clicks made offline queue in order and arrive as a run of
 * consecutive values. The page never opens a socket or speaks the wire protocol itself.
 */
import { createSyncClient } from "synchost-client";

const COUNTER = { name: "examples/updateCounter", version: "v1" } as const;
/** The room of the original design's counter example; `?room=` joins another one on load. */
const DEFAULT_ROOM = "game-room-123";
/** How many received syncs the list keeps. */
const RECEIVED_LIMIT = 50;

type CounterOutput = { newValue?: unknown };

/** The element with `data-testid="<id>"`; the page's markup is fixed, so a miss is a build error. */
function byTestId<E extends HTMLElement>(id: string): E {
  const element = document.querySelector<E>(`[data-testid="${id}"]`);
  if (element === null) throw new Error(`index.html has no element ${id}`);
  return element;
}

const view = {
  connection: byTestId<HTMLSpanElement>("connection"),
  count: byTestId<HTMLParagraphElement>("count"),
  currentRoom: byTestId<HTMLElement>("current-room"),
  increment: byTestId<HTMLButtonElement>("increment"),
  lastError: byTestId<HTMLParagraphElement>("last-error"),
  joinForm: byTestId<HTMLFormElement>("join-form"),
  roomInput: byTestId<HTMLInputElement>("room-input"),
  joinedRooms: byTestId<HTMLUListElement>("joined-rooms"),
  queueCount: byTestId<HTMLSpanElement>("queue-count"),
  queueItems: byTestId<HTMLUListElement>("queue-items"),
  received: byTestId<HTMLUListElement>("received"),
};

const state = {
  count: 0,
  room: null as string | null,
  rooms: [] as string[],
};

const client = createSyncClient({ requestTimeoutMs: 15_000 });

function clock(at: number | Date): string {
  const date = new Date(at);
  const pad = (n: number, width = 2): string => String(n).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** A list item built from text parts only, so nothing received is ever parsed as HTML. */
function item(testId: string, parts: Array<[tag: string, text: string]>): HTMLLIElement {
  const li = document.createElement("li");
  li.dataset.testid = testId;
  for (const [tag, text] of parts) {
    const part = document.createElement(tag);
    part.textContent = text;
    if (tag === "span" || tag === "code") part.className = "grow";
    li.append(part);
  }
  return li;
}

function showError(message: string): void {
  view.lastError.textContent = message;
}

function renderCount(): void {
  view.count.textContent = String(state.count);
  view.currentRoom.textContent = state.room ?? "none";
  view.increment.disabled = state.room === null;
}

function renderConnection(): void {
  const online = navigator.onLine;
  const connected = client.socket.connected;
  const stateName = !online ? "offline" : connected ? "connected" : "disconnected";
  view.connection.dataset.state = stateName;
  view.connection.textContent =
    stateName === "connected" ? "connected" : `${stateName}: syncs are queued`;
}

function renderRooms(): void {
  view.joinedRooms.replaceChildren(
    ...state.rooms.map((room) => {
      const li = item("joined-room", [["span", room]]);
      li.dataset.room = room;
      li.classList.toggle("current", room === state.room);
      const use = document.createElement("button");
      use.type = "button";
      use.textContent = "use";
      use.disabled = room === state.room;
      use.addEventListener("click", () => {
        state.room = room;
        renderRooms();
        renderCount();
      });
      const leave = document.createElement("button");
      leave.type = "button";
      leave.textContent = "leave";
      leave.addEventListener("click", () => void leaveRoom(room));
      li.append(use, leave);
      return li;
    }),
  );
}

function renderQueue(): void {
  const items = client.queue.items();
  view.queueCount.textContent = String(items.length);
  view.queueItems.replaceChildren(
    ...items.map((queued) =>
      item("queue-item", [
        ["span", `${queued.name} ${queued.version} → ${queued.receiver}`],
        ["time", clock(queued.queuedAt)],
      ]),
    ),
  );
}

function addReceived(parts: { name: string; version: string; output: unknown; error?: string }): void {
  const text = parts.error ?? JSON.stringify(parts.output);
  const li = item("received-item", [
    ["strong", `${parts.name} ${parts.version}`],
    ["code", text],
    ["time", clock(new Date())],
  ]);
  li.dataset.output = text;
  view.received.prepend(li);
  while (view.received.children.length > RECEIVED_LIMIT) view.received.lastElementChild?.remove();
}

async function joinRoom(room: string): Promise<void> {
  const reply = await client.joinRoom(room);
  if (reply.status === "error") {
    showError(`could not join ${room}: ${reply.message}`);
    return;
  }
  showError("");
  state.rooms = reply.rooms;
  state.room = room;
  renderRooms();
  renderCount();
}

async function leaveRoom(room: string): Promise<void> {
  const reply = await client.leaveRoom(room);
  if (reply.status === "error") {
    showError(`could not leave ${room}: ${reply.message}`);
    return;
  }
  state.rooms = reply.rooms;
  if (state.room === room) state.room = state.rooms[0] ?? null;
  renderRooms();
  renderCount();
}

async function increment(): Promise<void> {
  const room = state.room;
  if (room === null) return;
  const before = state.count;
  state.count = before + 1;
  renderCount();
  const reply = await client.syncRequest({ ...COUNTER, data: { amount: before }, receiver: room });
  if (reply.status === "error") showError(`+1 failed: ${reply.message} (${reply.errorCode})`);
  else showError("");
}

client.upsertSyncEventCallback({
  ...COUNTER,
  callback: ({ serverOutput }) => {
    const value = (serverOutput as CounterOutput | null)?.newValue;
    addReceived({ ...COUNTER, output: serverOutput });
    if (typeof value === "number") {
      state.count = value;
      renderCount();
    }
  },
});
client.onSyncError((frame) =>
  addReceived({ name: frame.name, version: frame.version, output: null, error: `error ${frame.errorCode}: ${frame.message}` }),
);

client.queue.subscribe(renderQueue);
client.socket.on("connect", renderConnection);
client.socket.on("disconnect", renderConnection);
window.addEventListener("online", renderConnection);
window.addEventListener("offline", renderConnection);

view.joinForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const room = view.roomInput.value.trim();
  if (room !== "") void joinRoom(room);
});
view.increment.addEventListener("click", () => void increment());

const requested = new URLSearchParams(location.search).get("room");
view.roomInput.value = requested ?? DEFAULT_ROOM;
if (requested) client.socket.once("connect", () => void joinRoom(requested));
renderConnection();
renderCount();
renderRooms();
renderQueue();
