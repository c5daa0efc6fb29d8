import { createVirtualClock } from '@poolkit/core'
import type { Clock, TimerHandle, VirtualClock } from '@poolkit/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createKeyRing, createResourcePool, ResourceAcquireTimeoutError, ResourcePoolDrainedError } from '../src/index.js'
import type { KeyLease, ResourceLease } from '../src/index.js'
import { factory, rejection, watch } from './helpers.js'

// Liveness (DESIGN.md): while an acquire waits and can only progress when a
// timer fires, that timer keeps the process alive; when nothing waits, no
// timer of the pool or ring does. The virtual clock has no process to keep
// alive, so these tests hand the pool a clock that records which of its
// timers were unref'd. (The plain-`node` proof lives with the process suites.)

interface TrackedClock {
  /** What the pool or ring is given: records its timers. */
  readonly clock: Clock
  /** Moves time; timers of the test itself are set here and are not tracked. */
  readonly virtual: VirtualClock
  /** Due times of the pending timers that keep the process alive, earliest first. */
  keptAlive(): number[]
  /** Due times of the pending timers that are unref'd, earliest first. */
  unrefd(): number[]
  /** Timers set through `clock` and not yet fired or cleared. */
  readonly pending: number
}

function trackedClock(): TrackedClock {
  const virtual = createVirtualClock()
  const due = new Map<TimerHandle, number>()
  const unrefd = new Set<TimerHandle>()
  const clock: Clock = {
    now: () => virtual.now(),
    setTimeout(callback, ms) {
      const handle: TimerHandle = virtual.setTimeout(() => {
        due.delete(handle)
        callback()
      }, ms)
      due.set(handle, virtual.now() + Math.max(0, ms))
      return handle
    },
    clearTimeout(handle) {
      due.delete(handle)
      virtual.clearTimeout(handle)
    },
    unref(handle) {
      unrefd.add(handle)
    },
  }
  const times = (keep: boolean): number[] =>
    [...due]
      .filter(([handle]) => unrefd.has(handle) !== keep)
      .map(([, at]) => at)
      .sort((a, b) => a - b)
  return {
    clock,
    virtual,
    keptAlive: () => times(true),
    unrefd: () => times(false),
    get pending() {
      return due.size
    },
  }
}

class RateLimited extends Error {}

describe('key ring liveness', () => {
  it('keeps the cooldown timer alive while an acquire waits for the key to come back, and unrefs it while nobody waits', async () => {
    const t = trackedClock()
    const ring = createKeyRing(['a'], { clock: t.clock, cooldownMs: 1000 })
    ring.coolDown('a')
    expect(t.keptAlive()).toEqual([])
    expect(t.unrefd()).toEqual([1000])
    const waiter = watch(ring.acquire())
    expect(t.keptAlive()).toEqual([1000])
    expect(t.unrefd()).toEqual([])
    await t.virtual.advance(999)
    expect(waiter.settled).toBe(false)
    await t.virtual.advance(1)
    expect(waiter.value?.key).toBe('a')
    expect(t.pending).toBe(0)
  })

  it('use() after a 429 (cooldownOn) waits on a kept-alive timer and resolves when the cooldown ends', async () => {
    const t = trackedClock()
    const ring = createKeyRing(['a'], { clock: t.clock, cooldownMs: 500, cooldownOn: (e) => e instanceof RateLimited })
    expect(
      await rejection(
        ring.use(() => {
          throw new RateLimited('429')
        }),
      ),
    ).toBeInstanceOf(RateLimited)
    expect(t.unrefd()).toEqual([500])
    const second = watch(ring.use((key) => `used ${key}`))
    await t.virtual.flush()
    expect(t.keptAlive()).toEqual([500])
    await t.virtual.advance(500)
    expect(second.value).toBe('used a')
    expect(t.pending).toBe(0)
  })

  it('unrefs the cooldown timer again when the last waiter leaves (abort or timeout), and keeps the timeout itself alive', async () => {
    const t = trackedClock()
    const ring = createKeyRing(['a'], { clock: t.clock })
    ring.coolDown('a', 60_000)
    const controller = new AbortController()
    const aborted = watch(ring.acquire({ signal: controller.signal }))
    expect(t.keptAlive()).toEqual([60_000])
    controller.abort(new Error('gone'))
    await t.virtual.flush()
    expect(aborted.error).toMatchObject({ message: 'gone' })
    expect(t.keptAlive()).toEqual([])
    expect(t.unrefd()).toEqual([60_000])

    const timed = watch(ring.acquire({ timeoutMs: 100 }))
    expect(t.keptAlive()).toEqual([100, 60_000])
    await t.virtual.advance(100)
    expect(timed.error).toBeInstanceOf(ResourceAcquireTimeoutError)
    expect(t.keptAlive()).toEqual([])
    expect(t.unrefd()).toEqual([60_000])
  })

  it("keeps the ring's acquireTimeoutMs and an acquire's own timeoutMs alive while waiting for a busy key, and clears them when served", async () => {
    const t = trackedClock()
    const ring = createKeyRing(['a'], { clock: t.clock, concurrencyPerKey: 1, acquireTimeoutMs: 300 })
    const held = await ring.acquire()
    const ringTimeout = watch(ring.acquire())
    expect(t.keptAlive()).toEqual([300])
    await t.virtual.advance(300)
    expect(ringTimeout.error).toBeInstanceOf(ResourceAcquireTimeoutError)
    expect(t.pending).toBe(0)

    const own = watch(ring.acquire({ timeoutMs: 50 }))
    expect(t.keptAlive()).toEqual([350])
    held.release()
    await t.virtual.flush()
    expect(own.value?.key).toBe('a')
    expect(t.pending).toBe(0)
  })

  it('close() rejects the waiters and leaves no timer, kept alive or not', async () => {
    const t = trackedClock()
    const ring = createKeyRing(['a', 'b'], { clock: t.clock, acquireTimeoutMs: 5000 })
    ring.coolDown('a', 1000)
    ring.coolDown('b', 2000)
    const waiter = watch(ring.acquire())
    expect(t.keptAlive()).toEqual([1000, 5000])
    ring.close()
    await t.virtual.flush()
    expect(waiter.error).toBeInstanceOf(ResourcePoolDrainedError)
    expect(t.pending).toBe(0)
  })
})

describe('resource pool liveness', () => {
  it('keeps the shared acquireTimeoutMs timer alive while a waiter waits, rejects on time, and leaves no timer when the line is empty', async () => {
    const t = trackedClock()
    const pool = createResourcePool({ ...factory(), clock: t.clock, max: 1, acquireTimeoutMs: 200 })
    const held = await pool.acquire()
    const first = watch(pool.acquire())
    expect(t.keptAlive()).toEqual([200])
    await t.virtual.advance(200)
    expect(first.error).toBeInstanceOf(ResourceAcquireTimeoutError)
    expect(t.pending).toBe(0)

    const second = watch(pool.acquire())
    expect(t.keptAlive()).toEqual([400])
    held.release()
    await t.virtual.flush()
    expect(second.value?.resource).toBe(held.resource)
    expect(t.pending).toBe(0)
  })

  it("keeps an acquire's own timeoutMs alive, and drops the line timer once no waiter with the pool's timeout is left", async () => {
    const t = trackedClock()
    const pool = createResourcePool({ ...factory(), clock: t.clock, max: 1, acquireTimeoutMs: 1000 })
    const held = await pool.acquire()
    const shared = watch(pool.acquire())
    const own = watch(pool.acquire({ timeoutMs: 5000 }))
    expect(t.keptAlive()).toEqual([1000, 5000])
    held.release()
    await t.virtual.flush()
    expect(shared.value).toBeDefined()
    // Only the waiter with its own timeout waits: the line timer (1000) is gone.
    expect(t.keptAlive()).toEqual([5000])
    await t.virtual.advance(5000)
    expect(own.error).toBeInstanceOf(ResourceAcquireTimeoutError)
    expect(own.error).toMatchObject({ timeoutMs: 5000 })
    expect(t.pending).toBe(0)
  })

  it('keeps the create backoff alive while a waiter waits for the next create, and the waiter is served when it fires', async () => {
    const t = trackedClock()
    const f = factory()
    const pool = createResourcePool({ ...f, clock: t.clock, max: 2, acquireTimeoutMs: Infinity, createBackoff: { initialMs: 100, factor: 2, maxMs: 1000 } })
    const held = await pool.acquire()
    f.fail(new Error('down'))
    const waiter = watch(pool.acquire())
    await t.virtual.flush()
    f.heal()
    expect(pool.stats()).toMatchObject({ createErrors: 1, pending: 1 })
    expect(t.keptAlive()).toEqual([100])
    await t.virtual.advance(100)
    expect(waiter.value?.resource).not.toBe(held.resource)
    expect(t.pending).toBe(0)
  })

  it("a backoff that only restores min is unref'd, kept alive while a waiter joins, and unref'd again when it leaves", async () => {
    const t = trackedClock()
    let calls = 0
    const pool = createResourcePool({
      // The second create fails: the pool holds one resource and backs off before restoring min.
      create: () => (++calls === 2 ? Promise.reject(new Error('down')) : Promise.resolve({ id: calls })),
      destroy: () => {},
      clock: t.clock,
      min: 2,
      max: 3,
      acquireTimeoutMs: Infinity,
      createBackoff: { initialMs: 100, factor: 2, maxMs: 1000 },
    })
    await t.virtual.flush()
    expect(pool.stats()).toMatchObject({ size: 1, createErrors: 1 })
    expect(t.keptAlive()).toEqual([])
    expect(t.unrefd()).toEqual([100])

    const held = await pool.acquire()
    const controller = new AbortController()
    const leaving = watch(pool.acquire({ signal: controller.signal }))
    expect(t.keptAlive()).toEqual([100])
    controller.abort(new Error('gone'))
    await t.virtual.flush()
    expect(leaving.error).toMatchObject({ message: 'gone' })
    expect(t.keptAlive()).toEqual([])
    expect(t.unrefd()).toEqual([100])

    const staying = watch(pool.acquire())
    expect(t.keptAlive()).toEqual([100])
    await t.virtual.advance(100)
    expect(staying.value?.resource).toEqual({ id: 3 })
    expect(t.pending).toBe(0)
    held.release()
    staying.value!.release()
    await pool.drain()
    expect(t.pending).toBe(0)
  })

  it('unrefs the housekeeping timers (min-restoring backoff, idle and lifetime sweep), so an idle pool never keeps the process alive', async () => {
    const t = trackedClock()
    const f = factory()
    f.fail(new Error('down'))
    const pool = createResourcePool({ ...f, clock: t.clock, min: 1, max: 2, idleTimeoutMs: 100, maxLifetimeMs: 1000 })
    await t.virtual.flush()
    expect(t.keptAlive()).toEqual([])
    expect(t.unrefd()).toEqual([100])
    f.heal()
    await t.virtual.advance(100)
    const a = await pool.acquire()
    const b = await pool.acquire()
    a.release()
    b.release()
    expect(t.pending).toBeGreaterThan(0)
    expect(t.keptAlive()).toEqual([])
    for (let i = 0; i < 20; i++) {
      await t.virtual.advance(100)
      expect(t.keptAlive()).toEqual([])
    }
    expect(pool.stats().destroyed).toBeGreaterThan(0)
    await pool.drain()
    expect(t.pending).toBe(0)
  })

  it('clear() drops the idle sweep along with the idle resources, leaving no timer', async () => {
    const t = trackedClock()
    const pool = createResourcePool({ ...factory(), clock: t.clock, idleTimeoutMs: 1000 })
    const lease = await pool.acquire()
    lease.release()
    expect(t.unrefd()).toEqual([1000])
    await pool.clear()
    expect(pool.stats()).toMatchObject({ size: 0, state: 'open' })
    expect(t.pending).toBe(0)
  })

  it('drain() leaves no timer after serving a waiter that waited on a timeout and a backoff', async () => {
    const t = trackedClock()
    const f = factory()
    const pool = createResourcePool({ ...f, clock: t.clock, max: 2, acquireTimeoutMs: 5000, idleTimeoutMs: 100 })
    const held = await pool.acquire()
    f.fail(new Error('down'))
    const waiter = watch(pool.acquire())
    await t.virtual.flush()
    expect(t.keptAlive()).toEqual([100, 5000])
    const drained = watch(pool.drain())
    held.release()
    await t.virtual.flush()
    expect(waiter.value?.resource).toBe(held.resource)
    waiter.value!.release()
    await t.virtual.flush()
    expect(drained.settled).toBe(true)
    expect(t.pending).toBe(0)
  })
})

// Random runs: whatever happens, a timer keeps the process alive only while an
// acquire waits, and every waiting acquire with a finite timeout (or a key
// ring waiter while a key cools down) has one that does.

describe('liveness properties', () => {
  it('resource pool: kept-alive timers exist exactly while acquires wait, and every bounded wait has one', async () => {
    const command = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant('acquire' as const),
          timeoutMs: fc.option(fc.oneof(fc.constant(Infinity), fc.integer({ min: 0, max: 300 })), { nil: undefined }),
          abortable: fc.boolean(),
        }),
      },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('abort' as const), pick: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('failCreates' as const), on: fc.boolean() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const) }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 400 }) }) },
    )
    const settings = fc.record({
      min: fc.integer({ min: 0, max: 2 }),
      max: fc.integer({ min: 2, max: 3 }),
      acquireTimeoutMs: fc.oneof(fc.constant(Infinity), fc.integer({ min: 0, max: 500 })),
      idleTimeoutMs: fc.oneof(fc.constant(Infinity), fc.integer({ min: 0, max: 500 })),
      maxLifetimeMs: fc.oneof(fc.constant(Infinity), fc.integer({ min: 1, max: 800 })),
      createMs: fc.integer({ min: 0, max: 30 }),
    })
    await fc.assert(
      fc.asyncProperty(settings, fc.array(command, { minLength: 5, maxLength: 60 }), async (s, commands) => {
        const t = trackedClock()
        let failCreates = false
        let nextId = 1
        const pool = createResourcePool<{ id: number }>({
          create: async () => {
            const failing = failCreates
            // The test's own delay: set on the untracked clock.
            if (s.createMs > 0) await new Promise<void>((resolve) => t.virtual.setTimeout(resolve, s.createMs))
            if (failing) throw new Error('down')
            return { id: nextId++ }
          },
          destroy: () => {},
          min: s.min,
          max: s.max,
          acquireTimeoutMs: s.acquireTimeoutMs,
          idleTimeoutMs: s.idleTimeoutMs,
          maxLifetimeMs: s.maxLifetimeMs,
          createBackoff: { initialMs: 10, factor: 2, maxMs: 100 },
          clock: t.clock,
        })
        const held: ResourceLease<{ id: number }>[] = []
        const aborters: AbortController[] = []
        /** Timeouts of the acquires not settled yet. */
        const waiting = new Set<{ timeoutMs: number }>()

        const check = async (): Promise<void> => {
          await t.virtual.flush()
          const { pending } = pool.stats()
          expect(pending).toBe(waiting.size)
          if (pending === 0) expect(t.keptAlive()).toEqual([])
          if ([...waiting].some((w) => w.timeoutMs !== Infinity)) expect(t.keptAlive().length).toBeGreaterThan(0)
        }

        for (const c of commands) {
          switch (c.kind) {
            case 'acquire': {
              const controller = c.abortable ? new AbortController() : undefined
              if (controller !== undefined) aborters.push(controller)
              const entry = { timeoutMs: c.timeoutMs ?? s.acquireTimeoutMs }
              waiting.add(entry)
              pool.acquire({ timeoutMs: c.timeoutMs, signal: controller?.signal }).then(
                (lease) => {
                  waiting.delete(entry)
                  held.push(lease)
                },
                () => waiting.delete(entry),
              )
              break
            }
            case 'release':
              if (held.length > 0) held.splice(c.pick % held.length, 1)[0]!.release()
              break
            case 'abort':
              if (aborters.length > 0) aborters[c.pick % aborters.length]!.abort(new Error('aborted'))
              break
            case 'failCreates':
              failCreates = c.on
              break
            case 'clear':
              void pool.clear()
              break
            case 'advance':
              await t.virtual.advance(c.ms)
              break
          }
          await check()
        }

        failCreates = false
        for (const controller of aborters) controller.abort(new Error('aborted'))
        let rounds = 0
        while (waiting.size > 0 || held.length > 0) {
          for (const lease of held.splice(0)) lease.release()
          await t.virtual.advance(1000)
          await check()
          expect(++rounds).toBeLessThan(100)
        }
        expect(t.keptAlive()).toEqual([])
        const drained = pool.drain()
        await t.virtual.runAll()
        await drained
        expect(t.pending).toBe(0)
      }),
      { numRuns: 150 },
    )
  }, 60_000)

  it('key ring: kept-alive timers exist exactly while acquires wait, one is due by the earliest cooldown end, and every bounded wait has one', async () => {
    const command = fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('acquire' as const), timeoutMs: fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }), abortable: fc.boolean() }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('coolDown' as const), key: fc.nat({ max: 2 }), ms: fc.integer({ min: 0, max: 500 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('abort' as const), pick: fc.nat() }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 400 }) }) },
    )
    const settings = fc.record({
      keys: fc.integer({ min: 1, max: 3 }),
      concurrencyPerKey: fc.oneof(fc.constant(Infinity), fc.integer({ min: 1, max: 2 })),
      acquireTimeoutMs: fc.oneof(fc.constant(Infinity), fc.integer({ min: 0, max: 500 })),
    })
    await fc.assert(
      fc.asyncProperty(settings, fc.array(command, { minLength: 5, maxLength: 60 }), async (s, commands) => {
        const t = trackedClock()
        const keys = ['a', 'b', 'c'].slice(0, s.keys)
        const ring = createKeyRing(keys, { clock: t.clock, concurrencyPerKey: s.concurrencyPerKey, acquireTimeoutMs: s.acquireTimeoutMs })
        const held: KeyLease<string>[] = []
        const aborters: AbortController[] = []
        const waiting = new Set<{ timeoutMs: number }>()

        const check = async (): Promise<void> => {
          await t.virtual.flush()
          const st = ring.stats()
          expect(st.pending).toBe(waiting.size)
          const kept = t.keptAlive()
          if (st.pending === 0) expect(kept).toEqual([])
          if ([...waiting].some((w) => w.timeoutMs !== Infinity)) expect(kept.length).toBeGreaterThan(0)
          const cooling = st.keys.filter((k) => k.coolingUntil !== -1).map((k) => k.coolingUntil)
          if (st.pending > 0 && cooling.length > 0) expect(kept[0]).toBeLessThanOrEqual(Math.min(...cooling))
        }

        for (const c of commands) {
          switch (c.kind) {
            case 'acquire': {
              const controller = c.abortable ? new AbortController() : undefined
              if (controller !== undefined) aborters.push(controller)
              const entry = { timeoutMs: c.timeoutMs ?? s.acquireTimeoutMs }
              waiting.add(entry)
              ring.acquire({ timeoutMs: c.timeoutMs, signal: controller?.signal }).then(
                (lease) => {
                  waiting.delete(entry)
                  held.push(lease)
                },
                () => waiting.delete(entry),
              )
              break
            }
            case 'release':
              if (held.length > 0) held.splice(c.pick % held.length, 1)[0]!.release()
              break
            case 'coolDown':
              if (c.key < keys.length) ring.coolDown(keys[c.key]!, c.ms)
              break
            case 'abort':
              if (aborters.length > 0) aborters[c.pick % aborters.length]!.abort(new Error('aborted'))
              break
            case 'advance':
              await t.virtual.advance(c.ms)
              break
          }
          await check()
        }

        // Leases come back and cooldowns end: nobody waits and nothing is pending.
        let rounds = 0
        while (waiting.size > 0 || held.length > 0) {
          for (const lease of held.splice(0)) lease.release()
          await t.virtual.advance(1000)
          await check()
          expect(++rounds).toBeLessThan(100)
        }
        // A cooldown may still run, but nothing it holds keeps the process alive.
        expect(t.keptAlive()).toEqual([])
        ring.close()
        expect(t.pending).toBe(0)
      }),
      { numRuns: 150 },
    )
  }, 60_000)
})
