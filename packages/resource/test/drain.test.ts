import { createVirtualClock } from '@poolkit/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createResourcePool, ResourcePoolDrainedError } from '../src/index.js'
import type { DestroyReason } from '../src/index.js'
import { factory, rejection, sleep, watch } from './helpers.js'

describe('drain()', () => {
  it('with leases out: refuses new acquires, serves the waiters already in line, destroys resources as they come back, resolves when all are back', async () => {
    const clock = createVirtualClock()
    const f = factory()
    const reasons: DestroyReason[] = []
    const pool = createResourcePool({ ...f, clock, max: 2 })
    pool.on('destroy', (_c, reason) => reasons.push(reason))
    const [a, b] = await Promise.all([pool.acquire(), pool.acquire()])
    const waiter = watch(pool.acquire())
    await clock.flush()
    const drained = watch(pool.drain())
    expect(pool.stats().state).toBe('draining')
    const refused = await rejection(pool.acquire())
    expect(refused).toBeInstanceOf(ResourcePoolDrainedError)
    expect(refused).toMatchObject({ code: 'ERR_RESOURCE_POOL_DRAINED' })
    a!.release()
    await clock.flush()
    expect(waiter.value?.resource).toBe(a!.resource)
    b!.release()
    await clock.flush()
    expect(f.destroyed).toEqual([b!.resource])
    expect(drained.settled).toBe(false)
    waiter.value!.release()
    await clock.flush()
    expect(drained.settled).toBe(true)
    expect(f.live.size).toBe(0)
    expect(reasons).toEqual(['drained', 'drained'])
    expect(pool.stats()).toMatchObject({ state: 'drained', size: 0, borrowed: 0, pending: 0, destroyed: 2 })
  })

  it('destroys idle resources at once and leaves no timer behind', async () => {
    const clock = createVirtualClock()
    const f = factory()
    const pool = createResourcePool({ ...f, clock, min: 1, max: 4, idleTimeoutMs: 1000, maxLifetimeMs: 60_000 })
    const leases = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()])
    for (const l of leases) l.release()
    const waiting = await pool.acquire()
    expect(clock.pending).toBeGreaterThan(0)
    const drained = watch(pool.drain())
    await clock.flush()
    expect(f.live.size).toBe(1)
    waiting.release()
    await clock.flush()
    expect(drained.settled).toBe(true)
    expect(f.live.size).toBe(0)
    expect(clock.pending).toBe(0)
  })

  it('clears the line timer and the backoff timer too', async () => {
    const clock = createVirtualClock()
    const f = factory()
    const pool = createResourcePool({ ...f, clock, max: 1, min: 1, acquireTimeoutMs: 1000 })
    await clock.flush()
    const held = await pool.acquire()
    const waiter = watch(pool.acquire())
    f.fail(new Error('down'))
    held.destroy()
    await clock.flush()
    expect(waiter.error).toMatchObject({ code: 'ERR_RESOURCE_CREATE' })
    expect(clock.pending).toBeGreaterThan(0)
    await pool.drain()
    expect(clock.pending).toBe(0)
  })

  it('waits for creates in flight and for async destroys, and destroys what the creates made', async () => {
    const clock = createVirtualClock()
    const f = factory({ clock, createMs: 50 })
    const pool = createResourcePool({
      create: f.create,
      destroy: (conn) => sleep(clock, 20).then(() => f.destroy(conn)),
      clock,
      min: 2,
    })
    const drained = watch(pool.drain())
    await clock.advance(50)
    expect(f.live.size).toBe(2)
    expect(drained.settled).toBe(false)
    await clock.advance(20)
    expect(f.live.size).toBe(0)
    expect(drained.settled).toBe(true)
    expect(pool.stats()).toMatchObject({ created: 2, destroyed: 2, state: 'drained' })
  })

  it('returns the same promise when called again, and rejects acquires after it resolved', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock })
    const first = pool.drain()
    expect(pool.drain()).toBe(first)
    await first
    expect(await rejection(pool.acquire())).toBeInstanceOf(ResourcePoolDrainedError)
    expect(await rejection(pool.use(() => 1))).toBeInstanceOf(ResourcePoolDrainedError)
  })

  it('drains at the end of an `await using` block', async () => {
    const clock = createVirtualClock()
    const f = factory()
    let outer: { stats(): { state: string } } | undefined
    {
      // eslint-disable-next-line @typescript-eslint/await-thenable -- false positive: the rule misses AsyncDisposableLike's mapped [Symbol.asyncDispose] key (tsc accepts it)
      await using pool = createResourcePool({ ...f, clock, min: 1 })
      outer = pool
      await pool.use(() => {})
    }
    expect(outer.stats().state).toBe('drained')
    expect(f.live.size).toBe(0)
  })

  it('keeps serving a waiter that needs a new resource while draining', async () => {
    const clock = createVirtualClock()
    const f = factory()
    const pool = createResourcePool({ ...f, clock, max: 1 })
    const held = await pool.acquire()
    const waiter = watch(pool.acquire())
    await clock.flush()
    const drained = watch(pool.drain())
    held.destroy()
    await clock.flush()
    expect(waiter.value?.resource.id).toBe(2)
    waiter.value!.release()
    await clock.flush()
    expect(drained.settled).toBe(true)
    expect(f.live.size).toBe(0)
  })
})

describe('events', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it("keeps going when a listener throws, and rethrows its error in a microtask when nobody listens to 'error'", async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock })
    const boom = new Error('listener bug')
    const seen: number[] = []
    pool.on('create', () => {
      throw boom
    })
    pool.on('create', (c) => seen.push(c.id))
    const deferred: (() => void)[] = []
    vi.stubGlobal('queueMicrotask', (callback: () => void) => deferred.push(callback))
    const lease = await pool.acquire()
    vi.unstubAllGlobals()
    expect(seen).toEqual([1])
    expect(lease.resource.id).toBe(1)
    expect(deferred).toHaveLength(1)
    expect(() => deferred[0]!()).toThrow(boom)
  })

  it("gives a listener's throw to the 'error' listeners, as operation 'listener', and keeps going", async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock })
    const boom = new Error('listener bug')
    const errors: unknown[][] = []
    pool.on('error', (error, operation) => errors.push([error, operation]))
    pool.on('create', () => {
      throw boom
    })
    const deferred: (() => void)[] = []
    vi.stubGlobal('queueMicrotask', (callback: () => void) => deferred.push(callback))
    const lease = await pool.acquire()
    vi.unstubAllGlobals()
    expect(lease.resource.id).toBe(1)
    expect(errors).toEqual([[boom, 'listener']])
    expect(deferred).toHaveLength(0)
  })

  it('tells create and destroy listeners about each resource, and stops after unsubscribe', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock })
    const seen: string[] = []
    const offCreate = pool.on('create', (c) => seen.push(`create ${c.id}`))
    pool.on('destroy', (c, reason) => seen.push(`destroy ${c.id} ${reason}`))
    const lease = await pool.acquire()
    lease.destroy()
    offCreate()
    offCreate()
    ;(await pool.acquire()).release()
    await pool.clear()
    expect(seen).toEqual(['create 1', 'destroy 1 destroyed', 'destroy 2 cleared'])
  })

  it('reports destroy errors to error listeners and still lets the resource go', async () => {
    const clock = createVirtualClock()
    const errors: unknown[] = []
    const boom = new Error('close failed')
    let sync = true
    const pool = createResourcePool({
      create: async () => ({}),
      destroy: () => {
        if (sync) throw boom
        return Promise.reject(boom)
      },
      clock,
    })
    pool.on('error', (error, operation) => errors.push([operation, error]))
    ;(await pool.acquire()).destroy()
    sync = false
    ;(await pool.acquire()).destroy()
    await pool.drain()
    expect(errors).toEqual([
      ['destroy', boom],
      ['destroy', boom],
    ])
    expect(pool.stats()).toMatchObject({ size: 0, destroyed: 2 })
  })
})
