// useSyncEvents rendered by React (react-test-renderer): replacement per hook instance, removal on
// unmount, a stable function, and StrictMode's mount-unmount-mount.
import assert from "node:assert/strict";
import { test } from "node:test";
import { StrictMode, createElement, type ReactElement } from "react";
import { act, create, type ReactTestRenderer } from "react-test-renderer";
import type { SyncClient } from "synchost-client";
import { useSyncEvents } from "synchost-client/react";
import { fakeClient, type FakeSocket } from "./fakes.js";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const frame = { name: "a/b", version: "v1", fullName: "sync/a/b/v1", status: "success", serverOutput: { newValue: 1 }, clientOutput: null };

function Listener(props: { client: SyncClient; label: string; seen: string[]; fns?: unknown[] }): ReactElement | null {
  const { upsertSyncEventCallback } = useSyncEvents(props.client);
  props.fns?.push(upsertSyncEventCallback);
  upsertSyncEventCallback({ name: "a/b", version: "v1", callback: () => props.seen.push(props.label) });
  return null;
}

function mount(element: ReactElement): ReactTestRenderer {
  let renderer: ReactTestRenderer | undefined;
  act(() => {
    renderer = create(element);
  });
  return renderer!;
}

const deliver = (socket: FakeSocket): void => socket.receive("sync", frame);

test("re-rendering replaces the instance's callback; two instances both fire", () => {
  const { client, socket } = fakeClient();
  const seen: string[] = [];
  const fns: unknown[] = [];
  const tree = (label: string) => createElement("div", null, createElement(Listener, { client, label, seen, fns }), createElement(Listener, { client, label: "other", seen }));
  const renderer = mount(tree("first"));
  deliver(socket);
  assert.deepEqual(seen, ["first", "other"]);
  act(() => renderer.update(tree("second")));
  seen.length = 0;
  deliver(socket);
  assert.deepEqual(seen, ["second", "other"]);
  assert.equal(fns.length, 2);
  assert.equal(fns[0], fns[1], "upsertSyncEventCallback is stable across renders");
  act(() => renderer.unmount());
});

test("unmounting removes every callback the instance registered", () => {
  const { client, socket } = fakeClient();
  const seen: string[] = [];
  const renderer = mount(createElement(Listener, { client, label: "x", seen }));
  deliver(socket);
  assert.deepEqual(seen, ["x"]);
  act(() => renderer.unmount());
  deliver(socket);
  assert.deepEqual(seen, ["x"]);
});

test("unmounting one instance leaves the other's callback", () => {
  const { client, socket } = fakeClient();
  const seen: string[] = [];
  const tree = (both: boolean) =>
    createElement("div", null, both ? createElement(Listener, { client, label: "gone", seen, key: "a" }) : null, createElement(Listener, { client, label: "stays", seen, key: "b" }));
  const renderer = mount(tree(true));
  act(() => renderer.update(tree(false)));
  deliver(socket);
  assert.deepEqual(seen.slice(-1), ["stays"]);
  assert.ok(!seen.slice(2).includes("gone"));
  act(() => renderer.unmount());
});

test("under StrictMode the callback is registered once and survives the effect replay", () => {
  const { client, socket } = fakeClient();
  const seen: string[] = [];
  const renderer = mount(createElement(StrictMode, null, createElement(Listener, { client, label: "strict", seen })));
  deliver(socket);
  assert.deepEqual(seen, ["strict"]);
  act(() => renderer.unmount());
  deliver(socket);
  assert.deepEqual(seen, ["strict"]);
});
