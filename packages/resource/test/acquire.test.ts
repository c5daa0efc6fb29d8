import { createVirtualClock, PoolError } from '@poolkit/core'
import { describe, expect, it } from 'vitest'
import { createResourcePool, LeaseReleasedError, ResourceAcquireTimeoutError, ResourceErrorCode, TooManyWaitersError } from '../src/index.js'
import { factory, rejection, settled, watch } from './helpers.js'
import type { Conn } from './helpers.js'

describe('acquire and release', () => {
  it('creates a resource on the first acquire (a miss) and lends the same one again after release (a hit)', async () => {
    const clock = createVirtualClock()
    const f = factory()
    const pool = createResourcePool({ ...f, clock, max: 2 })
    const first = await pool.acquire()
    expect(first.resource.id).toBe(1)
    first.release()
    const second = await pool.acquire()
    expect(second.resource).toBe(first.resource)
    second.release()
    expect(f.calls).toBe(1)
    expect(pool.stats()).toMatchObject({ acquires: 2, hits: 1, misses: 1, created: 1, size: 1, available: 1, borrowed: 0 })
  })

  it('lends the most recently released idle resource first, so the others can age out', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock, max: 3 })
    const [a, b, c] = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()])
    a!.release()
    c!.release()
    b!.release()
    const next = await pool.acquire()
    expect(next.resource).toBe(b!.resource)
  })

  it('never holds more than max resources, creates in flight included: a burst opens max and the rest wait', async () => {
    const clock = createVirtualClock()
    const f = factory({ clock, createMs: 10 })
    const pool = createResourcePool({ ...f, clock, max: 3 })
    const all = Array.from({ length: 10 }, () => pool.acquire())
    expect(f.calls).toBe(3)
    expect(pool.stats()).toMatchObject({ size: 3, creating: 3, pending: 10, borrowed: 0 })
    await clock.advance(10)
    expect(pool.stats()).toMatchObject({ size: 3, creating: 0, borrowed: 3, pending: 7 })
    expect(f.calls).toBe(3)
    expect(await settled(clock, all[2]!)).toBe(true)
    expect(await settled(clock, all[3]!)).toBe(false)
  })

  it('serves waiters in the order they came (FIFO) as leases are released', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock, max: 1 })
    const holder = await pool.acquire()
    const order: number[] = []
    const waiters = [1, 2, 3, 4].map((n) =>
      pool.acquire().then((lease) => {
        order.push(n)
        return lease
      }),
    )
    await clock.flush()
    expect(pool.stats().pending).toBe(4)
    holder.release()
    for (const w of waiters) (await w).release()
    expect(order).toEqual([1, 2, 3, 4])
    expect(pool.stats()).toMatchObject({ pending: 0, hits: 4, misses: 1, created: 1 })
  })

  it('resolves an acquire made when an idle resource exists at once, with no timer set', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock, idleTimeoutMs: Infinity })
    ;(await pool.acquire()).release()
    const pending = clock.pending
    const lease = pool.acquire()
    expect(await settled(clock, lease)).toBe(true)
    expect(clock.pending).toBe(pending)
  })
})

describe('abort and timeout while waiting', () => {
  it('an aborted waiter leaves the line and rejects with the signal reason; the next release goes to the waiter behind it', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock, max: 1 })
    const holder = await pool.acquire()
    const controller = new AbortController()
    const aborted = pool.acquire({ signal: controller.signal })
    const behind = pool.acquire()
    await clock.flush()
    const reason = new Error('client went away')
    controller.abort(reason)
    expect(await rejection(aborted)).toBe(reason)
    expect(pool.stats().pending).toBe(1)
    holder.release()
    const lease = await behind
    expect(lease.resource).toBe(holder.resource)
    expect(pool.stats()).toMatchObject({ borrowed: 1, pending: 0, rejected: 1 })
  })

  it('rejects at once, creating nothing, when the signal is already aborted', async () => {
    const clock = createVirtualClock()
    const f = factory()
    const pool = createResourcePool({ ...f, clock })
    const error = await rejection(pool.acquire({ signal: AbortSignal.abort('stop') }))
    expect(error).toBe('stop')
    expect(f.calls).toBe(0)
    expect(pool.stats()).toMatchObject({ acquires: 1, rejected: 1, size: 0 })
  })

  it('a waiter times out after acquireTimeoutMs with ResourceAcquireTimeoutError and is never handed a resource afterwards', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock, max: 1, acquireTimeoutMs: 500 })
    const holder = await pool.acquire()
    let handed = false
    const waiter = pool.acquire().then((lease) => {
      handed = true
      return lease
    })
    await clock.advance(499)
    expect(await settled(clock, waiter)).toBe(false)
    await clock.advance(1)
    const error = await rejection(waiter)
    expect(error).toBeInstanceOf(ResourceAcquireTimeoutError)
    expect(error).toBeInstanceOf(PoolError)
    expect(error).toMatchObject({ code: ResourceErrorCode.AcquireTimeout, timeoutMs: 500 })
    holder.release()
    await clock.flush()
    expect(handed).toBe(false)
    expect(pool.stats()).toMatchObject({ available: 1, borrowed: 0, pending: 0, rejected: 1 })
  })

  it('times out waiters one after another as each reaches its own deadline, sharing one timer', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock, max: 1, acquireTimeoutMs: 100, idleTimeoutMs: Infinity })
    await pool.acquire()
    const first = watch(pool.acquire())
    await clock.advance(30)
    const second = watch(pool.acquire())
    await clock.flush()
    expect(clock.pending).toBe(1)
    await clock.advance(70)
    expect(first.error).toBeInstanceOf(ResourceAcquireTimeoutError)
    expect(second.settled).toBe(false)
    await clock.advance(30)
    expect(second.error).toBeInstanceOf(ResourceAcquireTimeoutError)
    expect(clock.pending).toBe(0)
  })

  it('honours a per-acquire timeoutMs, shorter or longer than the pool default', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock, max: 1, acquireTimeoutMs: 100 })
    await pool.acquire()
    const long = watch(pool.acquire({ timeoutMs: 300 }))
    const normal = watch(pool.acquire())
    const short = watch(pool.acquire({ timeoutMs: 10 }))
    await clock.advance(10)
    expect(short.error).toMatchObject({ timeoutMs: 10 })
    expect(normal.settled).toBe(false)
    await clock.advance(90)
    expect(normal.error).toMatchObject({ timeoutMs: 100 })
    expect(long.settled).toBe(false)
    await clock.advance(200)
    expect(long.error).toMatchObject({ timeoutMs: 300 })
    expect(pool.stats()).toMatchObject({ pending: 0, rejected: 3 })
  })

  it('waits for ever with acquireTimeoutMs Infinity, setting no timer', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock, max: 1, acquireTimeoutMs: Infinity, idleTimeoutMs: Infinity })
    const holder = await pool.acquire()
    const waiter = pool.acquire()
    await clock.flush()
    expect(clock.pending).toBe(0)
    holder.release()
    expect((await waiter).resource).toBe(holder.resource)
  })

  it('refuses with TooManyWaitersError past maxWaiters, but only an acquire that would have to wait', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock, max: 2, maxWaiters: 1 })
    const a = pool.acquire()
    const b = pool.acquire()
    await Promise.all([a, b])
    const waiting = pool.acquire()
    const refused = await rejection(pool.acquire())
    expect(refused).toBeInstanceOf(TooManyWaitersError)
    expect(refused).toMatchObject({ code: 'ERR_RESOURCE_TOO_MANY_WAITERS', limit: 1 })
    ;(await a).release()
    expect((await waiting).resource).toBe((await a).resource)
  })
})

describe('leases', () => {
  it('throws LeaseReleasedError on a second release, and on destroy after release', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock })
    const lease = await pool.acquire()
    expect(lease.released).toBe(false)
    lease.release()
    expect(lease.released).toBe(true)
    expect(() => lease.release()).toThrow(LeaseReleasedError)
    expect(() => lease.destroy()).toThrow(/already released or destroyed/)
    expect(pool.stats()).toMatchObject({ available: 1, borrowed: 0 })
  })

  it('throws on release after destroy, and destroys the resource once', async () => {
    const clock = createVirtualClock()
    const f = factory()
    const pool = createResourcePool({ ...f, clock })
    const lease = await pool.acquire()
    lease.destroy()
    expect(() => lease.release()).toThrow(expect.objectContaining({ code: ResourceErrorCode.LeaseReleased }))
    expect(f.destroyed).toEqual([lease.resource])
    expect(pool.stats()).toMatchObject({ size: 0, destroyed: 1 })
  })

  it('releases with `using` at the end of the block, and disposing an ended lease does nothing', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock })
    {
      using lease = await pool.acquire()
      expect(pool.stats().borrowed).toBe(1)
      expect(lease.resource.id).toBe(1)
    }
    expect(pool.stats()).toMatchObject({ borrowed: 0, available: 1 })
    {
      using lease = await pool.acquire()
      lease.release()
    }
    expect(pool.stats()).toMatchObject({ borrowed: 0, available: 1 })
  })

  it('replaces a resource destroyed through its lease for the next waiter', async () => {
    const clock = createVirtualClock()
    const f = factory()
    const pool = createResourcePool({ ...f, clock, max: 1 })
    const broken = await pool.acquire()
    const next = pool.acquire()
    await clock.flush()
    broken.destroy()
    const lease = await next
    expect(lease.resource.id).toBe(2)
    expect(f.destroyed.map((c) => c.id)).toEqual([1])
    expect(pool.stats()).toMatchObject({ misses: 2, hits: 0, size: 1 })
  })
})

describe('use(fn)', () => {
  it('runs fn with the resource and releases it after fn returns', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock })
    const result = await pool.use(async (conn, lease) => {
      expect(lease.resource).toBe(conn)
      expect(pool.stats().borrowed).toBe(1)
      return conn.id * 10
    })
    expect(result).toBe(10)
    expect(pool.stats()).toMatchObject({ borrowed: 0, available: 1 })
  })

  it("releases the resource when fn throws, and rejects with fn's error", async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock })
    const boom = new Error('query failed')
    expect(
      await rejection(
        pool.use(() => {
          throw boom
        }),
      ),
    ).toBe(boom)
    expect(
      await rejection(
        pool.use(async () => {
          throw boom
        }),
      ),
    ).toBe(boom)
    expect(pool.stats()).toMatchObject({ borrowed: 0, available: 1, destroyed: 0 })
  })

  it('leaves the lease alone when fn ended it itself', async () => {
    const clock = createVirtualClock()
    const f = factory()
    const pool = createResourcePool({ ...f, clock })
    await pool.use((_conn, lease) => lease.destroy())
    expect(pool.stats()).toMatchObject({ borrowed: 0, available: 0, destroyed: 1 })
    expect(f.destroyed).toHaveLength(1)
  })

  it('releases the lease and rejects without calling fn when the signal aborted as the lease arrived', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock })
    ;(await pool.acquire()).release()
    const controller = new AbortController()
    let called = false
    const run = pool.use(
      () => {
        called = true
      },
      { signal: controller.signal },
    )
    controller.abort('late')
    expect(await rejection(run)).toBe('late')
    expect(called).toBe(false)
    expect(pool.stats()).toMatchObject({ borrowed: 0, available: 1 })
  })

  it('serves many concurrent use() calls through max resources, each once', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock, max: 3 })
    const inUse = new Set<Conn>()
    let peak = 0
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        pool.use(async (conn) => {
          expect(inUse.has(conn)).toBe(false)
          inUse.add(conn)
          peak = Math.max(peak, inUse.size)
          await clock.flush()
          inUse.delete(conn)
          return i
        }),
      ),
    )
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(peak).toBe(3)
    expect(pool.stats()).toMatchObject({ created: 3, misses: 3, hits: 17, borrowed: 0, available: 3 })
  })
})
