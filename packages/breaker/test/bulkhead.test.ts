import { createPool, createVirtualClock, QueueFullError } from '@poolkit/core'
import type { TaskInfo, VirtualClock } from '@poolkit/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createBulkhead } from '../src/index.js'
import { task } from './task.js'

/** A handler that takes `ms` of virtual time. */
const timed =
  (clock: VirtualClock) =>
  (input: { ms: number }): Promise<number> =>
    new Promise((resolve) => clock.setTimeout(() => resolve(input.ms), input.ms))

describe('createBulkhead', () => {
  it('grants permits up to the limit of a key, then holds until woken', () => {
    const bulkhead = createBulkhead({ limits: { A: 2 } })
    const [a1, a2, a3] = [task('A'), task('A'), task('A')]
    expect(bulkhead.acquire(a1)).toBeUndefined()
    expect(bulkhead.acquire(a2)).toBeUndefined()
    expect(bulkhead.acquire(a3)).toEqual({ retryAt: Infinity, hold: true })
    expect(bulkhead.running('A')).toBe(2)
    expect(bulkhead.limit('A')).toBe(2)
  })

  it('gives keys not in limits, and tasks without a key, the default limit (Infinity unless set)', () => {
    const open = createBulkhead()
    for (let i = 0; i < 100; i++) expect(open.acquire(task('any'))).toBeUndefined()
    expect(open.limit('any')).toBe(Infinity)
    const strict = createBulkhead({ defaultLimit: 1 })
    expect(strict.acquire(task())).toBeUndefined()
    expect(strict.acquire(task())).toMatchObject({ hold: true })
    expect(strict.acquire(task('other'))).toBeUndefined()
    expect(strict.running()).toBe(1)
    expect(strict.limit()).toBe(1)
  })

  it('returns the permit on onSuccess, onFailure and onCancel, and wakes the key in every attached pool', () => {
    const bulkhead = createBulkhead({ limits: { A: 1 } })
    const woken: string[] = []
    bulkhead.attach!((key) => woken.push(`pool1:${key}`))
    bulkhead.attach!((key) => woken.push(`pool2:${key}`))
    const outcomes = [(t: TaskInfo) => bulkhead.onSuccess(t, 1), (t: TaskInfo) => bulkhead.onFailure(t, new Error('x'), 1), (t: TaskInfo) => bulkhead.onCancel(t)]
    for (const report of outcomes) {
      woken.length = 0
      const first = task('A')
      expect(bulkhead.acquire(first)).toBeUndefined()
      expect(bulkhead.acquire(task('A'))).toMatchObject({ hold: true })
      report(first)
      expect(bulkhead.running('A')).toBe(0)
      expect(woken).toEqual(['pool1:A', 'pool2:A'])
    }
  })

  it('wakes nobody when a permit comes back and no task of the key was held', () => {
    const bulkhead = createBulkhead({ limits: { A: 2 } })
    const woken: unknown[] = []
    bulkhead.attach!((key) => woken.push(key))
    const t = task('A')
    bulkhead.acquire(t)
    bulkhead.onSuccess(t, 1)
    expect(woken).toEqual([])
  })

  it('ignores a second report for the same permit, so a permit comes back once', () => {
    const bulkhead = createBulkhead({ limits: { A: 2 } })
    const [a1, a2] = [task('A'), task('A')]
    bulkhead.acquire(a1)
    bulkhead.acquire(a2)
    bulkhead.onSuccess(a1, 1)
    bulkhead.onCancel(a1)
    bulkhead.onSettled!(a1)
    expect(bulkhead.running('A')).toBe(1)
  })

  it('counts admitted tasks without a permit as waiting, until they start or settle', () => {
    const bulkhead = createBulkhead({ limits: { A: 1 } })
    const [a1, a2] = [task('A'), task('A')]
    bulkhead.admit(a1)
    bulkhead.admit(a2)
    expect(bulkhead.waiting('A')).toBe(2)
    bulkhead.acquire(a1)
    expect([bulkhead.running('A'), bulkhead.waiting('A')]).toEqual([1, 1])
    // A failure to be retried: admitted, without a permit again.
    bulkhead.onFailure(a1, new Error('x'), 1)
    expect([bulkhead.running('A'), bulkhead.waiting('A')]).toEqual([0, 2])
    bulkhead.onSettled!(a1)
    bulkhead.onSettled!(a2)
    expect([bulkhead.running('A'), bulkhead.waiting('A')]).toEqual([0, 0])
  })

  it('refuses at admission, with a QueueFullError naming the key, a task past limit + queuePerKey', () => {
    const bulkhead = createBulkhead({ limits: { A: 2 }, queuePerKey: 1 })
    expect(bulkhead.admit(task('A'))).toBeUndefined()
    expect(bulkhead.admit(task('A'))).toBeUndefined()
    expect(bulkhead.admit(task('A'))).toBeUndefined()
    const denial = bulkhead.admit(task('A'))
    expect(denial?.hold).not.toBe(true)
    expect(denial?.error).toBeInstanceOf(QueueFullError)
    expect(denial?.error).toMatchObject({ key: 'A', limit: 1, code: 'ERR_POOL_QUEUE_FULL' })
    expect(bulkhead.admit(task('B'))).toBeUndefined()
  })

  it("rejects a pool's task past queuePerKey with QueueFullError naming the key, while other keys are admitted", async () => {
    const clock = createVirtualClock()
    const bulkhead = createBulkhead({ limits: { A: 1 }, queuePerKey: 2 })
    const pool = createPool({ handler: timed(clock), clock, concurrency: 4, breaker: bulkhead })
    const accepted = [1, 2, 3].map(() => pool.run({ ms: 100 }, { key: 'A' }))
    await expect(pool.run({ ms: 100 }, { key: 'A' })).rejects.toMatchObject({ name: 'QueueFullError', key: 'A', limit: 2 })
    const b = pool.run({ ms: 100 }, { key: 'B' })
    expect([bulkhead.running('A'), bulkhead.waiting('A')]).toEqual([1, 2])
    expect(pool.stats().counters).toMatchObject({ rejected: 1 })
    await clock.advance(300)
    await expect(Promise.all([...accepted, b])).resolves.toEqual([100, 100, 100, 100])
    // A line that drained takes new tasks again.
    expect([bulkhead.running('A'), bulkhead.waiting('A')]).toEqual([0, 0])
    await pool.close()
  })

  it('starts held tasks at once when setLimit raises a limit', async () => {
    const clock = createVirtualClock()
    const bulkhead = createBulkhead({ limits: { A: 1 } })
    const pool = createPool({ handler: timed(clock), clock, concurrency: 4, breaker: bulkhead })
    const all = [1, 2, 3].map(() => pool.run({ ms: 1000 }, { key: 'A' }))
    await clock.advance(0)
    expect(pool.stats()).toMatchObject({ running: 1, delayed: 2 })
    bulkhead.setLimit('A', 3)
    await clock.flush()
    expect(pool.stats()).toMatchObject({ running: 3, delayed: 0 })
    expect(bulkhead.running('A')).toBe(3)
    await clock.advance(1000)
    await expect(Promise.all(all)).resolves.toHaveLength(3)
    await pool.close()
  })

  it('lets running tasks finish and starts no new one above a lowered limit', async () => {
    const clock = createVirtualClock()
    const bulkhead = createBulkhead({ limits: { A: 3 } })
    const pool = createPool({ handler: timed(clock), clock, concurrency: 4, breaker: bulkhead })
    const all = [1, 2, 3, 4, 5].map(() => pool.run({ ms: 100 }, { key: 'A' }))
    await clock.advance(0)
    expect(bulkhead.running('A')).toBe(3)
    bulkhead.setLimit('A', 1)
    await clock.advance(100)
    // The three finished; only one of the two held tasks may run now.
    expect(bulkhead.running('A')).toBe(1)
    expect(pool.stats()).toMatchObject({ running: 1, delayed: 1 })
    await clock.advance(200)
    await Promise.all(all)
    expect(pool.stats().counters).toMatchObject({ completed: 5 })
    await pool.close()
  })

  it('never runs more tasks of a key than its limit, and runs every task (property, with a real pool)', async () => {
    const keys = ['A', 'B', 'C', undefined] as const
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          limits: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 5 })),
          concurrency: fc.integer({ min: 1, max: 6 }),
          tasks: fc.array(fc.record({ key: fc.constantFrom(...keys), ms: fc.integer({ min: 0, max: 50 }), fail: fc.boolean() }), { minLength: 1, maxLength: 40 }),
        }),
        async ({ limits, concurrency, tasks }) => {
          const clock = createVirtualClock()
          const [a, b, d] = limits
          const bulkhead = createBulkhead({ limits: { A: a, B: b }, defaultLimit: d === 0 ? Infinity : d })
          const running = new Map<string | undefined, number>()
          const peak = new Map<string | undefined, number>()
          const pool = createPool({
            handler: (input: { key: string | undefined; ms: number; fail: boolean }) => {
              const n = (running.get(input.key) ?? 0) + 1
              running.set(input.key, n)
              peak.set(input.key, Math.max(peak.get(input.key) ?? 0, n))
              return new Promise<void>((resolve, reject) =>
                clock.setTimeout(() => {
                  running.set(input.key, running.get(input.key)! - 1)
                  if (input.fail) reject(new Error('fail'))
                  else resolve()
                }, input.ms),
              )
            },
            clock,
            concurrency,
            breaker: bulkhead,
            retry: { attempts: 2, backoff: { initialMs: 5, maxMs: 5, jitter: 0 } },
          })
          const results = tasks.map((t) =>
            pool.run(t, { key: t.key }).then(
              () => 'ok',
              () => 'failed',
            ),
          )
          await clock.runAll()
          const settled = await Promise.all(results)
          expect(settled).toHaveLength(tasks.length)
          expect(peak.get('A') ?? 0).toBeLessThanOrEqual(a)
          expect(peak.get('B') ?? 0).toBeLessThanOrEqual(b)
          if (d !== 0) {
            expect(peak.get('C') ?? 0).toBeLessThanOrEqual(d)
            expect(peak.get(undefined) ?? 0).toBeLessThanOrEqual(d)
          }
          for (const k of keys) expect([bulkhead.running(k), bulkhead.waiting(k)]).toEqual([0, 0])
          await pool.close()
        },
      ),
      { numRuns: 60 },
    )
  })

  it('validates its options, naming the option and the value', () => {
    expect(() => createBulkhead(5 as never)).toThrow(new TypeError('options must be an object, got 5'))
    expect(() => createBulkhead({ limits: [] as never })).toThrow(new TypeError('options.limits must be an object keyed by task key, got an array'))
    expect(() => createBulkhead({ limits: { openai: -1 } })).toThrow(new TypeError('options.limits["openai"] must be a non-negative integer or Infinity, got -1'))
    expect(() => createBulkhead({ limits: { openai: 1.5 } })).toThrow(TypeError)
    expect(() => createBulkhead({ defaultLimit: Number.NaN })).toThrow(new TypeError('options.defaultLimit must be a non-negative integer or Infinity, got NaN'))
    expect(() => createBulkhead({ queuePerKey: '10' as never })).toThrow(new TypeError('options.queuePerKey must be a non-negative integer or Infinity, got "10"'))
    const bulkhead = createBulkhead()
    expect(() => bulkhead.setLimit('A', -2)).toThrow(new TypeError('setLimit("A", limit): limit must be a non-negative integer or Infinity, got -2'))
    expect(() => bulkhead.setLimit(3 as never, 1)).toThrow(new TypeError('setLimit(key) needs a string key, got 3'))
  })
})
