import { createVirtualClock } from '@poolkit/core'
import { describe, expect, it } from 'vitest'
import { createResourcePool } from '../src/index.js'
import type { DestroyReason } from '../src/index.js'
import { factory, sleep, watch } from './helpers.js'
import type { Conn } from './helpers.js'

describe('validate on borrow', () => {
  it('destroys an idle resource that fails validation and lends the next idle one instead', async () => {
    const clock = createVirtualClock()
    const f = factory()
    const reasons: DestroyReason[] = []
    const pool = createResourcePool({ ...f, clock, max: 3, validate: (conn: Conn) => conn.healthy })
    pool.on('destroy', (_conn, reason) => reasons.push(reason))
    const [a, b] = await Promise.all([pool.acquire(), pool.acquire()])
    a!.release()
    b!.release()
    b!.resource.healthy = false
    const lease = await pool.acquire()
    expect(lease.resource).toBe(a!.resource)
    expect(f.destroyed).toEqual([b!.resource])
    expect(reasons).toEqual(['invalid'])
    expect(pool.stats()).toMatchObject({ size: 1, borrowed: 1, hits: 1, misses: 2 })
  })

  it('replaces the resource with a new one when no valid idle resource is left', async () => {
    const clock = createVirtualClock()
    const f = factory()
    const pool = createResourcePool({ ...f, clock, max: 1, validate: (conn: Conn) => conn.healthy })
    const first = await pool.acquire()
    first.resource.healthy = false
    first.release()
    const second = await pool.acquire()
    expect(second.resource.id).toBe(2)
    expect(f.destroyed.map((c) => c.id)).toEqual([1])
    expect(pool.stats()).toMatchObject({ misses: 2, hits: 0, size: 1 })
  })

  it('lends a resource fresh from create without validating it', async () => {
    const clock = createVirtualClock()
    let checks = 0
    const pool = createResourcePool({
      ...factory(),
      clock,
      validate: () => {
        checks++
        return true
      },
    })
    const lease = await pool.acquire()
    expect(checks).toBe(0)
    lease.release()
    ;(await pool.acquire()).release()
    expect(checks).toBe(1)
  })

  it('counts a validate that throws or rejects as a failure, destroys the resource and reports the error', async () => {
    const clock = createVirtualClock()
    const f = factory()
    const errors: [unknown, string][] = []
    let mode: 'throw' | 'reject' = 'throw'
    const pool = createResourcePool({
      ...f,
      clock,
      max: 1,
      validate: () => {
        if (mode === 'throw') throw new Error('ping threw')
        return Promise.reject(new Error('ping rejected'))
      },
    })
    pool.on('error', (error, operation) => errors.push([error, operation]))
    ;(await pool.acquire()).release()
    const second = await pool.acquire()
    expect(second.resource.id).toBe(2)
    second.release()
    mode = 'reject'
    const third = await pool.acquire()
    expect(third.resource.id).toBe(3)
    expect(errors.map(([e, op]) => [(e as Error).message, op])).toEqual([
      ['ping threw', 'validate'],
      ['ping rejected', 'validate'],
    ])
    expect(f.destroyed.map((c) => c.id)).toEqual([1, 2])
  })

  it('takes only `true` as valid: a validate returning anything else fails', async () => {
    const clock = createVirtualClock()
    const f = factory()
    const pool = createResourcePool({ ...f, clock, validate: (() => 'yes') as unknown as (c: Conn) => boolean })
    ;(await pool.acquire()).release()
    expect((await pool.acquire()).resource.id).toBe(2)
  })

  it('keeps a waiter in its place during an async validation, and a waiter that aborts meanwhile gets nothing: the resource goes back', async () => {
    const clock = createVirtualClock()
    const f = factory()
    const pool = createResourcePool({ ...f, clock, max: 1, validate: async () => sleep(clock, 50).then(() => true) })
    ;(await pool.acquire()).release()
    const controller = new AbortController()
    const aborted = watch(pool.acquire({ signal: controller.signal }))
    await clock.advance(10)
    expect(pool.stats()).toMatchObject({ validating: 1, pending: 1, available: 0, size: 1 })
    controller.abort('gone')
    await clock.flush()
    expect(aborted.error).toBe('gone')
    await clock.advance(40)
    expect(pool.stats()).toMatchObject({ validating: 0, pending: 0, available: 1, borrowed: 0 })
    // The next acquire is served by the same resource (validated again).
    const next = watch(pool.acquire())
    await clock.advance(50)
    expect(next.value?.resource.id).toBe(1)
    expect(f.calls).toBe(1)
  })

  it('times out a waiter whose resource is still being validated, and returns the resource to the pool', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock, max: 1, acquireTimeoutMs: 20, validate: () => sleep(clock, 50).then(() => true) })
    ;(await pool.acquire()).release()
    const waiter = watch(pool.acquire())
    await clock.advance(20)
    expect(waiter.error).toMatchObject({ code: 'ERR_RESOURCE_ACQUIRE_TIMEOUT' })
    await clock.advance(30)
    expect(pool.stats()).toMatchObject({ available: 1, validating: 0, borrowed: 0, rejected: 1 })
  })

  it('serves the waiters behind one whose resource is being validated with other resources', async () => {
    const clock = createVirtualClock()
    const slow = new Set<number>([1])
    const pool = createResourcePool({ ...factory(), clock, max: 2, validate: (c: Conn) => (slow.has(c.id) ? sleep(clock, 100).then(() => true) : true) })
    const [a, b] = await Promise.all([pool.acquire(), pool.acquire()])
    b!.release()
    a!.release() // idle stack: [2, 1]; resource 1 is lent first and is slow to validate
    const first = watch(pool.acquire())
    const second = watch(pool.acquire())
    await clock.flush()
    expect(second.value?.resource.id).toBe(2)
    expect(first.settled).toBe(false)
    await clock.advance(100)
    expect(first.value?.resource.id).toBe(1)
  })
})

describe('validate on return', () => {
  it('destroys a resource that fails validation when it is released, and keeps one that passes', async () => {
    const clock = createVirtualClock()
    const f = factory()
    const pool = createResourcePool({ ...f, clock, max: 2, validate: (c: Conn) => c.healthy, validateOnReturn: true })
    const [a, b] = await Promise.all([pool.acquire(), pool.acquire()])
    a!.resource.healthy = false
    a!.release()
    b!.release()
    expect(f.destroyed).toEqual([a!.resource])
    expect(pool.stats()).toMatchObject({ size: 1, available: 1, destroyed: 1 })
  })

  it('hands a resource that passes an async return check to the next waiter', async () => {
    const clock = createVirtualClock()
    const pool = createResourcePool({ ...factory(), clock, max: 1, validate: () => sleep(clock, 5).then(() => true), validateOnReturn: true })
    const lease = await pool.acquire()
    const waiter = watch(pool.acquire())
    lease.release()
    await clock.advance(5)
    expect(pool.stats().validating).toBe(1)
    await clock.advance(5)
    expect(waiter.value?.resource).toBe(lease.resource)
  })

  it('rejects validateOnReturn without validate', () => {
    expect(() => createResourcePool({ ...factory(), validateOnReturn: true })).toThrow(RangeError)
  })
})
