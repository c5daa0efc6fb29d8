import { createVirtualClock } from '@poolkit/core'
import type { CollectedMetric } from '@poolkit/core'
import { describe, expect, it } from 'vitest'
import { createKeyRing, LeaseReleasedError, ResourceAcquireTimeoutError, ResourcePoolDrainedError } from '../src/index.js'
import { rejection, watch } from './helpers.js'

const KEYS = ['sk-a', 'sk-b', 'sk-c'] as const

/** Acquires and releases `n` times; the keys lent, in order. */
async function lend<K>(ring: { acquire(): Promise<{ key: K; release(): void }> }, n: number): Promise<K[]> {
  const out: K[] = []
  for (let i = 0; i < n; i++) {
    const lease = await ring.acquire()
    out.push(lease.key)
    lease.release()
  }
  return out
}

describe('createKeyRing: lending', () => {
  it('lends the keys in turn, round-robin', async () => {
    const ring = createKeyRing(KEYS, { clock: createVirtualClock() })
    expect(await lend(ring, 7)).toEqual(['sk-a', 'sk-b', 'sk-c', 'sk-a', 'sk-b', 'sk-c', 'sk-a'])
  })

  it('shares a key between callers by default: leases need not end for the next caller to get a key', async () => {
    const ring = createKeyRing(['only'], { clock: createVirtualClock() })
    const leases = await Promise.all([ring.acquire(), ring.acquire(), ring.acquire()])
    expect(leases.map((l) => l.key)).toEqual(['only', 'only', 'only'])
    expect(ring.stats().keys[0]).toMatchObject({ inUse: 3, uses: 3 })
  })

  it('lends each key to one caller at a time with concurrencyPerKey 1, and serves waiters FIFO as keys come back', async () => {
    const clock = createVirtualClock()
    const ring = createKeyRing(['a', 'b'], { clock, concurrencyPerKey: 1 })
    const a = await ring.acquire()
    const b = await ring.acquire()
    const first = watch(ring.acquire())
    const second = watch(ring.acquire())
    await clock.flush()
    expect(ring.stats()).toMatchObject({ available: 0, pending: 2 })
    b.release()
    await clock.flush()
    expect(first.value?.key).toBe('b')
    expect(second.settled).toBe(false)
    a.release()
    await clock.flush()
    expect(second.value?.key).toBe('a')
  })

  it('works with any key values, such as objects, and ends a lease with `using`', async () => {
    const keys = [
      { id: 'one', secret: 's1' },
      { id: 'two', secret: 's2' },
    ]
    const ring = createKeyRing(keys, { clock: createVirtualClock(), label: (k) => k.id })
    {
      using lease = await ring.acquire()
      expect(lease.key).toBe(keys[0])
      expect(lease.index).toBe(0)
      expect(ring.stats().keys[0]).toMatchObject({ label: 'one', inUse: 1 })
    }
    expect(ring.stats().keys[0]).toMatchObject({ inUse: 0, uses: 1 })
  })

  it('throws LeaseReleasedError when a lease is released twice', async () => {
    const ring = createKeyRing(KEYS, { clock: createVirtualClock() })
    const lease = await ring.acquire()
    lease.release()
    expect(() => lease.release()).toThrow(LeaseReleasedError)
    expect(ring.stats().keys[0]!.inUse).toBe(0)
  })
})

describe('createKeyRing: cooldowns after a 429', () => {
  it('sets a key aside for cooldownMs and lends the others meanwhile', async () => {
    const clock = createVirtualClock()
    const ring = createKeyRing(KEYS, { clock, cooldownMs: 1000 })
    const lease = await ring.acquire()
    expect(lease.key).toBe('sk-a')
    lease.coolDown()
    expect(lease.released).toBe(true)
    expect(await lend(ring, 4)).toEqual(['sk-b', 'sk-c', 'sk-b', 'sk-c'])
    expect(ring.stats()).toMatchObject({ coolingDown: 1, available: 2 })
    expect(ring.stats().keys[0]).toMatchObject({ cooldowns: 1, coolingUntil: 1000 })
    await clock.advance(1000)
    expect(ring.stats().keys[0]).toMatchObject({ coolingUntil: -1 })
    expect(await lend(ring, 3)).toEqual(['sk-a', 'sk-b', 'sk-c'])
  })

  it('honours a Retry-After in ms, in delay-seconds, as an HTTP-date, or as a Date', async () => {
    const clock = createVirtualClock()
    const ring = createKeyRing(['a', 'b', 'c', 'd', 'e'], { clock, cooldownMs: 1000 })
    ring.coolDown('a', 250)
    ring.coolDown('b', '2')
    ring.coolDown('c', new Date(Date.now() + 60_000).toUTCString())
    ring.coolDown('d', new Date(Date.now() + 5_000))
    ring.coolDown('e', 'not a header value')
    const until = ring.stats().keys.map((k) => k.coolingUntil)
    expect(until[0]).toBe(250)
    expect(until[1]).toBe(2000)
    // HTTP-dates have whole seconds: between 59 and 60 s from now.
    expect(until[2]).toBeGreaterThan(58_000)
    expect(until[2]).toBeLessThanOrEqual(60_000)
    expect(until[3]).toBeGreaterThan(4_900)
    expect(until[3]).toBeLessThanOrEqual(5_000)
    expect(until[4]).toBe(1000)
  })

  it('keeps the longer of two cooldowns and counts both', async () => {
    const clock = createVirtualClock()
    const ring = createKeyRing(['a', 'b'], { clock })
    ring.coolDown('a', 5000)
    ring.coolDown('a', 100)
    expect(ring.stats().keys[0]).toMatchObject({ cooldowns: 2, coolingUntil: 5000 })
    ring.coolDown('a', 9000)
    expect(ring.stats().keys[0]).toMatchObject({ cooldowns: 3, coolingUntil: 9000 })
  })

  it('counts a Retry-After of 0 as a cooldown without setting the key aside', async () => {
    const ring = createKeyRing(['a', 'b'], { clock: createVirtualClock() })
    ring.coolDown('a', '0')
    expect(ring.stats().keys[0]).toMatchObject({ cooldowns: 1, coolingUntil: -1 })
    expect((await ring.acquire()).key).toBe('a')
  })

  it('sets the key aside when coolDown is called after the lease ended', async () => {
    const ring = createKeyRing(['a', 'b'], { clock: createVirtualClock() })
    const lease = await ring.acquire()
    lease.release()
    lease.coolDown(100)
    expect(ring.stats().keys[0]).toMatchObject({ inUse: 0, cooldowns: 1, coolingUntil: 100 })
  })

  it('rejects an unknown key and a bad retryAfter', () => {
    const ring = createKeyRing(['a'], { clock: createVirtualClock() })
    expect(() => ring.coolDown('z')).toThrow(new TypeError('coolDown(key): the key is not in the ring (got "z")'))
    expect(() => ring.coolDown('a', -5)).toThrow(TypeError)
    expect(() => ring.coolDown('a', new Date(Number.NaN))).toThrow(TypeError)
    expect(() => ring.coolDown('a', {} as never)).toThrow(TypeError)
  })
})

describe('createKeyRing: waiting when every key cools down', () => {
  it('waits in FIFO order and serves waiters as keys come back', async () => {
    const clock = createVirtualClock()
    const ring = createKeyRing(['a', 'b'], { clock })
    ring.coolDown('a', 300)
    ring.coolDown('b', 100)
    const first = watch(ring.acquire())
    const second = watch(ring.acquire())
    await clock.advance(99)
    expect(first.settled).toBe(false)
    await clock.advance(1)
    expect(first.value?.key).toBe('b')
    // Keys are shared: the second waiter gets the same key straight away.
    expect(second.value?.key).toBe('b')
    expect(ring.stats()).toMatchObject({ pending: 0, maxWaitMs: 100, meanWaitMs: 100 })
    await clock.advance(200)
    expect(await lend(ring, 2)).toEqual(['a', 'b'])
  })

  it('lets a waiter abort, rejecting with the signal reason, without losing its place for the others', async () => {
    const clock = createVirtualClock()
    const ring = createKeyRing(['a'], { clock })
    ring.coolDown('a', 100)
    const controller = new AbortController()
    const aborted = watch(ring.acquire({ signal: controller.signal }))
    const behind = watch(ring.acquire())
    controller.abort('cancelled')
    await clock.flush()
    expect(aborted.error).toBe('cancelled')
    await clock.advance(100)
    expect(behind.value?.key).toBe('a')
    expect(ring.stats()).toMatchObject({ acquires: 2, rejected: 1 })
  })

  it('times a waiter out after acquireTimeoutMs or its own timeoutMs', async () => {
    const clock = createVirtualClock()
    const ring = createKeyRing(['a'], { clock, acquireTimeoutMs: 50 })
    ring.coolDown('a', 1000)
    const byRing = watch(ring.acquire())
    const own = watch(ring.acquire({ timeoutMs: 20 }))
    await clock.advance(20)
    expect(own.error).toBeInstanceOf(ResourceAcquireTimeoutError)
    await clock.advance(30)
    expect(byRing.error).toMatchObject({ code: 'ERR_RESOURCE_ACQUIRE_TIMEOUT', timeoutMs: 50 })
    expect(ring.stats().pending).toBe(0)
  })

  it('rejects at once when the signal is already aborted', async () => {
    const ring = createKeyRing(['a'], { clock: createVirtualClock() })
    expect(await rejection(ring.acquire({ signal: AbortSignal.abort('no') }))).toBe('no')
  })
})

describe('createKeyRing: use(fn)', () => {
  it('ends the lease when fn settles, and resolves or rejects as fn did', async () => {
    const ring = createKeyRing(KEYS, { clock: createVirtualClock() })
    expect(await ring.use((key) => key.toUpperCase())).toBe('SK-A')
    const boom = new Error('500')
    expect(
      await rejection(
        ring.use(() => {
          throw boom
        }),
      ),
    ).toBe(boom)
    expect(ring.stats().keys.map((k) => k.inUse)).toEqual([0, 0, 0])
    expect(ring.stats().keys.map((k) => k.cooldowns)).toEqual([0, 0, 0])
  })

  it('sets the key aside when cooldownOn recognises the error, for its Retry-After or cooldownMs', async () => {
    const clock = createVirtualClock()
    class HttpError extends Error {
      constructor(
        readonly status: number,
        readonly retryAfter?: string,
      ) {
        super(`HTTP ${status}`)
      }
    }
    const ring = createKeyRing(KEYS, {
      clock,
      cooldownMs: 777,
      cooldownOn: (e) => e instanceof HttpError && e.status === 429 && (e.retryAfter ?? true),
    })
    await rejection(
      ring.use(() => {
        throw new HttpError(429, '3')
      }),
    )
    await rejection(
      ring.use(() => {
        throw new HttpError(429)
      }),
    )
    await rejection(
      ring.use(() => {
        throw new HttpError(500)
      }),
    )
    expect(ring.stats().keys.map((k) => k.coolingUntil)).toEqual([3000, 777, -1])
    expect(await ring.use((key) => key)).toBe('sk-c')
  })

  it('lets fn report the 429 itself through its lease', async () => {
    const ring = createKeyRing(KEYS, { clock: createVirtualClock(), cooldownMs: 500 })
    const result = await ring.use((_key, lease) => {
      lease.coolDown('1')
      return 'retry elsewhere'
    })
    expect(result).toBe('retry elsewhere')
    expect(ring.stats().keys[0]).toMatchObject({ coolingUntil: 1000, inUse: 0 })
  })
})

describe('createKeyRing: close, stats and metrics', () => {
  it('close() rejects waiters and later acquires with ResourcePoolDrainedError and clears its timer', async () => {
    const clock = createVirtualClock()
    const ring = createKeyRing(['a'], { clock })
    ring.coolDown('a', 1000)
    const waiter = watch(ring.acquire())
    expect(clock.pending).toBe(1)
    ring.close()
    await clock.flush()
    expect(waiter.error).toBeInstanceOf(ResourcePoolDrainedError)
    expect(await rejection(ring.acquire())).toMatchObject({ code: 'ERR_RESOURCE_POOL_DRAINED', message: 'The key ring is closed' })
    expect(clock.pending).toBe(0)
    expect(ring.stats()).toMatchObject({ state: 'closed', available: 0 })
    ring.coolDown('a', 10)
    expect(clock.pending).toBe(0)
  })

  it('closes at the end of a `using` block', () => {
    const clock = createVirtualClock()
    let outer: { stats(): { state: string } } | undefined
    {
      using ring = createKeyRing(['a'], { clock })
      ring.coolDown('a', 100)
      outer = ring
    }
    expect(outer.stats().state).toBe('closed')
    expect(clock.pending).toBe(0)
  })

  it('collect() reports per-key families labelled by index, never by the key itself', async () => {
    const clock = createVirtualClock()
    const ring = createKeyRing(['secret-1', 'secret-2'], { clock, name: 'openai' })
    ;(await ring.acquire()).coolDown()
    const held = await ring.acquire()
    const metrics = ring.collect()
    const sample = (name: string, key?: string): number | undefined => metrics.find((m: CollectedMetric) => m.name === name)?.samples.find((s) => key === undefined || s.labels?.key === key)?.value
    expect(metrics.map((m) => m.name)).toEqual([
      'resource_key_uses_total',
      'resource_key_cooldowns_total',
      'resource_key_cooling',
      'resource_key_in_use',
      'resource_key_available',
      'resource_key_pending',
      'resource_key_acquires_total',
      'resource_key_rejected_total',
      'resource_key_wait_seconds',
    ])
    expect(sample('resource_key_uses_total', '0')).toBe(1)
    expect(sample('resource_key_cooldowns_total', '0')).toBe(1)
    expect(sample('resource_key_cooling', '0')).toBe(1)
    expect(sample('resource_key_cooling', '1')).toBe(0)
    expect(sample('resource_key_in_use', '1')).toBe(1)
    expect(sample('resource_key_available')).toBe(1)
    expect(sample('resource_key_acquires_total')).toBe(2)
    expect(JSON.stringify(metrics)).not.toContain('secret')
    for (const m of metrics) {
      if (m.type === 'counter') expect(m.name.endsWith('_total')).toBe(true)
      for (const s of m.samples) expect(s.labels?.name).toBe('openai')
    }
    held.release()
  })
})
