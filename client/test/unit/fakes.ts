/**
 * Stand-ins for the socket and the clock, for unit tests of the client alone.
 *
 * `FakeSocket` records what the client emits and lets a test play the host: answer acks, deliver
 * frames, connect and drop. `FakeClock` runs timers only when the test advances time.
 */
import type { Socket } from "socket.io-client";
import type { Clock, SyncClient, SyncClientOptions } from "synchost-client";
import { createSyncClient } from "synchost-client";

/** One emit the client made. */
export type Sent = { event: string; args: unknown[]; ack: ((reply: unknown) => void) | undefined };

/** A socket that talks to the test instead of a host. */
export class FakeSocket {
  connected = false;
  active = true;
  auth: Record<string, unknown> = {};
  readonly sent: Sent[] = [];
  connects = 0;
  private readonly listeners = new Map<string, Set<(...args: unknown[]) => void>>();

  on(event: string, listener: (...args: unknown[]) => void): this {
    const set = this.listeners.get(event) ?? new Set();
    set.add(listener);
    this.listeners.set(event, set);
    return this;
  }

  off(event: string, listener: (...args: unknown[]) => void): this {
    this.listeners.get(event)?.delete(listener);
    return this;
  }

  emit(event: string, ...args: unknown[]): this {
    const last = args[args.length - 1];
    const ack = typeof last === "function" ? (args.pop() as (reply: unknown) => void) : undefined;
    this.sent.push({ event, args, ack });
    return this;
  }

  /** Plays an incoming event. */
  receive(event: string, ...args: unknown[]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) listener(...args);
  }

  connect(): this {
    this.active = true;
    if (!this.connected) {
      this.connected = true;
      this.connects += 1;
      this.receive("connect");
    }
    return this;
  }

  disconnect(): this {
    this.active = false;
    if (this.connected) {
      this.connected = false;
      this.receive("disconnect", "io client disconnect");
    }
    return this;
  }

  /** The connection drops by itself (socket.io would reconnect). */
  drop(): void {
    this.connected = false;
    this.receive("disconnect", "transport close");
  }

  /** The emits of one event, oldest first. */
  sentOf(event: string): Sent[] {
    return this.sent.filter((s) => s.event === event);
  }

  listenerCount(event: string): number {
    return this.listeners.get(event)?.size ?? 0;
  }
}

/** A clock whose time moves only when told to. */
export class FakeClock implements Clock {
  private time = 1_000_000;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, fn, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Moves time forward, running due timers in order. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = due.at;
      due.fn();
    }
    this.time = target;
  }
}

/** A client on a fake socket and clock. */
export function fakeClient(options: SyncClientOptions = {}): { client: SyncClient; socket: FakeSocket; clock: FakeClock } {
  const socket = new FakeSocket();
  const clock = new FakeClock();
  const client = createSyncClient({ socket: socket as unknown as Socket, clock, ...options });
  return { client, socket, clock };
}

/** Lets pending promise callbacks run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Tracks whether a promise has settled yet. */
export function track<T>(promise: Promise<T>): { value: T | undefined; done: boolean } {
  const state: { value: T | undefined; done: boolean } = { value: undefined, done: false };
  void promise.then((value) => {
    state.value = value;
    state.done = true;
  });
  return state;
}
