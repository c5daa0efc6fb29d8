import { describe, expect, it } from 'vitest'
import { CircuitOpenError, createPool, createVirtualClock, PoolClosedError, QueueFullError } from '../src/index.js'
import type { Breaker, BreakerDenial, TaskInfo, VirtualClock } from '../src/index.js'
import { track } from './support.js'

/** A handler that takes `ms` of virtual time and returns its input's id. */
const timed =
  (clock: VirtualClock) =>
  (input: { id: string; ms: number; fail?: unknown }): Promise<string> =>
    new Promise((resolve, reject) => clock.setTimeout(() => (input.fail !== undefined ? reject(input.fail) : resolve(input.id)), input.ms))

/** A bulkhead in a few lines: at most `limit` tasks of a key at once; the rest are held until a permit comes back. */
function tinyBulkhead(limit: number): Breaker & { calls: string[] } {
  const running = new Map<string | undefined, number>()
  let wake: ((key: string | undefined) => void) | undefined
  const calls: string[] = []
  const release = (task: TaskInfo): void => {
    running.set(task.key, (running.get(task.key) ?? 1) - 1)
    wake?.(task.key)
  }
  return {
    calls,
    attach: (w) => {
      calls.push('attach')
      wake = w
    },
    admit: () => undefined,
    acquire: (task): BreakerDenial | undefined => {
      const n = running.get(task.key) ?? 0
      if (n >= limit) return { retryAt: Infinity, hold: true }
      running.set(task.key, n + 1)
      return undefined
    },
    onSuccess: release,
    onFailure: release,
    onCancel: release,
  }
}

/** A breaker that lets everything through unless the test's functions say otherwise. */
function breakerWith(acquire: (t: TaskInfo) => ReturnType<Breaker['acquire']>): Breaker {
  return {
    admit: () => undefined,
    acquire,
    onSuccess: () => {},
    onFailure: () => {},
    onCancel: () => {},
  }
}

describe('breaker holds', () => {
  it('keeps the tasks of a key the breaker holds out of the way while other keys run, until it wakes the key', async () => {
    const clock = createVirtualClock()
    const breaker = tinyBulkhead(1)
    const pool = createPool({ handler: timed(clock), clock, concurrency: 4, breaker })
    expect(breaker.calls).toEqual(['attach'])
    const order: string[] = []
    const run = (id: string, key: string, ms: number) => pool.run({ id, ms }, { key }).then((r) => void order.push(r))
    const all = [run('a1', 'A', 100), run('a2', 'A', 100), run('a3', 'A', 100), run('b1', 'B', 10), run('b2', 'B', 10)]
    await clock.advance(0)
    // One task of each key at a time: a1 and b1 run, a2, a3 and b2 are held; B's
    // tasks do not wait behind A's, though four workers could run them all.
    expect(pool.stats()).toMatchObject({ running: 2, delayed: 3 })
    await clock.advance(20)
    expect(order).toEqual(['b1', 'b2'])
    await clock.advance(300)
    await Promise.all(all)
    expect(order).toEqual(['b1', 'b2', 'a1', 'a2', 'a3'])
    await pool.close()
  })

  it("keeps held tasks under the breaker's own key (Breaker.keyOf), so its wake reaches tasks whose own keys differ", async () => {
    const clock = createVirtualClock()
    // One call at a time per provider, whatever the tenant (the task's key).
    const providerOf = (task: TaskInfo): string | undefined => task.labels?.provider
    const running = new Map<string | undefined, number>()
    let wake: ((key: string | undefined) => void) | undefined
    const release = (task: TaskInfo): void => {
      running.set(providerOf(task), running.get(providerOf(task))! - 1)
      wake?.(providerOf(task))
    }
    const breaker: Breaker = {
      attach: (w) => void (wake = w),
      keyOf: providerOf,
      admit: () => undefined,
      acquire: (task) => {
        const n = running.get(providerOf(task)) ?? 0
        if (n >= 1) return { retryAt: Infinity, hold: true }
        running.set(providerOf(task), n + 1)
        return undefined
      },
      onSuccess: release,
      onFailure: release,
      onCancel: release,
    }
    const pool = createPool({ handler: timed(clock), clock, concurrency: 4, breaker })
    const order: string[] = []
    const run = (id: string, tenant: string) => pool.run({ id, ms: 100 }, { key: tenant, labels: { provider: 'p' } }).then((r) => void order.push(r))
    const all = [run('t1-a', 'T1'), run('t2-a', 'T2'), run('t1-b', 'T1'), run('t2-b', 'T2')]
    await clock.advance(0)
    expect(pool.stats()).toMatchObject({ running: 1, delayed: 3 })
    await clock.advance(400)
    await Promise.all(all)
    expect(order).toEqual(['t1-a', 't2-a', 't1-b', 't2-b'])
    await pool.close()
  })

  it("queues every key a breaker wakes in one call before any starts, so the queue's order picks the first", async () => {
    const clock = createVirtualClock()
    let open = true
    let wake: ((key: string | undefined) => void) | undefined
    const breaker: Breaker = {
      attach: (w) => void (wake = w),
      admit: () => (open ? { retryAt: Infinity, hold: true } : undefined),
      acquire: () => undefined,
      onSuccess: () => {},
      onFailure: () => {},
      onCancel: () => {},
    }
    const started: string[] = []
    const pool = createPool({ handler: timed(clock), clock, concurrency: 1, breaker, observers: [{ onStarted: (_p, task) => void started.push(String(task.key)) }] })
    const all = [pool.run({ id: 'a1', ms: 10 }, { key: 'A' }), pool.run({ id: 'a2', ms: 10 }, { key: 'A' }), pool.run({ id: 'b1', ms: 10 }, { key: 'B', priority: 3 })]
    await clock.advance(0)
    expect(pool.stats().delayed).toBe(3)
    open = false
    // Woken key by key in one call, A first: B's task still starts first, by its priority.
    wake!('A')
    wake!('B')
    await clock.advance(100)
    await Promise.all(all)
    expect(started).toEqual(['B', 'A', 'A'])
    await pool.close()
  })

  it('gives all tasks held for one key a single timer, and puts them back in their order at retryAt', async () => {
    const clock = createVirtualClock()
    let openUntil = 500
    const breaker: Breaker = {
      admit: () => undefined,
      acquire: () => (clock.now() < openUntil ? { retryAt: openUntil, hold: true } : undefined),
      onSuccess: () => {},
      onFailure: () => {},
      onCancel: () => {},
    }
    const pool = createPool({ handler: timed(clock), clock, concurrency: 1, breaker })
    const order: string[] = []
    const all = ['t1', 't2', 't3', 't4'].map((id) => pool.run({ id, ms: 1 }, { key: 'slow' }).then((r) => void order.push(r)))
    await clock.advance(0)
    expect(pool.stats().delayed).toBe(4)
    expect(clock.pending).toBe(1)
    await clock.advance(499)
    expect(order).toEqual([])
    openUntil = 0
    await clock.advance(10)
    await Promise.all(all)
    expect(order).toEqual(['t1', 't2', 't3', 't4'])
    await pool.close()
  })

  it("releases the keys held until the same millisecond together, before one dispatch, so the queue's order picks who gets the permit", async () => {
    const clock = createVirtualClock()
    // One permit a 100 ms; the tasks turned away are told when, to the millisecond (B's a fraction later, as
    // the same moment computed at another time may be, so A's timer fires first).
    let nextAt = 0
    const breaker: Breaker = {
      admit: () => undefined,
      acquire: (task) => {
        const now = clock.now()
        if (now < nextAt) return { retryAt: nextAt + (task.key === 'A' ? 0 : 0.3), hold: true }
        nextAt = now + 100
        return undefined
      },
      onSuccess: () => {},
      onFailure: () => {},
      onCancel: () => {},
    }
    const started: string[] = []
    const pool = createPool({ handler: timed(clock), clock, concurrency: 4, breaker, observers: [{ onStarted: (_p, task) => void started.push(String(task.key)) }] })
    // A's tasks are held first; B's, with a higher priority, later: B's would lose the permit to A's timer if
    // the keys were released one at a time.
    const all = [pool.run({ id: 'a0', ms: 1 }, { key: 'A' }), pool.run({ id: 'a1', ms: 1 }, { key: 'A' }), pool.run({ id: 'a2', ms: 1 }, { key: 'A' })]
    await clock.advance(10)
    all.push(pool.run({ id: 'b1', ms: 1 }, { key: 'B', priority: 3 }))
    await clock.advance(500)
    await Promise.all(all)
    expect(started).toEqual(['A', 'B', 'A', 'A'])
    await pool.close()
  })

  it("releases at a key's timer only its tasks held until then: the others stay held until their own retryAt or a wake", async () => {
    const clock = createVirtualClock()
    let wake: ((key: string | undefined) => void) | undefined
    const acquired: string[] = []
    const asked = new Map<string, number>()
    const breaker: Breaker = {
      attach: (w) => void (wake = w),
      admit: () => undefined,
      acquire: (task) => {
        const id = String(task.name)
        asked.set(id, (asked.get(id) ?? 0) + 1)
        // 'soon' waits until 100; 'late' until 1,000; 'woken' until a wake.
        const until = id === 'soon' ? 100 : id === 'late' ? 1_000 : Infinity
        if (clock.now() < until && !(id === 'woken' && woken)) return { retryAt: until, hold: true }
        acquired.push(`${id}@${clock.now()}`)
        return undefined
      },
      onSuccess: () => {},
      onFailure: () => {},
      onCancel: () => {},
    }
    let woken = false
    const pool = createPool({ handler: timed(clock), clock, concurrency: 4, breaker })
    const all = ['late', 'soon', 'woken'].map((name) => pool.run({ id: name, ms: 1 }, { key: 'K', name }))
    await clock.advance(100)
    // Only 'soon' came back at 100; 'late' and 'woken' were not asked again.
    expect(acquired).toEqual(['soon@100'])
    expect(pool.stats().delayed).toBe(2)
    expect(Object.fromEntries(asked)).toEqual({ late: 1, soon: 2, woken: 1 })
    woken = true
    wake!('K')
    await clock.advance(0)
    expect(acquired).toEqual(['soon@100', 'woken@100'])
    await clock.advance(901)
    await Promise.all(all)
    expect(acquired).toEqual(['soon@100', 'woken@100', 'late@1000'])
    await pool.close()
  })

  it('runs a task again as the same attempt, after retryAt, when onFailure returns a retry verdict (a 429)', async () => {
    const clock = createVirtualClock()
    const tooMany = Object.assign(new Error('429 Too Many Requests'), { retryAfterMs: 1000 })
    const seen: { attempt: number; at: number }[] = []
    let calls = 0
    const breaker: Breaker = {
      admit: () => undefined,
      acquire: () => undefined,
      onSuccess: () => {},
      onFailure: (_task, error) => (error === tooMany ? { retryAt: clock.now() + 1000 } : undefined),
      onCancel: () => {},
    }
    const pool = createPool({
      handler: async (_input: number, context) => {
        seen.push({ attempt: context.attempt, at: clock.now() })
        if (++calls === 1) throw tooMany
        return 'ok'
      },
      clock,
      breaker,
      // No retries configured: the 429 is not the task's failure, so it does not need one.
      retry: { attempts: 1 },
    })
    const result = pool.run(1, { key: 'provider' })
    await clock.advance(999)
    expect(seen).toEqual([{ attempt: 1, at: 0 }])
    await clock.advance(1)
    await expect(result).resolves.toBe('ok')
    expect(seen).toEqual([
      { attempt: 1, at: 0 },
      { attempt: 1, at: 1000 },
    ])
    // The same attempt: no retry counted.
    expect(pool.stats().counters).toMatchObject({ completed: 1, failed: 0, retried: 0 })
    await pool.close()
  })

  it('settles a held task cancelled by its caller, and drops it from the hold', async () => {
    const clock = createVirtualClock()
    const breaker = tinyBulkhead(1)
    const pool = createPool({ handler: timed(clock), clock, concurrency: 2, breaker })
    const first = pool.run({ id: 'a1', ms: 100 }, { key: 'A' })
    const controller = new AbortController()
    const second = pool.run({ id: 'a2', ms: 100 }, { key: 'A', signal: controller.signal })
    await clock.advance(0)
    expect(pool.stats().delayed).toBe(1)
    controller.abort()
    await expect(second).rejects.toMatchObject({ name: 'AbortError' })
    expect(pool.stats().delayed).toBe(0)
    await clock.advance(100)
    await expect(first).resolves.toBe('a1')
    expect(pool.stats().counters).toMatchObject({ completed: 1, cancelled: 1 })
    await pool.close()
  })

  it('refuses held tasks at destroy() and leaves no timer behind', async () => {
    const clock = createVirtualClock()
    const breaker: Breaker = {
      admit: () => undefined,
      acquire: () => ({ retryAt: 10_000, hold: true }),
      onSuccess: () => {},
      onFailure: () => {},
      onCancel: () => {},
    }
    const pool = createPool({ handler: timed(clock), clock, breaker })
    const held = pool.run({ id: 'x', ms: 1 }, { key: 'k' })
    await clock.advance(0)
    expect(clock.pending).toBe(1)
    await pool.destroy()
    await expect(held).rejects.toBeInstanceOf(PoolClosedError)
    expect(clock.pending).toBe(0)
  })

  it("rejects a refused task with the denial's own error, counted as queue-full for a QueueFullError", async () => {
    const clock = createVirtualClock()
    const reasons: string[] = []
    const breaker: Breaker = {
      admit: (task) => (task.key === 'full' ? { retryAt: 0, error: new QueueFullError(3, { key: 'full' }) } : task.key === 'open' ? { retryAt: 50 } : undefined),
      acquire: () => undefined,
      onSuccess: () => {},
      onFailure: () => {},
      onCancel: () => {},
    }
    const pool = createPool({ handler: timed(clock), clock, breaker, observers: [{ onRejected: (_p, _t, reason) => void reasons.push(reason) }] })
    await expect(pool.run({ id: 'a', ms: 1 }, { key: 'full' })).rejects.toMatchObject({ name: 'QueueFullError', key: 'full', limit: 3 })
    await expect(pool.run({ id: 'b', ms: 1 }, { key: 'open' })).rejects.toBeInstanceOf(CircuitOpenError)
    expect(reasons).toEqual(['queue-full', 'circuit-open'])
    await pool.close()
  })

  it('calls onSettled once for every task it admitted, whatever the route, and never for one it refused', async () => {
    const clock = createVirtualClock()
    const settled: string[] = []
    const breaker: Breaker = {
      admit: (task) => (task.key === 'refused' ? { retryAt: 0 } : undefined),
      acquire: () => undefined,
      onSuccess: () => {},
      onFailure: () => {},
      onCancel: () => {},
      onSettled: (task) => void settled.push(task.key!),
    }
    const pool = createPool({ handler: timed(clock), clock, concurrency: 1, breaker })
    const controller = new AbortController()
    const results = [
      pool.run({ id: 'a', ms: 10 }, { key: 'done' }),
      pool.run({ id: 'b', ms: 10 }, { key: 'cancelled', signal: controller.signal }),
      pool.run({ id: 'c', ms: 10 }, { key: 'refused' }),
      pool.run({ id: 'd', ms: 10, fail: new Error('x') }, { key: 'failed' }),
      pool.run({ id: 'e', ms: 10 }, { key: 'closed' }),
    ].map((p) => p.catch(() => undefined))
    controller.abort()
    await clock.advance(15)
    const closing = pool.destroy()
    await Promise.all(results)
    await closing
    expect(settled.sort()).toEqual(['cancelled', 'closed', 'done', 'failed'])
  })

  it('does not spin in dispatch when acquire holds a task with retryAt <= now: the task waits for the clock', async () => {
    const clock = createVirtualClock({ now: 1000 })
    let acquireCalls = 0
    // Holds with retryAt = now (a probe is already out) up to 10,000 times, then lets it through.
    const breaker = breakerWith(() => (++acquireCalls <= 10_000 ? { retryAt: clock.now(), hold: true } : undefined))
    const pool = createPool({ handler: (n: number) => n, clock, breaker })
    const result = track(pool.run(1, { key: 'k' }))
    // Synchronously after run(): the held task must not have been asked again and again in one pass.
    expect(acquireCalls).toBeLessThanOrEqual(2)
    await pool.destroy()
    await clock.flush()
    expect(result.status).toBe('rejected')
  })
})
