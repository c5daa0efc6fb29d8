import { createVirtualClock } from '@poolkit/core'
import { describe, expect, it } from 'vitest'
import { createResourcePool } from '../src/index.js'
import type { DestroyReason } from '../src/index.js'
import { factory, watch } from './helpers.js'

describe('min: resources kept warm', () => {
  it('creates min resources when the pool is made, and the first acquires are hits', async () => {
    const clock = createVirtualClock()
    const f = factory()
    const pool = createResourcePool({ ...f, clock, min: 2, max: 4 })
    expect(pool.stats()).toMatchObject({ size: 2, creating: 2 })
    await clock.flush()
    expect(pool.stats()).toMatchObject({ size: 2, available: 2, created: 2 })
    const [a, b] = await Promise.all([pool.acquire(), pool.acquire()])
    expect([a!.resource.id, b!.resource.id].sort()).toEqual([1, 2])
    expect(pool.stats()).toMatchObject({ hits: 2, misses: 0 })
  })

  it('replaces a resource destroyed below min without being asked', async () => {
    const clock = createVirtualClock()
    const f = factory()
    const pool = createResourcePool({ ...f, clock, min: 2 })
    await clock.flush()
    ;(await pool.acquire()).destroy()
    await clock.flush()
    expect(pool.stats()).toMatchObject({ size: 2, available: 2, created: 3, destroyed: 1 })
  })
})

describe('idle eviction', () => {
  it('evicts resources idle past idleTimeoutMs, longest idle first, down to min', async () => {
    const clock = createVirtualClock()
    const f = factory()
    const reasons: DestroyReason[] = []
    const pool = createResourcePool({ ...f, clock, min: 1, max: 4, idleTimeoutMs: 1000 })
    pool.on('destroy', (_c, reason) => reasons.push(reason))
    const leases = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire(), pool.acquire()])
    // Released at 0, 100, 200, 300 ms: ids in the order they went idle.
    const order = leases.map((l) => l.resource.id)
    for (const lease of leases) {
      lease.release()
      await clock.advance(100)
    }
    expect(pool.stats()).toMatchObject({ size: 4, available: 4 })
    await clock.advance(599) // 999 ms after the first release
    expect(pool.stats().size).toBe(4)
    await clock.advance(1)
    expect(f.destroyed.map((c) => c.id)).toEqual(order.slice(0, 1))
    await clock.advance(200)
    expect(f.destroyed.map((c) => c.id)).toEqual(order.slice(0, 3))
    await clock.advance(10_000)
    // The last one stays: it is the pool's min.
    expect(f.destroyed.map((c) => c.id)).toEqual(order.slice(0, 3))
    expect(pool.stats()).toMatchObject({ size: 1, available: 1, destroyed: 3 })
    expect(reasons).toEqual(['idle', 'idle', 'idle'])
    expect([...f.live].map((c) => c.id)).toEqual(order.slice(3))
  })

  it('counts borrowed resources toward min: idle ones are evicted while the pool holds more than min', async () => {
    const clock = createVirtualClock()
    const f = factory()
    const pool = createResourcePool({ ...f, clock, min: 2, max: 4, idleTimeoutMs: 100 })
    const leases = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire(), pool.acquire()])
    leases[2]!.release()
    leases[3]!.release()
    await clock.advance(100)
    expect(pool.stats()).toMatchObject({ size: 2, borrowed: 2, available: 0, destroyed: 2 })
  })

  it('does not evict a resource that was used again since it went idle', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock, max: 2, idleTimeoutMs: 100 })
    ;(await pool.acquire()).release()
    await clock.advance(90)
    ;(await pool.acquire()).release()
    await clock.advance(90)
    expect(pool.stats()).toMatchObject({ size: 1, destroyed: 0 })
    await clock.advance(10)
    expect(pool.stats()).toMatchObject({ size: 0, destroyed: 1 })
  })

  it('never evicts with idleTimeoutMs Infinity, and sets no timer for it', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock, idleTimeoutMs: Infinity })
    ;(await pool.acquire()).release()
    expect(clock.pending).toBe(0)
    await clock.advance(1e9)
    expect(pool.stats()).toMatchObject({ size: 1, destroyed: 0 })
  })

  it('sets no eviction timer while the pool is at or below min', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock, min: 2, max: 2, idleTimeoutMs: 100 })
    await clock.flush()
    const lease = await pool.acquire()
    lease.release()
    expect(clock.pending).toBe(0)
  })
})

describe('retirement: maxUses and maxLifetimeMs', () => {
  it('retires a resource on the release that reaches maxUses, and creates a new one for the next acquire', async () => {
    const clock = createVirtualClock()
    const f = factory()
    const reasons: DestroyReason[] = []
    const pool = createResourcePool({ ...f, clock, max: 1, maxUses: 3 })
    pool.on('destroy', (_c, reason) => reasons.push(reason))
    const seen: number[] = []
    for (let i = 0; i < 7; i++) {
      const lease = await pool.acquire()
      seen.push(lease.resource.id)
      lease.release()
    }
    expect(seen).toEqual([1, 1, 1, 2, 2, 2, 3])
    expect(reasons).toEqual(['max-uses', 'max-uses'])
    expect(pool.stats()).toMatchObject({ created: 3, destroyed: 2, misses: 3, hits: 4 })
  })

  it('hands the replacement of a retired resource to the waiter in line', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock, max: 1, maxUses: 1 })
    const first = await pool.acquire()
    const waiter = watch(pool.acquire())
    first.release()
    await clock.flush()
    expect(waiter.value?.resource.id).toBe(2)
  })

  it('retires an idle resource when it reaches maxLifetimeMs, then refills to min', async () => {
    const clock = createVirtualClock()
    const f = factory()
    const reasons: DestroyReason[] = []
    const pool = createResourcePool({ ...f, clock, min: 1, maxLifetimeMs: 1000, idleTimeoutMs: Infinity })
    pool.on('destroy', (_c, reason) => reasons.push(reason))
    await clock.flush()
    await clock.advance(999)
    expect(pool.stats()).toMatchObject({ size: 1, destroyed: 0 })
    await clock.advance(1)
    expect(reasons).toEqual(['max-lifetime'])
    expect(pool.stats()).toMatchObject({ size: 1, available: 1, created: 2, destroyed: 1 })
    await clock.advance(1000)
    expect(pool.stats()).toMatchObject({ created: 3, destroyed: 2 })
  })

  it('lets a borrowed resource finish its lease past maxLifetimeMs and retires it on release', async () => {
    const clock = createVirtualClock()
    const f = factory()
    const pool = createResourcePool({ ...f, clock, maxLifetimeMs: 100 })
    const lease = await pool.acquire()
    await clock.advance(500)
    expect(f.destroyed).toEqual([])
    lease.release()
    expect(f.destroyed).toEqual([lease.resource])
    expect(pool.stats()).toMatchObject({ size: 0 })
  })

  it('never lends an idle resource past its lifetime, even if its sweep timer has not fired yet', async () => {
    // A clock whose time moves by hand and whose timers never fire: only the check at borrow can catch it.
    let now = 0
    const frozen = { now: () => now, setTimeout: () => 0, clearTimeout: () => {} }
    const f = factory()
    const pool = createResourcePool({ ...f, clock: frozen, maxLifetimeMs: 100 })
    const lease = await pool.acquire()
    now = 99
    lease.release()
    now = 150
    const next = await pool.acquire()
    expect(next.resource.id).toBe(2)
    expect(f.destroyed).toEqual([lease.resource])
  })
})

describe('clear()', () => {
  it('destroys the idle resources only, resolves when their destroys settle, then refills to min', async () => {
    const clock = createVirtualClock()
    const f = factory()
    const destroying: (() => void)[] = []
    const pool = createResourcePool({
      create: f.create,
      destroy: (conn) =>
        new Promise<void>((resolve) =>
          destroying.push(() => {
            f.destroy(conn)
            resolve()
          }),
        ),
      clock,
      min: 1,
      max: 3,
    })
    const leases = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()])
    leases[0]!.release()
    leases[1]!.release()
    const cleared = watch(pool.clear())
    await clock.flush()
    expect(destroying).toHaveLength(2)
    expect(cleared.settled).toBe(false)
    for (const done of destroying) done()
    await clock.flush()
    expect(cleared.settled).toBe(true)
    expect(pool.stats()).toMatchObject({ borrowed: 1, available: 0, size: 1, destroyed: 2 })
    leases[2]!.release()
    expect(pool.stats()).toMatchObject({ borrowed: 0, available: 1, size: 1 })
  })

  it('refills to min after clearing', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock, min: 2 })
    await clock.flush()
    await pool.clear()
    await clock.flush()
    expect(pool.stats()).toMatchObject({ size: 2, available: 2, created: 4, destroyed: 2 })
  })
})
