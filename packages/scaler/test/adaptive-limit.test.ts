import { createPool, createVirtualClock } from '@poolkit/core'
import type { Scaler } from '@poolkit/core'
import { describe, expect, it } from 'vitest'
import { snapshotOf } from './snapshot.js'
import { adaptiveLimit } from '../src/index.js'

type Fields = Parameters<typeof snapshotOf>[0]
let now = 0
/** An interval in which tasks finished after `runMs` on average, the pool `running` tasks at the end. */
const interval = (runMs: number, running: number, fields: Fields = {}) => snapshotOf({ now: (now += 100), intervalMs: 100, completionRate: 50, meanRunMs: runMs, running, ...fields })

/** Feeds `n` intervals and returns the limits asked for. */
const feed = (scaler: Scaler, n: number, make: () => ReturnType<typeof snapshotOf>) => Array.from({ length: n }, () => scaler.desired(make()))

describe('adaptiveLimit: options', () => {
  it('tells the pool min 1, max 1000 and a 100 ms interval, and starts its limit at min', () => {
    const s = adaptiveLimit()
    expect([s.min, s.max, s.intervalMs, s.onPressure, s.limit]).toEqual([1, 1000, 100, undefined, 1])
    expect(adaptiveLimit({ min: 3, max: 40, intervalMs: 250 })).toMatchObject({ min: 3, max: 40, intervalMs: 250, limit: 3 })
    expect(adaptiveLimit({ min: 2, initial: 10 }).limit).toBe(10)
  })

  it.each([
    [{ min: 0 }, 'options.min must be a positive integer, got 0'],
    [{ max: -1 }, 'options.max must be a positive integer, got -1'],
    [{ initial: 2.5 }, 'options.initial must be a positive integer, got 2.5'],
    [{ algorithm: 'fast' }, "options.algorithm must be one of 'vegas', 'gradient', 'aimd', got \"fast\""],
    [{ tolerance: 0.9 }, 'options.tolerance must be a finite number of at least 1, got 0.9'],
    [{ backoff: 1 }, 'options.backoff must be a number above 0 and below 1, got 1'],
    [{ backoff: 0 }, 'options.backoff must be a number above 0 and below 1, got 0'],
    [{ smoothing: 2 }, 'options.smoothing must be a number above 0 and at most 1, got 2'],
    [{ intervalMs: Infinity }, 'options.intervalMs must be a positive finite number of milliseconds, got Infinity'],
  ])('refuses %o with a TypeError naming the option and the value', (options, message) => {
    expect(() => adaptiveLimit(options as never)).toThrow(TypeError)
    expect(() => adaptiveLimit(options as never)).toThrow(message)
  })

  it('refuses conflicting values with a RangeError', () => {
    expect(() => adaptiveLimit({ min: 10, max: 5 })).toThrow(new RangeError('options.min (10) must not exceed options.max (5)'))
    expect(() => adaptiveLimit({ min: 2, max: 5, initial: 6 })).toThrow(new RangeError('options.initial (6) must be within options.min (2) and options.max (5)'))
    expect(() => adaptiveLimit({ min: 2, initial: 1 })).toThrow(RangeError)
  })
})

describe("adaptiveLimit: 'gradient'", () => {
  it('raises the limit by sqrt(limit) × smoothing while latency holds and the pool uses its limit', () => {
    const raw = adaptiveLimit({ algorithm: 'gradient', initial: 4, smoothing: 1 })
    // 4 + 2 = 6, 6 + 2.45 = 8.45, 8.45 + 2.91 = 11.36.
    expect(feed(raw, 3, () => interval(100, raw.limit))).toEqual([6, 8, 11])
    const smooth = adaptiveLimit({ algorithm: 'gradient', initial: 4 })
    // 4 → 4.4 → 4.82 → 5.26: the floor goes to the pool.
    expect(feed(smooth, 3, () => interval(100, smooth.limit))).toEqual([4, 4, 5])
  })

  it('does not raise the limit of a pool that uses less than 90% of it, nor lower it while latency holds', () => {
    const s = adaptiveLimit({ algorithm: 'gradient', initial: 10, smoothing: 1 })
    expect(feed(s, 5, () => interval(100, 8))).toEqual([10, 10, 10, 10, 10])
    expect(s.desired(interval(100, 9))).toBeGreaterThan(10)
  })

  it('counts waiting tasks as using the limit, and running tasks per worker with tasksPerWorker', () => {
    const waiting = adaptiveLimit({ algorithm: 'gradient', initial: 10, smoothing: 1 })
    expect(waiting.desired(interval(100, 0, { queued: 1 }))).toBe(13)
    const perWorker = adaptiveLimit({ algorithm: 'gradient', initial: 10, smoothing: 1 })
    expect(perWorker.desired(interval(100, 9, { tasksPerWorker: 2 }))).toBe(10)
    expect(perWorker.desired(interval(100, 18, { tasksPerWorker: 2 }))).toBe(13)
  })

  /** A limiter at `limit` whose no-load estimate is 100 ms, held still while it learned it. */
  const warmed = (options: Parameters<typeof adaptiveLimit>[0]) => {
    const s = adaptiveLimit({ algorithm: 'gradient', ...options })
    feed(s, 10, () => interval(100, 0))
    return s
  }

  it('cuts by the gradient longRtt × tolerance / shortRtt when latency rises past the tolerance', () => {
    // 200 ms against 100 × 1.5: gradient 0.75; 100 × 0.75 + sqrt(100) = 85.
    expect(warmed({ initial: 100, max: 200, smoothing: 1 }).desired(interval(200, 100))).toBe(85)
    // Smoothed: 100 × 0.8 + 85 × 0.2 = 97.
    expect(warmed({ initial: 100, max: 200 }).desired(interval(200, 100))).toBe(97)
    // Within the tolerance latency holds, and the limit rises.
    expect(warmed({ initial: 100, max: 200, smoothing: 1 }).desired(interval(150, 100))).toBe(110)
    expect(warmed({ initial: 100, max: 200, smoothing: 1, tolerance: 2 }).desired(interval(200, 100))).toBe(110)
  })

  it('never cuts by more than half in one step (the gradient is at least 0.5)', () => {
    expect(warmed({ initial: 100, max: 200, smoothing: 1 }).desired(interval(10_000, 100))).toBe(60)
  })

  it('cuts on a latency rise even when the pool does not use its limit', () => {
    expect(warmed({ initial: 100, max: 200, smoothing: 1 }).desired(interval(200, 10))).toBe(85)
  })

  it('cuts by backoff on any error, whatever the latency', () => {
    expect(warmed({ initial: 100, max: 200 }).desired(interval(100, 100, { errorRate: 0.01 }))).toBe(90)
    expect(warmed({ initial: 100, max: 200, backoff: 0.5 }).desired(interval(100, 100, { errorRate: 1 }))).toBe(50)
  })

  it('does not learn latency from intervals with errors (fast 429s would lower the no-load estimate)', () => {
    const s = warmed({ initial: 100, max: 200, smoothing: 1 })
    feed(s, 20, () => interval(1, 0, { errorRate: 0.5 }))
    // Still measured against 100 ms: 140 ms is within tolerance, so the limit rises.
    const cut = s.limit
    expect(s.desired(interval(140, cut))).toBeGreaterThan(cut)
  })

  it('lets the no-load estimate down after a prolonged overload, so a later rise is still seen', () => {
    const s = adaptiveLimit({ algorithm: 'gradient', initial: 50, max: 200, smoothing: 1 })
    // 10 intervals at 1000 ms, then 700 at 100 ms (past the long window), none using the limit.
    feed(s, 10, () => interval(1000, 0))
    feed(s, 700, () => interval(100, 0))
    expect(s.limit).toBe(50)
    expect(s.desired(interval(400, 50))).toBeLessThan(50)
  })

  it('holds when no task finished in the interval, and on a zero-length interval', () => {
    const s = adaptiveLimit({ algorithm: 'gradient', initial: 10 })
    expect(s.desired(interval(0, 10, { completionRate: 0, queued: 5 }))).toBe(10)
    expect(s.desired(interval(100, 10, { intervalMs: 0 }))).toBe(10)
  })

  it('stays within [min, max]', () => {
    const up = adaptiveLimit({ algorithm: 'gradient', initial: 5, max: 8, smoothing: 1 })
    expect(feed(up, 5, () => interval(100, up.limit))).toEqual([7, 8, 8, 8, 8])
    const down = adaptiveLimit({ algorithm: 'gradient', min: 3, initial: 5 })
    expect(feed(down, 5, () => interval(100, 5, { errorRate: 1 }))).toEqual([4, 4, 3, 3, 3])
  })

  it('treats tasks that take no time as latency holding', () => {
    const s = adaptiveLimit({ algorithm: 'gradient', initial: 4, smoothing: 1 })
    expect(feed(s, 3, () => interval(0, s.limit))).toEqual([6, 8, 11])
  })
})

describe("adaptiveLimit: 'aimd'", () => {
  it('adds one per interval while latency holds and the pool uses its limit, and holds otherwise', () => {
    const s = adaptiveLimit({ algorithm: 'aimd', initial: 5 })
    expect(feed(s, 3, () => interval(100, s.limit))).toEqual([6, 7, 8])
    expect(feed(s, 2, () => interval(100, 0))).toEqual([8, 8])
    expect(s.desired(interval(100, 0, { queued: 2 }))).toBe(9)
  })

  it('multiplies by backoff (rounded down) on a latency rise past the tolerance', () => {
    const s = adaptiveLimit({ algorithm: 'aimd', initial: 10 })
    expect(s.desired(interval(100, 10))).toBe(11)
    expect(s.desired(interval(151, 11))).toBe(9)
    const lenient = adaptiveLimit({ algorithm: 'aimd', initial: 10, tolerance: 2 })
    lenient.desired(interval(100, 10))
    expect(lenient.desired(interval(151, 11))).toBe(12)
  })

  it('multiplies by backoff on errors, and takes a custom backoff', () => {
    expect(adaptiveLimit({ algorithm: 'aimd', initial: 10 }).desired(interval(100, 10, { errorRate: 0.1 }))).toBe(9)
    expect(adaptiveLimit({ algorithm: 'aimd', initial: 10, backoff: 0.5 }).desired(interval(100, 10, { errorRate: 0.1 }))).toBe(5)
  })

  it('ignores smoothing', () => {
    const s = adaptiveLimit({ algorithm: 'aimd', initial: 5, smoothing: 0.01 })
    expect(feed(s, 2, () => interval(100, s.limit))).toEqual([6, 7])
  })

  it('stays within [min, max]', () => {
    const s = adaptiveLimit({ algorithm: 'aimd', min: 2, max: 4, initial: 3 })
    expect(feed(s, 3, () => interval(100, s.limit))).toEqual([4, 4, 4])
    expect(feed(s, 3, () => interval(100, 4, { errorRate: 1 }))).toEqual([3, 2, 2])
  })
})

describe('adaptiveLimit: with a pool', () => {
  /** A provider that takes 100 ms up to 10 calls at once, and proportionally longer past that. */
  const provider = (clock: ReturnType<typeof createVirtualClock>, refuseOver10 = false) => {
    let inFlight = 0
    return async (): Promise<number> => {
      inFlight++
      const over = inFlight > 10
      const ms = 100 * Math.max(1, inFlight / 10)
      await new Promise<void>((resolve) => clock.setTimeout(resolve, ms))
      inFlight--
      if (refuseOver10 && over) throw new Error('429 Too Many Requests')
      return ms
    }
  }

  it("'gradient': raises the pool's concurrency from 1 while latency holds, and settles where latency is about tolerance × the no-load one", async () => {
    const clock = createVirtualClock()
    const scaler = adaptiveLimit({ algorithm: 'gradient', max: 50 })
    const pool = createPool({ handler: provider(clock), clock, concurrency: 1, scaler })
    const results = Array.from({ length: 4000 }, () => pool.run(undefined))
    const targets: number[] = []
    for (let i = 0; i < 200; i++) {
      await clock.advance(100)
      targets.push(pool.stats().targetWorkers)
    }
    expect(targets[0]).toBe(1)
    expect(targets.slice(0, 40)).toEqual([...targets.slice(0, 40)].sort((a, b) => a - b))
    // From 10 s on it holds at 2 × the provider's 10: latency ~1.9× the no-load 100 ms (tolerance 1.5 plus the sqrt headroom).
    expect(Math.min(...targets.slice(100))).toBeGreaterThanOrEqual(17)
    expect(Math.max(...targets.slice(100))).toBeLessThanOrEqual(22)
    expect(targets.at(-1)).toBe(scaler.limit)
    await pool.destroy()
    await Promise.allSettled(results)
  })

  it("'vegas' (the default): settles a few calls past the provider's knee of 10, from its latency alone", async () => {
    const clock = createVirtualClock()
    const scaler = adaptiveLimit({ max: 50 })
    const pool = createPool({ handler: provider(clock), clock, concurrency: 1, scaler })
    const results = Array.from({ length: 4000 }, () => pool.run(undefined))
    const targets: number[] = []
    for (let i = 0; i < 200; i++) {
      await clock.advance(100)
      targets.push(pool.stats().targetWorkers)
    }
    expect(targets[0]).toBe(1)
    // Past 10 calls each one makes every call slower: 3 to 6 queued in the provider is 13 to 16.
    expect(Math.min(...targets.slice(100))).toBeGreaterThanOrEqual(11)
    expect(Math.max(...targets.slice(100))).toBeLessThanOrEqual(17)
    await pool.destroy()
    await Promise.allSettled(results)
  })

  it("'aimd': finds a provider's limit from its 429s and keeps the pool's concurrency around it", async () => {
    const clock = createVirtualClock()
    const scaler = adaptiveLimit({ algorithm: 'aimd', max: 50 })
    const pool = createPool({ handler: provider(clock, true), clock, concurrency: 1, scaler })
    const results = Array.from({ length: 4000 }, () => pool.run(undefined).catch(() => -1))
    const targets: number[] = []
    for (let i = 0; i < 200; i++) {
      await clock.advance(100)
      targets.push(pool.stats().targetWorkers)
    }
    expect(targets.slice(0, 10)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(Math.min(...targets.slice(20))).toBeGreaterThanOrEqual(8)
    expect(Math.max(...targets.slice(20))).toBeLessThanOrEqual(12)
    await pool.destroy()
    await Promise.allSettled(results)
  })
})
