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

// Timers take at most 2^31-1 ms; Node turns a longer delay into 1 ms. Longer
// timers are chained, so a huge timeout means "much later", never "at once".
const MAX_DELAY = 2_147_483_647

type NativeTimer = ReturnType<typeof globalThis.setTimeout>

/** A timer longer than the platform allows, made of chained native timers. */
class LongTimer {
  native: NativeTimer | undefined
  unrefd = false
}

function unrefNative(timer: NativeTimer | undefined): void {
  const t = timer as { unref?: () => void } | undefined
  if (typeof t?.unref === 'function') t.unref()
}

/**
 * The real clock: `performance.now()` (falling back to `Date.now()`) and the
 * global timers, with delays past 2^31-1 ms chained rather than cut to 1 ms.
 * Works in Node, browsers and workers.
 * @public
 */
export const systemClock: Clock = {
  now: perf !== undefined ? () => perf.now() : () => Date.now(),
  setTimeout: (callback, ms) => {
    if (!(ms > MAX_DELAY)) return globalThis.setTimeout(callback, ms)
    const timer = new LongTimer()
    const arm = (left: number): void => {
      timer.native = globalThis.setTimeout(left > MAX_DELAY ? () => arm(left - MAX_DELAY) : callback, Math.min(left, MAX_DELAY))
      if (timer.unrefd) unrefNative(timer.native)
    }
    arm(ms)
    return timer
  },
  clearTimeout: (handle) => {
    if (handle instanceof LongTimer) globalThis.clearTimeout(handle.native)
    else globalThis.clearTimeout(handle as NativeTimer)
  },
  unref: (handle) => {
    if (handle instanceof LongTimer) {
      handle.unrefd = true
      unrefNative(handle.native)
    } else {
      unrefNative(handle as NativeTimer)
    }
  },
}
