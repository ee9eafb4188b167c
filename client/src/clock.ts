/**
 * Time as the client sees it: the current time and one-shot timers.
 *
 * Everything time-dependent (request timeouts, queue TTLs) goes through a {@link Clock} so tests can
 * drive time by hand. Nothing else in the package may call `Date.now` or `setTimeout` directly.
 */

/** A source of time and timers. */
export interface Clock {
  /** Milliseconds since some fixed origin. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer; unknown or fired handles are ignored. */
  clearTimeout(handle: unknown): void;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};
