import { createPool, createVirtualClock } from '@poolkit/core'
import type { Clock, TaskInfo, VirtualClock } from '@poolkit/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createRateLimiter } from '../src/index.js'
import { task } from './task.js'

/** A clock the test moves by hand, synchronously (the limiter only reads `now`). */
const stepped = (now: () => number): Clock => ({ now, setTimeout: () => 0, clearTimeout: () => {} })

/** Asks the limiter for `n` starts of `key` now; the answers in order. */
const ask = (limiter: { acquire(t: TaskInfo): unknown }, key: string | undefined, n: number) => Array.from({ length: n }, () => limiter.acquire(task(key)))

describe('createRateLimiter: token bucket', () => {
  it('grants a burst at once, then answers "not before" the time the next token exists', async () => {
    const clock = createVirtualClock()
    const limiter = createRateLimiter({ clock, limits: { A: { perSecond: 10, burst: 3 } } })
    expect(ask(limiter, 'A', 3)).toEqual([undefined, undefined, undefined])
    expect(limiter.acquire(task('A'))).toEqual({ retryAt: 100, hold: true })
    await clock.advance(99)
    expect(limiter.acquire(task('A'))).toEqual({ retryAt: 100, hold: true })
    await clock.advance(1)
    expect(limiter.acquire(task('A'))).toBeUndefined()
    expect(limiter.acquire(task('A'))).toEqual({ retryAt: 200, hold: true })
  })

  it('makes the bucket 100 ms worth of starts, max(1, perSecond / 10), by default, and handles rates under one a second', async () => {
    const clock = createVirtualClock()
    const limiter = createRateLimiter({ clock, limits: { fast: { perSecond: 50 }, medium: { perSecond: 5 }, slow: { perSecond: 0.5 } } })
    expect(limiter.tokens('fast')).toBe(5)
    expect(ask(limiter, 'fast', 6).filter((d) => d === undefined)).toHaveLength(5)
    expect(limiter.tokens('medium')).toBe(1)
    expect(limiter.tokens('slow')).toBe(1)
    expect(limiter.acquire(task('slow'))).toBeUndefined()
    expect(limiter.acquire(task('slow'))).toEqual({ retryAt: 2000, hold: true })
    await clock.advance(1000)
    expect(limiter.tokens('slow')).toBeCloseTo(0.5)
  })

  it('limits keys not in limits, and tasks without a key, by defaultLimit, each key with its own bucket', () => {
    const clock = createVirtualClock()
    const limiter = createRateLimiter({ clock, defaultLimit: { perSecond: 1 } })
    expect(limiter.acquire(task('x'))).toBeUndefined()
    expect(limiter.acquire(task('x'))).toMatchObject({ hold: true, retryAt: 1000 })
    expect(limiter.acquire(task('y'))).toBeUndefined()
    expect(limiter.acquire(task())).toBeUndefined()
    expect(limiter.acquire(task())).toMatchObject({ hold: true })
  })

  it('leaves keys unlimited when there is no defaultLimit, and says Infinity tokens for them', () => {
    const limiter = createRateLimiter({ clock: createVirtualClock(), limits: { A: { perSecond: 1 } } })
    expect(ask(limiter, 'free', 1000).every((d) => d === undefined)).toBe(true)
    expect(limiter.tokens('free')).toBe(Infinity)
    expect(limiter.tokens()).toBe(Infinity)
  })

  it('gives a token back on onCancel when the task never started since it was granted, and not once it ran', async () => {
    const clock = createVirtualClock()
    const limiter = createRateLimiter({ clock, limits: { A: { perSecond: 1 } } })
    const refused = task('A')
    expect(limiter.acquire(refused)).toBeUndefined()
    // A later policy of a combine() refused it: the start never happened.
    limiter.onCancel(refused)
    expect(limiter.tokens('A')).toBe(1)
    const ran = task('A')
    expect(limiter.acquire(ran)).toBeUndefined()
    Object.assign(ran, { startedAt: 0 })
    await clock.advance(10)
    // Cancelled while running: the request may have gone out, so the token stays spent.
    limiter.onCancel(ran)
    expect(limiter.tokens('A')).toBeCloseTo(0.01)
  })
})

describe('createRateLimiter: sliding window', () => {
  it('allows perSecond starts in any 1,000 ms and answers "not before" the oldest start leaves the window', async () => {
    const clock = createVirtualClock()
    const limiter = createRateLimiter({ clock, algorithm: 'sliding-window', limits: { A: { perSecond: 3 } } })
    expect(limiter.acquire(task('A'))).toBeUndefined()
    await clock.advance(300)
    expect(ask(limiter, 'A', 2)).toEqual([undefined, undefined])
    expect(limiter.tokens('A')).toBe(0)
    expect(limiter.acquire(task('A'))).toEqual({ retryAt: 1000, hold: true })
    await clock.advance(700)
    expect(limiter.acquire(task('A'))).toBeUndefined()
    expect(limiter.acquire(task('A'))).toEqual({ retryAt: 1300, hold: true })
  })

  it('keeps the newest starts when setLimit lowers the window, and counts them against the new limit', async () => {
    const clock = createVirtualClock()
    const limiter = createRateLimiter({ clock, algorithm: 'sliding-window', limits: { A: { perSecond: 4 } } })
    limiter.acquire(task('A'))
    await clock.advance(100)
    limiter.acquire(task('A'))
    await clock.advance(100)
    limiter.acquire(task('A'))
    limiter.setLimit('A', { perSecond: 2 })
    expect(limiter.tokens('A')).toBe(0)
    // The newest two starts, at 100 and 200, decide: room again at 1,100.
    expect(limiter.acquire(task('A'))).toEqual({ retryAt: 1100, hold: true })
    limiter.setLimit('A', { perSecond: 5 })
    expect(limiter.tokens('A')).toBe(3)
  })

  it('takes a start back on onCancel before the task started', () => {
    const limiter = createRateLimiter({ clock: createVirtualClock(), algorithm: 'sliding-window', limits: { A: { perSecond: 1 } } })
    const t = task('A')
    limiter.acquire(t)
    limiter.onCancel(t)
    expect(limiter.acquire(task('A'))).toBeUndefined()
  })
})

describe('createRateLimiter: retry hints', () => {
  const tooMany = (retryAfter: number) => Object.assign(new Error('429'), { status: 429, retryAfter })

  it('pauses the key of a task that failed with a retry hint, and answers with a retry at the end of the pause', async () => {
    const clock = createVirtualClock({ now: 1000 })
    const limiter = createRateLimiter({ clock })
    const t = task('A')
    expect(limiter.acquire(t)).toBeUndefined()
    expect(limiter.onFailure(t, tooMany(2), 5)).toEqual({ retryAt: 3000 })
    expect(limiter.pausedUntil('A')).toBe(3000)
    expect(limiter.acquire(task('A'))).toEqual({ retryAt: 3000, hold: true })
    expect(limiter.acquire(task('B'))).toBeUndefined()
    expect(limiter.pausedUntil('B')).toBe(-1)
    await clock.advance(2000)
    expect(limiter.pausedUntil('A')).toBe(-1)
    expect(limiter.acquire(task('A'))).toBeUndefined()
  })

  it('leaves a failure without a hint to the pool', () => {
    const limiter = createRateLimiter({ clock: createVirtualClock() })
    const t = task('A')
    limiter.acquire(t)
    expect(limiter.onFailure(t, Object.assign(new Error('429'), { status: 429 }), 1)).toBeUndefined()
    expect(limiter.pausedUntil('A')).toBe(-1)
  })

  it('caps a pause at maxPauseMs and keeps the later of two pauses', () => {
    const clock = createVirtualClock()
    const limiter = createRateLimiter({ clock, maxPauseMs: 10_000 })
    expect(limiter.onFailure(task('A'), tooMany(3600), 1)).toEqual({ retryAt: 10_000 })
    expect(limiter.onFailure(task('A'), tooMany(1), 1)).toEqual({ retryAt: 10_000 })
    expect(limiter.pausedUntil('A')).toBe(10_000)
  })

  it('reads hints with options.retryAfter when given, and ignores what is not a number', () => {
    const clock = createVirtualClock()
    const limiter = createRateLimiter({ clock, retryAfter: (error) => (error === 'slow down' ? 500 : (Number.NaN as never)) })
    expect(limiter.onFailure(task('A'), 'slow down', 1)).toEqual({ retryAt: 500 })
    expect(limiter.onFailure(task('B'), tooMany(2), 1)).toBeUndefined()
  })

  it('pauses tasks without a key as one key', () => {
    const limiter = createRateLimiter({ clock: createVirtualClock() })
    limiter.onFailure(task(), tooMany(1), 1)
    expect(limiter.pausedUntil()).toBe(1000)
    expect(limiter.acquire(task())).toEqual({ retryAt: 1000, hold: true })
    expect(limiter.acquire(task('A'))).toBeUndefined()
  })
})

describe('createRateLimiter: setLimit', () => {
  /** Start times of `n` tasks of key A, run through a pool with this limiter. */
  const startsOf = async (clock: VirtualClock, limiter: ReturnType<typeof createRateLimiter>, n: number, during?: (starts: number[]) => Promise<void>) => {
    const starts: number[] = []
    const pool = createPool({
      handler: () => {
        starts.push(clock.now())
        return new Promise<void>((resolve) => clock.setTimeout(resolve, 1))
      },
      clock,
      concurrency: 8,
      breaker: limiter,
    })
    const all = Array.from({ length: n }, () => pool.run(undefined, { key: 'A' }))
    await during?.(starts)
    await clock.runAll()
    await Promise.all(all)
    await pool.close()
    return starts
  }

  it('speeds a key up at once when setLimit raises its rate, waking its held tasks', async () => {
    const clock = createVirtualClock()
    const limiter = createRateLimiter({ clock, limits: { A: { perSecond: 1 } } })
    const starts = await startsOf(clock, limiter, 6, async () => {
      await clock.advance(1500)
      limiter.setLimit('A', { perSecond: 10, burst: 2 })
      await clock.flush()
    })
    // 0 and 1,000 at 1/s. At 1,500 the token is half full; the held tasks, due at
    // 2,000, are asked again at once and the other half fills at 10/s: 50 ms.
    expect(starts).toEqual([0, 1000, 1550, 1650, 1750, 1850])
  })

  it('slows a key down when setLimit lowers its rate', async () => {
    const clock = createVirtualClock()
    const limiter = createRateLimiter({ clock, limits: { A: { perSecond: 10, burst: 1 } } })
    const starts = await startsOf(clock, limiter, 5, async (seen) => {
      await clock.advance(150)
      expect(seen).toEqual([0, 100])
      limiter.setLimit('A', { perSecond: 2, burst: 1 })
    })
    // The token, half full at 150, fills its other half at 2/s: 250 ms.
    expect(starts).toEqual([0, 100, 400, 900, 1400])
  })

  it('puts a key back on defaultLimit with undefined, and lifts its limit with perSecond: Infinity', () => {
    const clock = createVirtualClock()
    const limiter = createRateLimiter({ clock, defaultLimit: { perSecond: 1 }, limits: { A: { perSecond: 100 } } })
    expect(limiter.tokens('A')).toBe(10)
    limiter.setLimit('A', undefined)
    expect(limiter.tokens('A')).toBe(1)
    limiter.setLimit('A', { perSecond: Infinity })
    expect(limiter.tokens('A')).toBe(Infinity)
    expect(ask(limiter, 'A', 50).every((d) => d === undefined)).toBe(true)
  })

  it('wakes the key only when the limit went up', () => {
    const limiter = createRateLimiter({ clock: createVirtualClock(), limits: { A: { perSecond: 5 } } })
    const woken: unknown[] = []
    limiter.attach!((key) => woken.push(key))
    limiter.setLimit('A', { perSecond: 2 })
    expect(woken).toEqual([])
    limiter.setLimit('A', { perSecond: 2, burst: 4 })
    limiter.setLimit('A', { perSecond: 3, burst: 4 })
    expect(woken).toEqual(['A', 'A'])
  })
})

describe('createRateLimiter: properties', () => {
  const requests = fc.array(fc.record({ gap: fc.integer({ min: 0, max: 400 }), key: fc.constantFrom('A', 'B') }), { minLength: 1, maxLength: 120 })

  it('never grants more than burst + perSecond × (window − 1 ms) / 1000 starts in any 1,000 ms window (token bucket)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 10 }), requests, (perSecond, burst, reqs) => {
        let now = 0
        const limiter = createRateLimiter({ clock: stepped(() => now), limits: { A: { perSecond, burst } } })
        const granted: number[] = []
        for (const r of reqs) {
          now += r.gap
          if (limiter.acquire(task(r.key)) === undefined && r.key === 'A') granted.push(now)
        }
        const bound = burst + (perSecond * 999) / 1000
        for (const s of granted) expect(granted.filter((t) => t >= s && t < s + 1000).length).toBeLessThanOrEqual(bound + 1e-9)
      }),
    )
  })

  it('never grants more than perSecond starts in any 1,000 ms window (sliding window)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), requests, (perSecond, reqs) => {
        let now = 0
        const limiter = createRateLimiter({ clock: stepped(() => now), algorithm: 'sliding-window', limits: { A: { perSecond } } })
        const granted: number[] = []
        for (const r of reqs) {
          now += r.gap
          if (limiter.acquire(task(r.key)) === undefined && r.key === 'A') granted.push(now)
        }
        for (const s of granted) expect(granted.filter((t) => t >= s && t < s + 1000).length).toBeLessThanOrEqual(perSecond)
      }),
    )
  })

  it('sliding window at fractional times: never more than perSecond starts in any 1,000 ms, and a wait at most 1 ms longer than an exact log of every start', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.double({ min: 0, max: 300, noNaN: true }), { minLength: 1, maxLength: 150 }), (perSecond, gaps) => {
        let now = 0
        const limiter = createRateLimiter({ clock: stepped(() => now), algorithm: 'sliding-window', limits: { A: { perSecond } } })
        const granted: number[] = []
        for (const gap of gaps) {
          now += gap
          // The exact log: the start that must leave before another fits, and when it does.
          const inWindow = granted.filter((t) => t + 1000 > now)
          const exactNext = inWindow.length < perSecond ? now : inWindow[inWindow.length - perSecond]! + 1000
          const denial = limiter.acquire(task('A'))
          if (denial === undefined) {
            expect(inWindow.length).toBeLessThan(perSecond)
            granted.push(now)
          } else {
            expect(denial.retryAt).toBeGreaterThan(now)
            expect(denial.retryAt).toBeLessThanOrEqual(Math.max(exactNext, now) + 1)
          }
        }
      }),
    )
  })

  it('keeps its word: asked again at the retryAt of a denial, it grants (both algorithms)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('token-bucket' as const, 'sliding-window' as const),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 60 }),
        (algorithm, perSecond, gaps) => {
          let now = 0
          const limiter = createRateLimiter({ clock: stepped(() => now), algorithm, limits: { A: { perSecond, burst: 1 } } })
          for (const gap of gaps) {
            now += gap
            const denial = limiter.acquire(task('A'))
            if (denial === undefined) continue
            expect(denial.retryAt).toBeGreaterThan(now)
            now = denial.retryAt
            expect(limiter.acquire(task('A'))).toBeUndefined()
          }
        },
      ),
    )
  })
})

describe('createRateLimiter: options', () => {
  it('validates its options, naming the option and the value', () => {
    expect(() => createRateLimiter('fast' as never)).toThrow(new TypeError('options must be an object, got "fast"'))
    expect(() => createRateLimiter({ clock: {} as never })).toThrow(new TypeError('options.clock.now must be a function, got undefined'))
    expect(() => createRateLimiter({ limits: { openai: { perSecond: 0 } } })).toThrow(new TypeError('options.limits["openai"].perSecond must be a number above 0 or Infinity, got 0'))
    expect(() => createRateLimiter({ limits: { openai: 50 as never } })).toThrow(new TypeError('options.limits["openai"] must be an object like { perSecond: 10 }, got 50'))
    expect(() => createRateLimiter({ limits: { openai: { perSecond: 50, burst: 0.5 } } })).toThrow(new TypeError('options.limits["openai"].burst must be a finite number of at least 1, got 0.5'))
    expect(() => createRateLimiter({ defaultLimit: { perSecond: Number.NaN } })).toThrow(new TypeError('options.defaultLimit.perSecond must be a number above 0 or Infinity, got NaN'))
    expect(() => createRateLimiter({ algorithm: 'leaky' as never })).toThrow(new TypeError("options.algorithm must be one of 'token-bucket', 'sliding-window', got \"leaky\""))
    expect(() => createRateLimiter({ algorithm: 'sliding-window', limits: { A: { perSecond: 2.5 } } })).toThrow(
      new RangeError('options.limits["A"].perSecond must be an integer with algorithm \'sliding-window\' (starts in any 1,000 ms), got 2.5'),
    )
    expect(() => createRateLimiter({ retryAfter: 5 as never })).toThrow(new TypeError('options.retryAfter must be a function, got 5'))
    expect(() => createRateLimiter({ maxPauseMs: -1 })).toThrow(new TypeError('options.maxPauseMs must be a non-negative number of milliseconds or Infinity, got -1'))
    const limiter = createRateLimiter()
    expect(() => limiter.setLimit('A', { perSecond: -5 })).toThrow(new TypeError('setLimit("A", limit): limit.perSecond must be a number above 0 or Infinity, got -5'))
  })

  it('reads the system clock when given none', () => {
    const limiter = createRateLimiter({ limits: { A: { perSecond: 1 } } })
    expect(limiter.acquire(task('A'))).toBeUndefined()
    const denial = limiter.acquire(task('A'))!
    expect(denial.hold).toBe(true)
    expect(denial.retryAt).toBeGreaterThan(performance.now())
  })
})
