import type { Clock, TimerHandle } from './clock.js'
import { describe, finiteNumber } from './internal/validate.js'

/**
 * A {@link Clock} whose time moves only when a test says so. Timers fire in
 * order of their due time (ties in the order they were set), and between two
 * timers the pending promise callbacks run, so code that awaits after a timer
 * sees the same order as it would in real time.
 * @public
 */
export interface VirtualClock extends Clock {
  /** Timers set and not yet fired or cleared. */
  readonly pending: number
  /**
   * Pending timers that would keep a Node process alive: those not passed to
   * `unref()`. Liveness tests read it: while a promise waits on a timer, that
   * timer must count here; when nothing waits, it should be 0.
   */
  readonly keepingAlive: number
  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way and
   * letting promise callbacks settle after each one.
   */
  advance(ms: number): Promise<void>
  /** Moves time to the next pending timer and fires it; resolves to false when there is none. */
  next(): Promise<boolean>
  /**
   * Fires timers until none are pending (including those set while it runs), up
   * to `limit` timers; throws past the limit, which guards against an endless
   * chain of timers.
   */
  runAll(limit?: number): Promise<void>
  /** Lets pending promise callbacks run without moving time. */
  flush(): Promise<void>
}

interface VirtualTimer {
  readonly id: number
  readonly at: number
  readonly callback: () => void
  unrefd: boolean
}

type Schedule = (callback: () => void) => void
const macrotask: Schedule =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
    ? (callback) => (globalThis as unknown as { setImmediate(cb: () => void): void }).setImmediate(callback)
    : (callback) => globalThis.setTimeout(callback, 0)

// Waiting for a macrotask lets every queued microtask (promise callback) run first.
const flushMicrotasks = (): Promise<void> => new Promise((resolve) => macrotask(resolve))

/**
 * Creates a {@link VirtualClock} starting at `options.now` (default 0).
 * @example
 * ```ts
 * const clock = createVirtualClock()
 * const pool = createPool({ handler: work, clock, taskTimeout: 1000 })
 * const result = pool.run(input)
 * await clock.advance(1000) // the task times out, without waiting a second
 * ```
 * @public
 */
export function createVirtualClock(options?: { now?: number }): VirtualClock {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError(`options must be an object, got ${describe(options)}`)
  }
  let now = options?.now === undefined ? 0 : finiteNumber('options.now', options.now)
  let nextId = 1
  // Kept sorted by (at, id); tests hold few timers, so insertion is cheap enough.
  const timers: VirtualTimer[] = []

  const insert = (timer: VirtualTimer): void => {
    let i = timers.length
    while (i > 0 && timers[i - 1]!.at > timer.at) i--
    timers.splice(i, 0, timer)
  }

  const fireNext = (limit: number): boolean => {
    const timer = timers[0]
    if (timer === undefined || timer.at > limit) return false
    timers.shift()
    if (timer.at > now) now = timer.at
    timer.callback()
    return true
  }

  const clock: VirtualClock = {
    now: () => now,
    setTimeout(callback, ms) {
      const delay = Number.isFinite(ms) && ms > 0 ? ms : 0
      const timer: VirtualTimer = { id: nextId++, at: now + delay, callback, unrefd: false }
      insert(timer)
      return timer.id
    },
    clearTimeout(handle: TimerHandle) {
      const i = timers.findIndex((t) => t.id === handle)
      if (i !== -1) timers.splice(i, 1)
    },
    unref(handle: TimerHandle) {
      const timer = timers.find((t) => t.id === handle)
      if (timer !== undefined) timer.unrefd = true
    },
    get pending() {
      return timers.length
    },
    get keepingAlive() {
      let count = 0
      for (const t of timers) if (!t.unrefd) count++
      return count
    },
    async advance(ms) {
      if (!(ms >= 0)) throw new RangeError(`advance(ms) needs a non-negative number, got ${ms}`)
      const target = now + ms
      await flushMicrotasks()
      while (fireNext(target)) await flushMicrotasks()
      now = target
      await flushMicrotasks()
    },
    async next() {
      await flushMicrotasks()
      const fired = fireNext(Infinity)
      await flushMicrotasks()
      return fired
    },
    async runAll(limit = 10_000) {
      let fired = 0
      await flushMicrotasks()
      while (timers.length > 0) {
        if (fired >= limit) throw new Error(`runAll() fired ${limit} timers and more are pending; is a timer rescheduling itself?`)
        fireNext(Infinity)
        fired++
        await flushMicrotasks()
      }
    },
    flush: flushMicrotasks,
  }
  return clock
}
