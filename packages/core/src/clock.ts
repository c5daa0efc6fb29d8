/**
 * An opaque handle for a timer set by a {@link Clock}.
 * @public
 */
export type TimerHandle = unknown

/**
 * Where all timing in poolkit comes from: timeouts, backoff, breakers, scalers
 * and the wait and run times in stats. Swap in {@link createVirtualClock} in tests
 * so they run instantly and deterministically.
 * @public
 */
export interface Clock {
  /** Milliseconds on a monotonic time line (only differences are meaningful). */
  now(): number
  /** Calls `callback` once, `ms` milliseconds from now. */
  setTimeout(callback: () => void, ms: number): TimerHandle
  /** Cancels a timer; a handle that already fired or was cleared is ignored. */
  clearTimeout(handle: TimerHandle): void
  /**
   * Lets the process exit while this timer is pending (Node's `timer.unref()`).
   * Optional: clocks without the notion leave it out.
   */
  unref?(handle: TimerHandle): void
}

const perf = (globalThis as { performance?: { now(): number } }).performance

/**
 * The real clock: `performance.now()` (falling back to `Date.now()`) and the
 * global timers. Works in Node, browsers and workers.
 * @public
 */
export const systemClock: Clock = {
  now: perf !== undefined ? () => perf.now() : () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
  unref: (handle) => {
    const timer = handle as { unref?: () => void }
    if (typeof timer.unref === 'function') timer.unref()
  },
}
