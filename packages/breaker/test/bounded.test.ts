// Issue 18: bounded memory and CPU under hostile keys. Every table a task key
// indexes is capped and evicts in O(1), and a sliding window's memory follows
// the starts it holds, not its configured rate. Costs are read as Map and Set
// work (map-work.ts), never as time; time is the virtual clock's. A task's path
// iterates no Map or Set at all: a scan would show, and so would reading the
// first entry of a Map used as a queue, which V8 makes O(size) (it skips the
// holes deleted entries leave until the table is rehashed).
import { createVirtualClock } from '@poolkit/core'
import type { Breaker, TaskInfo } from '@poolkit/core'
import { describe, expect, it } from 'vitest'
import { createBulkhead, createCircuitBreaker, createRateLimiter } from '../src/index.js'
import { SlidingWindow } from '../src/internal/limit-meter.js'
import { mapWork } from './map-work.js'
import { task } from './task.js'

/** Runs one task of `key` through a policy the way a pool does: admit, acquire and, when let through, its outcome and settlement. */
function run(policy: Breaker, key: string | undefined, outcome: 'success' | 'failure' = 'success', error: unknown = new Error('down')): TaskInfo {
  const t = task(key)
  if (policy.admit(t) === undefined && policy.acquire(t) === undefined) {
    if (outcome === 'success') policy.onSuccess(t, 1)
    else policy.onFailure(t, error, 1)
  }
  policy.onSettled?.(t)
  return t
}

const keys = (n: number, prefix = 'k'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

describe('sliding window: memory follows the starts in the window, not perSecond', () => {
  it('keys at perSecond 1e6 and 3e7 cost memory for the starts they logged, not for perSecond', () => {
    const clock = createVirtualClock()
    const million = createRateLimiter({ clock, algorithm: 'sliding-window', defaultLimit: { perSecond: 1e6 } })
    const thirtyMillion = createRateLimiter({ clock, algorithm: 'sliding-window', defaultLimit: { perSecond: 3e7 } })
    const before = process.memoryUsage().heapUsed
    // A log of perSecond start times per key would take 8 MB a key at 1e6 and 240 MB at 3e7: 640 MB here.
    for (const key of keys(20)) expect(million.acquire(task(key))).toBeUndefined()
    for (const key of keys(2)) expect(thirtyMillion.acquire(task(key))).toBeUndefined()
    const grew = process.memoryUsage().heapUsed - before
    expect(grew).toBeLessThan(16 * 2 ** 20)
    expect(million.tokens('k19')).toBe(1e6 - 1)
    expect(thirtyMillion.tokens('k1')).toBe(3e7 - 1)
  })

  it('logs one entry per millisecond slice: a million starts in one second hold at most 1,001 entries, given back as they leave', () => {
    const window = new SlidingWindow('k', { perSecond: 3e7, burst: 3e7 })
    let granted = 0
    for (let i = 0; i < 1_000_000; i++) if (window.take(i / 1000) === undefined) granted++
    expect(granted).toBe(1_000_000)
    expect(window.available(999.999)).toBe(3e7 - 1e6)
    expect(window.entries).toBeLessThanOrEqual(1001)
    expect(window.capacity).toBeLessThanOrEqual(1024)
    // At 1,500 ms the starts up to 500 ms have left (half of the slices); the ring shrinks with them.
    expect(window.available(1500)).toBe(3e7 - 499_999)
    expect(window.entries).toBeLessThanOrEqual(500)
    expect(window.idle(2000)).toBe(true)
    expect(window.entries).toBe(0)
    expect(window.capacity).toBeLessThanOrEqual(4)
  })

  it('grows from nothing: a key with three starts holds three entries at most', () => {
    const window = new SlidingWindow('k', { perSecond: 2 ** 32 - 1, burst: 1 })
    expect(window.capacity).toBe(0)
    for (const at of [0.25, 0.5, 7]) expect(window.take(at)).toBeUndefined()
    // 0.25 and 0.5 share the slice that ends at 1 ms.
    expect(window.entries).toBe(2)
    expect(window.capacity).toBeLessThanOrEqual(4)
  })
})

describe('circuit breaker keys: O(1) eviction', () => {
  it('at maxKeys, a new key evicts without iterating any Map or Set, whether the table holds 10 or 10,000 circuits', () => {
    for (const maxKeys of [10, 10_000]) {
      const breaker = createCircuitBreaker({ clock: createVirtualClock(), keyed: true, maxKeys })
      for (const key of keys(maxKeys, 'fill-')) run(breaker, key)
      const work = mapWork(() => {
        for (const key of keys(5_000)) run(breaker, key)
      })
      expect(work.steps).toBe(0)
      expect(work.largest).toBeLessThanOrEqual(maxKeys)
      expect(breaker.keys()).toHaveLength(maxKeys)
      expect(breaker.untracked).toBe(0)
    }
  })

  it('with every circuit open, a new key runs untracked without iterating any Map or Set', () => {
    const breaker = createCircuitBreaker({ clock: createVirtualClock(), keyed: true, maxKeys: 5_000, failureThreshold: 1, openMs: Infinity })
    const work = mapWork(() => {
      for (const key of keys(5_000, 'open-')) run(breaker, key, 'failure')
      for (const key of keys(5_000)) run(breaker, key)
    })
    expect(work.steps).toBe(0)
    expect(breaker.untracked).toBe(5_000)
    expect(breaker.state('open-0')).toBe('open')
  })

  it('drops circuits idle for keyIdleMs oldest first, without iterating any Map or Set', async () => {
    const clock = createVirtualClock()
    const breaker = createCircuitBreaker({ clock, keyed: true, keyIdleMs: 1000, maxKeys: Infinity })
    const first = mapWork(() => {
      for (const key of keys(10_000, 'old-')) run(breaker, key)
    })
    await clock.advance(1000)
    const second = mapWork(() => {
      for (const key of keys(10_000, 'new-')) run(breaker, key)
    })
    expect(first.steps + second.steps).toBe(0)
    expect(breaker.keys()).toHaveLength(10_000)
    expect(breaker.keys().every((k) => k.startsWith('new-'))).toBe(true)
  })

  it('a new key that takes over an evicted circuit starts from nothing: closed, no counts, an empty window, no failures in a row', () => {
    const breaker = createCircuitBreaker({ clock: createVirtualClock(), keyed: true, maxKeys: 1, failureThreshold: 2, failureRateThreshold: 0.5, minimumCalls: 2 })
    run(breaker, 'a', 'failure')
    expect(breaker.counts('a')).toMatchObject({ state: 'closed', calls: 1, failures: 1, windowCalls: 1 })
    run(breaker, 'b', 'failure')
    expect(breaker.keys()).toEqual(['b'])
    expect(breaker.counts('a').calls).toBe(0)
    expect(breaker.counts('b')).toEqual({ state: 'closed', calls: 1, successes: 0, failures: 1, slowCalls: 0, rejected: 0, trips: 0, openUntil: -1, windowCalls: 1, windowFailureRate: 1 })
    run(breaker, 'b', 'failure')
    expect(breaker.state('b')).toBe('open')
  })

  it('evicts the circuit least recently released, whatever order the keys came in', async () => {
    const clock = createVirtualClock()
    const breaker = createCircuitBreaker({ clock, keyed: true, maxKeys: 3 })
    const out = task('b')
    run(breaker, 'a')
    expect(breaker.acquire(out)).toBeUndefined()
    run(breaker, 'c')
    await clock.advance(10)
    // b's call ends after c's and a's: a is now the least recently released.
    breaker.onSuccess(out, 10)
    run(breaker, 'c')
    run(breaker, 'd')
    expect(breaker.keys().sort()).toEqual(['b', 'c', 'd'])
    run(breaker, 'e')
    expect(breaker.keys().sort()).toEqual(['c', 'd', 'e'])
  })
})

describe('rate limiter keys: bounded, O(1) per task', () => {
  it('20,000 keys in one window cost O(1) each: no Map or Set is iterated', () => {
    const limiter = createRateLimiter({ clock: createVirtualClock(), algorithm: 'sliding-window', defaultLimit: { perSecond: 1000 } })
    const work = mapWork(() => {
      for (const key of keys(20_000)) run(limiter, key)
    })
    expect(work.steps).toBe(0)
    expect(limiter.tokens('k0')).toBe(999)
  })

  it('drops meters that are idle as new keys come, so keys used a while ago cost nothing', async () => {
    const clock = createVirtualClock()
    const limiter = createRateLimiter({ clock, defaultLimit: { perSecond: 1 } })
    let largest = 0
    for (let round = 0; round < 200; round++) {
      largest = Math.max(largest, mapWork(() => keys(50, `r${round}-`).forEach((key) => run(limiter, key))).largest)
      await clock.advance(1000)
    }
    // A bucket of 1 token at 1 a second is full again 1 s after its start.
    expect(largest).toBeLessThanOrEqual(100)
  })

  it('a key in use keeps its meter, even one whose bucket refills between two of its starts', async () => {
    const clock = createVirtualClock()
    const limiter = createRateLimiter({ clock, defaultLimit: { perSecond: 1e9 } })
    let writes = 0
    for (let round = 0; round < 100; round++) {
      writes += mapWork(() => keys(10).forEach((key) => run(limiter, key))).keyWrites
      await clock.advance(50)
    }
    expect(writes).toBe(10)
  })

  it('never counts a start on a meter it has just dropped: the limit holds across the tidying of idle meters', async () => {
    const clock = createVirtualClock()
    const limiter = createRateLimiter({ clock, defaultLimit: { perSecond: 1 } })
    // K's meter first in line, then enough starts of another key that K's next one comes when idle meters are tidied.
    expect(limiter.acquire(task('K'))).toBeUndefined()
    expect(limiter.acquire(task('X'))).toBeUndefined()
    for (let i = 0; i < 29; i++) expect(limiter.acquire(task('X'))).toMatchObject({ hold: true })
    for (let at = 0; at < 40; at++) {
      await clock.advance(1000)
      expect(limiter.acquire(task('K'))).toBeUndefined()
      expect(limiter.acquire(task('K'))).toEqual({ retryAt: clock.now() + 1000, hold: true })
    }
  })

  it('tracks at most maxKeys keys: at the cap a new key waits until a tracked meter is idle, then goes', async () => {
    const clock = createVirtualClock()
    const limiter = createRateLimiter({ clock, algorithm: 'sliding-window', defaultLimit: { perSecond: 10 }, maxKeys: 100 })
    const work = mapWork(() => {
      for (const key of keys(100)) expect(limiter.acquire(task(key))).toBeUndefined()
    })
    await clock.advance(500)
    // Forgetting a meter that is not idle would give its key a fresh window: the new key waits instead.
    expect(limiter.acquire(task('late'))).toEqual({ retryAt: 1000, hold: true })
    expect(limiter.tokens('k0')).toBe(9)
    await clock.advance(500)
    const late = mapWork(() => expect(limiter.acquire(task('late'))).toBeUndefined())
    expect(late.steps).toBe(0)
    expect(work.largest).toBeLessThanOrEqual(100)
  })

  it('keeps retry pauses for at most maxKeys keys, dropping the oldest first', () => {
    const clock = createVirtualClock()
    const limiter = createRateLimiter({ clock, maxKeys: 100 })
    const work = mapWork(() => {
      for (const key of keys(1_000)) run(limiter, key, 'failure', { retryAfterMs: 60_000 })
    })
    expect(work.largest).toBeLessThanOrEqual(100)
    expect(work.steps).toBe(0)
    expect(limiter.pausedUntil('k999')).toBe(60_000)
    expect(limiter.pausedUntil('k0')).toBe(-1)
  })

  it('checks maxKeys: a positive integer or Infinity', () => {
    expect(() => createRateLimiter({ maxKeys: 0 })).toThrow(new TypeError('options.maxKeys must be a positive integer or Infinity, got 0'))
    expect(() => createRateLimiter({ maxKeys: 1.5 })).toThrow(new TypeError('options.maxKeys must be a positive integer or Infinity, got 1.5'))
    expect(createRateLimiter({ maxKeys: Infinity }).tokens()).toBe(Infinity)
  })
})

describe('bulkhead lines: bounded by the tasks they count', () => {
  it('keeps no line for a key with nothing admitted or running, even after a refused acquire', () => {
    const bulkhead = createBulkhead({ defaultLimit: 0 })
    const work = mapWork(() => {
      for (const key of keys(10_000)) expect(bulkhead.acquire(task(key))).toEqual({ retryAt: Infinity, hold: true })
    })
    expect(work.largest).toBeLessThanOrEqual(1)
    expect(bulkhead.running('k0')).toBe(0)
  })

  it('20,000 keys admitted at once cost O(1) each and leave nothing once settled', () => {
    const bulkhead = createBulkhead({ defaultLimit: 2 })
    const tasks = keys(20_000).map((key) => task(key))
    const work = mapWork(() => {
      for (const t of tasks) expect(bulkhead.admit(t)).toBeUndefined()
      for (const t of tasks) expect(bulkhead.acquire(t)).toBeUndefined()
      for (const t of tasks) {
        bulkhead.onSuccess(t, 1)
        bulkhead.onSettled!(t)
      }
    })
    expect(work.steps).toBe(0)
    expect(bulkhead.running('k0') + bulkhead.waiting('k0')).toBe(0)
  })

  it('setLimit(key, undefined) puts the key back on defaultLimit and forgets it, waking its held tasks when that raises the limit', () => {
    const bulkhead = createBulkhead({ defaultLimit: 5 })
    const woken: (string | undefined)[] = []
    bulkhead.attach!((key) => woken.push(key))
    const work = mapWork(() => {
      for (const key of keys(1_000)) bulkhead.setLimit(key, 1)
      for (const key of keys(1_000)) bulkhead.setLimit(key, undefined)
    })
    expect(bulkhead.limit('k0')).toBe(5)
    expect(work.largest).toBe(0)
    expect(woken).toHaveLength(1_000)
  })
})

describe('keys named like Object.prototype members', () => {
  const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']
  /** A record with `name` as an own key, as JSON.parse makes it (a literal { __proto__: x } would set the prototype). */
  const recordOf = <T>(name: string, value: T): Record<string, T> => JSON.parse(JSON.stringify({ [name === '__proto__' ? '@' : name]: value }).replace('"@"', '"__proto__"'))

  it.each(NAMES)('%s works as a key of every policy', (name) => {
    const clock = createVirtualClock()
    const bulkhead = createBulkhead({ limits: recordOf(name, 1) })
    expect(Object.keys(recordOf(name, 1))).toEqual([name])
    expect(bulkhead.limit(name)).toBe(1)
    expect(bulkhead.limit('other')).toBe(Infinity)
    expect(bulkhead.acquire(task(name))).toBeUndefined()
    expect(bulkhead.acquire(task(name))).toMatchObject({ hold: true })
    expect(bulkhead.running(name)).toBe(1)
    const unconfigured = createBulkhead({ defaultLimit: 3 })
    expect(unconfigured.limit(name)).toBe(3)

    const limiter = createRateLimiter({ clock, limits: recordOf(name, { perSecond: 2, burst: 2 }) })
    expect(limiter.tokens(name)).toBe(2)
    expect(createRateLimiter({ clock, defaultLimit: { perSecond: 7, burst: 7 } }).tokens(name)).toBe(7)
    run(limiter, name, 'failure', { retryAfterMs: 100 })
    expect(limiter.pausedUntil(name)).toBe(100)

    const breaker = createCircuitBreaker({ clock, keyed: true, failureThreshold: 1 })
    expect(breaker.state(name)).toBe('closed')
    run(breaker, name, 'failure')
    expect(breaker.state(name)).toBe('open')
    expect(breaker.keys()).toEqual([name])
  })

  it.each(NAMES)('option errors name the key %s as it is', (name) => {
    const path = `options.limits[${JSON.stringify(name)}]`
    expect(() => createBulkhead({ limits: recordOf(name, -1) })).toThrow(new TypeError(`${path} must be a non-negative integer or Infinity, got -1`))
    expect(() => createRateLimiter({ limits: recordOf(name, { perSecond: 0 }) })).toThrow(new TypeError(`${path}.perSecond must be a number above 0 or Infinity, got 0`))
  })

  it.each(NAMES)('on(%s) is refused with the list of events', (name) => {
    const breaker = createCircuitBreaker()
    expect(() => breaker.on(name as never, () => {})).toThrow(new TypeError(`event must be one of 'open', 'half-open', 'close', got ${name}`))
  })
})
