import { createVirtualClock, PoolError } from '@poolkit/core'
import { describe, expect, it } from 'vitest'
import { createResourcePool, ResourceAcquireTimeoutError, ResourceCreateError, ResourceErrorCode } from '../src/index.js'
import { factory, rejection, watch } from './helpers.js'

const down = new Error('ECONNREFUSED')

describe('create failures and backoff', () => {
  it('fails every waiting acquire with one ResourceCreateError whose cause is the create error', async () => {
    const clock = createVirtualClock()
    const f = factory({ clock, createMs: 10 })
    f.fail(down)
    const pool = createResourcePool({ ...f, clock, max: 1 })
    const waiters = [watch(pool.acquire()), watch(pool.acquire()), watch(pool.acquire())]
    await clock.advance(10)
    const errors = waiters.map((w) => w.error)
    expect(errors[0]).toBeInstanceOf(ResourceCreateError)
    expect(errors[0]).toBeInstanceOf(PoolError)
    expect(errors[0]).toMatchObject({ code: ResourceErrorCode.Create, cause: down, attempts: 1, retryAt: 110 })
    expect((errors[0] as Error).message).toBe('Creating a resource failed once: ECONNREFUSED')
    expect(new Set(errors).size).toBe(1)
    expect(f.calls).toBe(1)
    expect(pool.stats()).toMatchObject({ createErrors: 1, rejected: 3, pending: 0, size: 0 })
  })

  it('fails an acquire on an empty pool at once during the backoff, without calling create; after retryAt it tries again', async () => {
    const clock = createVirtualClock()
    const f = factory()
    f.fail(down)
    const pool = createResourcePool({ ...f, clock, createBackoff: { initialMs: 100 } })
    await rejection(pool.acquire())
    expect(f.calls).toBe(1)
    for (let i = 0; i < 50; i++) expect(await rejection(pool.acquire())).toMatchObject({ code: 'ERR_RESOURCE_CREATE', attempts: 1 })
    expect(f.calls).toBe(1)
    await clock.advance(100)
    f.heal()
    const lease = await pool.acquire()
    expect(lease.resource.id).toBe(1)
    expect(f.calls).toBe(2)
    expect(pool.stats()).toMatchObject({ createErrors: 1, created: 1, rejected: 51, misses: 1 })
  })

  it('backs off exponentially up to maxMs, and a success starts over from initialMs', async () => {
    const clock = createVirtualClock()
    const f = factory()
    f.fail(down)
    const pool = createResourcePool({ ...f, clock, createBackoff: { initialMs: 100, factor: 3, maxMs: 1000 } })
    const waits: number[] = []
    for (let i = 0; i < 5; i++) {
      const start = clock.now()
      const error = (await rejection(pool.acquire())) as ResourceCreateError
      expect(error.attempts).toBe(i + 1)
      waits.push(error.retryAt - start)
      await clock.advance(error.retryAt - start)
    }
    expect(waits).toEqual([100, 300, 900, 1000, 1000])
    f.heal()
    ;(await pool.acquire()).destroy()
    f.fail(down)
    const again = (await rejection(pool.acquire())) as ResourceCreateError
    expect(again).toMatchObject({ attempts: 1, retryAt: clock.now() + 100 })
  })

  it('makes one create attempt at a time while creates fail, however many acquires wait (no retry storm)', async () => {
    const clock = createVirtualClock()
    const f = factory({ clock, createMs: 10 })
    const pool = createResourcePool({ ...f, clock, max: 10, acquireTimeoutMs: Infinity, createBackoff: { initialMs: 50, factor: 1 } })
    const holder = await (async () => {
      const p = pool.acquire()
      await clock.advance(10)
      return p
    })()
    f.fail(down)
    const waiters = Array.from({ length: 20 }, () => watch(pool.use((conn) => conn.id)))
    // The burst starts 9 creates at once (up to max); they all fail.
    await clock.advance(10)
    expect(f.calls).toBe(10)
    // From now on: one attempt at a time, each 50 ms after the last failed (10 ms
    // to fail): 16 in the next second, not one per waiter.
    await clock.advance(1000)
    expect(f.calls).toBe(10 + 16)
    expect(pool.stats()).toMatchObject({ createErrors: 25, creating: 0, pending: 20 })
    // The borrowed resource keeps the waiters waiting: it will come back.
    expect(waiters.every((w) => !w.settled)).toBe(true)
    f.heal()
    await clock.advance(60)
    holder.release()
    await clock.advance(1000)
    expect(waiters.every((w) => w.value !== undefined)).toBe(true)
  })

  it('keeps waiters waiting through a failing create while resources are borrowed, and serves them on release', async () => {
    const clock = createVirtualClock()
    const f = factory()
    const pool = createResourcePool({ ...f, clock, max: 2 })
    const held = await pool.acquire()
    f.fail(down)
    const waiter = watch(pool.acquire())
    await clock.flush()
    expect(pool.stats()).toMatchObject({ createErrors: 1, pending: 1 })
    expect(waiter.settled).toBe(false)
    held.release()
    await clock.flush()
    expect(waiter.value?.resource).toBe(held.resource)
  })

  it('gives a waiter that times out while creates fail the create error as cause', async () => {
    const clock = createVirtualClock()
    const f = factory()
    const pool = createResourcePool({ ...f, clock, max: 2, acquireTimeoutMs: 1000 })
    await pool.acquire()
    f.fail(down)
    const waiter = watch(pool.acquire())
    await clock.advance(1000)
    expect(waiter.error).toBeInstanceOf(ResourceAcquireTimeoutError)
    expect((waiter.error as Error).cause).toBeInstanceOf(ResourceCreateError)
    expect(((waiter.error as Error).cause as Error).cause).toBe(down)
  })

  it('keeps trying to reach min on the backoff timer, and stops once it succeeds', async () => {
    const clock = createVirtualClock()
    const f = factory()
    f.fail(down)
    const errors: unknown[] = []
    const pool = createResourcePool({ ...f, clock, min: 1, createBackoff: { initialMs: 100, factor: 2 } })
    pool.on('error', (error, operation) => errors.push([operation, error]))
    await clock.flush()
    expect(f.calls).toBe(1)
    await clock.advance(100)
    expect(f.calls).toBe(2)
    await clock.advance(200)
    expect(f.calls).toBe(3)
    f.heal()
    await clock.advance(400)
    expect(f.calls).toBe(4)
    expect(pool.stats()).toMatchObject({ size: 1, available: 1, createErrors: 3 })
    expect(errors).toEqual([
      ['create', down],
      ['create', down],
      ['create', down],
    ])
    expect(clock.pending).toBe(0)
  })

  describe('a burst of failures that overlap in time is one backoff step', () => {
    it('10 concurrent failing creates give attempts 1 and a 100 ms backoff; once the database is back the next acquire after 100 ms succeeds', async () => {
      const clock = createVirtualClock()
      const f = factory({ clock, createMs: 10 })
      f.fail(down)
      const pool = createResourcePool({ ...f, clock, max: 10 })
      const burst = Array.from({ length: 10 }, () => watch(pool.acquire()))
      await clock.advance(10)
      expect(f.calls).toBe(10)
      const errors = burst.map((w) => w.error as ResourceCreateError)
      for (const error of errors) expect(error).toBeInstanceOf(ResourceCreateError)
      // Before: attempts 10 and retryAt 10 + 30,000 (100 ms × 2⁹, capped).
      expect(errors.map((e) => e.attempts)).toEqual(Array.from({ length: 10 }, () => 1))
      expect(errors.map((e) => e.retryAt)).toEqual(Array.from({ length: 10 }, () => 110))
      expect(pool.stats()).toMatchObject({ createErrors: 10, rejected: 10, pending: 0, size: 0 })
      // The blip is over.
      f.heal()
      expect(await rejection(pool.acquire())).toMatchObject({ attempts: 1, retryAt: 110 })
      await clock.advance(100)
      const lease = watch(pool.acquire())
      await clock.advance(10)
      expect(lease.value?.resource.id).toBe(1)
      expect(f.calls).toBe(11)
    })

    it('creates that fail one after another while they overlap count once; the next try waits the step after the last of them', async () => {
      const clock = createVirtualClock()
      let calls = 0
      const pool = createResourcePool({
        // Each create takes longer than the one before, so the failures are spread over 40 ms.
        create: (): Promise<{ id: number }> => {
          const n = ++calls
          return new Promise((_, reject) => clock.setTimeout(() => reject(down), 10 * n))
        },
        destroy: () => {},
        clock,
        max: 4,
      })
      const burst = Array.from({ length: 4 }, () => watch(pool.acquire()))
      await clock.advance(40)
      expect(calls).toBe(4)
      expect(burst.every((w) => w.error instanceof ResourceCreateError)).toBe(true)
      // All four waiters fail with the last failure's error: one step, 100 ms after the last failure (at 40 ms).
      expect(burst.map((w) => (w.error as ResourceCreateError).attempts)).toEqual([1, 1, 1, 1])
      expect((burst[0]!.error as ResourceCreateError).retryAt).toBe(140)
      expect(pool.stats()).toMatchObject({ createErrors: 4 })
    })

    it('sequential failures still back off exponentially after a burst: 100, 200, 400 ms', async () => {
      const clock = createVirtualClock()
      const f = factory()
      f.fail(down)
      const pool = createResourcePool({ ...f, clock, max: 10, min: 5 })
      // Warming up to min starts five creates at once: one step.
      await clock.flush()
      expect(f.calls).toBe(5)
      const waits: number[] = []
      const attempts: number[] = []
      for (let i = 0; i < 3; i++) {
        const error = (await rejection(pool.acquire())) as ResourceCreateError
        attempts.push(error.attempts)
        waits.push(error.retryAt - clock.now())
        // The backoff timer restores min with one create at retryAt, which fails again: the next step.
        await clock.advance(error.retryAt - clock.now())
      }
      expect(attempts).toEqual([1, 2, 3])
      expect(waits).toEqual([100, 200, 400])
      expect(f.calls).toBe(5 + 3)
    })
  })

  it('treats a create that throws synchronously like one that rejects', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({
      create: (): { id: number } => {
        throw down
      },
      destroy: () => {},
      clock,
    })
    expect(await rejection(pool.acquire())).toMatchObject({ code: 'ERR_RESOURCE_CREATE', cause: down })
  })
})
