// The three scenarios of the issue, each with real core pools on the virtual clock.
import { createPool, createVirtualClock } from '@poolkit/core'
import type { Breaker, TaskContext, VirtualClock } from '@poolkit/core'
import { describe, expect, it } from 'vitest'
import { createBulkhead, createRateLimiter } from '../src/index.js'

interface Job {
  readonly key: string
  readonly ms: number
}

/** A pool whose handler logs each start (key and time) and takes `job.ms` of virtual time. */
function recordingPool(clock: VirtualClock, concurrency: number, breaker?: Breaker) {
  const starts: { key: string; at: number }[] = []
  const pool = createPool({
    handler: (job: Job) => {
      starts.push({ key: job.key, at: clock.now() })
      return new Promise<string>((resolve) => clock.setTimeout(() => resolve(job.key), job.ms))
    },
    clock,
    concurrency,
    ...(breaker === undefined ? {} : { breaker }),
  })
  return { pool, starts }
}

/** When the last of `tasks` settled, on the clock. */
const finishTime = (clock: VirtualClock, tasks: Promise<unknown>[]): Promise<number> => Promise.all(tasks).then(() => clock.now())

/** The most starts in any window [s, s + 1000) that begins at a start s. */
const busiestSecond = (times: number[]): number => Math.max(0, ...times.map((s) => times.filter((t) => t >= s && t < s + 1000).length))

describe('isolation: a bulkhead keeps a hanging key from taking the workers other keys need', () => {
  const HOUR = 3_600_000
  const B_TASKS = 1000
  const B_MS = 10

  /** Runs 20 tasks of A (each hanging for an hour) ahead of 1,000 tasks of B; when B's last one finished, or -1. */
  async function runB(breaker: Breaker | undefined, concurrency: number, withA: boolean) {
    const clock = createVirtualClock()
    const { pool, starts } = recordingPool(clock, concurrency, breaker)
    const a = withA ? Array.from({ length: 20 }, () => pool.run({ key: 'A', ms: HOUR }, { key: 'A' }).catch(() => 'A')) : []
    let done = -1
    const b = Array.from({ length: B_TASKS }, () => pool.run({ key: 'B', ms: B_MS }, { key: 'B' }))
    void finishTime(clock, b).then(
      (t) => (done = t),
      () => {},
    )
    await clock.advance(10_000)
    const runningA = starts.filter((s) => s.key === 'A').length
    await pool.destroy()
    await Promise.allSettled([...a, ...b])
    return { done, runningA, bStarts: starts.filter((s) => s.key === 'B').map((s) => s.at) }
  }

  it('serves B on every worker A may not take, with no idle moment, while A hangs (concurrency 4, A: 2)', async () => {
    const withBulkhead = await runB(createBulkhead({ limits: { A: 2 } }), 4, true)
    // A holds its two permits for the hour and gets no third worker.
    expect(withBulkhead.runningA).toBe(2)
    // The other two workers run B back to back: 1,000 × 10 ms over 2 workers.
    expect(withBulkhead.done).toBe((B_TASKS * B_MS) / 2)
    // As fast as a pool of those two workers with no A at all.
    const twoWorkersNoA = await runB(undefined, 2, false)
    expect(withBulkhead.done).toBe(twoWorkersNoA.done)
    expect(withBulkhead.bStarts).toEqual(twoWorkersNoA.bStarts)
  })

  it('without the bulkhead, the same hanging key takes all four workers and B waits the hour', async () => {
    const without = await runB(undefined, 4, true)
    expect(without.runningA).toBe(4)
    expect(without.bStarts).toEqual([])
    expect(without.done).toBe(-1)
  })

  it('serves B at full speed when A never settles at all', async () => {
    const clock = createVirtualClock()
    const bulkhead = createBulkhead({ limits: { A: 2 } })
    const pool = createPool({
      handler: (job: Job) => (job.key === 'A' ? new Promise<string>(() => {}) : new Promise<string>((resolve) => clock.setTimeout(() => resolve('B'), B_MS))),
      clock,
      concurrency: 4,
      breaker: bulkhead,
    })
    const a = Array.from({ length: 20 }, () => pool.run({ key: 'A', ms: 0 }, { key: 'A' }).catch(() => 'A'))
    const b = Array.from({ length: B_TASKS }, () => pool.run({ key: 'B', ms: B_MS }, { key: 'B' }))
    const done = finishTime(clock, b)
    await clock.advance((B_TASKS * B_MS) / 2)
    await expect(done).resolves.toBe((B_TASKS * B_MS) / 2)
    expect([bulkhead.running('A'), bulkhead.waiting('A')]).toEqual([2, 18])
    await pool.destroy()
    await Promise.allSettled(a)
    expect([bulkhead.running('A'), bulkhead.waiting('A')]).toEqual([0, 0])
  })
})

describe.each(['token-bucket', 'sliding-window'] as const)('rate limit (%s): a limited key never exceeds its limit while an unlimited key runs at full speed', (algorithm) => {
  const TASKS = 200
  const MS = 10
  const CONCURRENCY = 8

  it('keeps `limited` to 10 starts in any 1,000 ms window and `free` as fast as it runs alone', async () => {
    const clock = createVirtualClock()
    const limiter = createRateLimiter({ clock, algorithm, limits: { limited: { perSecond: 10, burst: 1 } } })
    const { pool, starts } = recordingPool(clock, CONCURRENCY, limiter)
    const limited: Promise<string>[] = []
    const free: Promise<string>[] = []
    // Interleaved, so the limited key's tasks sit in the queue ahead of free ones.
    for (let i = 0; i < TASKS; i++) {
      limited.push(pool.run({ key: 'limited', ms: MS }, { key: 'limited' }))
      free.push(pool.run({ key: 'free', ms: MS }, { key: 'free' }))
    }
    let freeDone = -1
    void finishTime(clock, free).then((t) => (freeDone = t))
    await clock.runAll(100_000)
    await Promise.all([...limited, ...free])

    const limitedStarts = starts.filter((s) => s.key === 'limited').map((s) => s.at)
    expect(limitedStarts).toHaveLength(TASKS)
    // Every window [s, s + 1000) that begins at a start s.
    expect(busiestSecond(limitedStarts)).toBe(10)
    // ...and not slower than the limit either: each start comes the moment the
    // limit allows it (the bucket: 100 ms after the one before; the window: 1,000
    // ms after the start ten before, which left the window).
    const step = algorithm === 'token-bucket' ? 1 : 10
    const gap = algorithm === 'token-bucket' ? 100 : 1000
    for (let k = step; k < TASKS; k++) expect(limitedStarts[k]! - limitedStarts[k - step]!).toBe(gap)

    // The free key alone, on the same pool size.
    const alone = createVirtualClock()
    const solo = recordingPool(alone, CONCURRENCY)
    const soloDone = finishTime(
      alone,
      Array.from({ length: TASKS }, () => solo.pool.run({ key: 'free', ms: MS }, { key: 'free' })),
    )
    await alone.runAll()
    const baseline = await soloDone
    expect(baseline).toBe((TASKS / CONCURRENCY) * MS)
    // The limited key's allowed starts while free ran took their share of the
    // workers, and nothing more: its held tasks never blocked the queue.
    const limitedWhileFree = limitedStarts.filter((t) => t < freeDone).length
    expect(freeDone).toBeLessThanOrEqual(baseline + Math.ceil(limitedWhileFree / CONCURRENCY) * MS)
    await pool.close()
    await solo.pool.close()
  })
})

describe('429 with retryAfter: the hint pauses only its key', () => {
  it('holds key A for 2 s after its 429 while B keeps running, then runs the task again as attempt 1', async () => {
    const clock = createVirtualClock()
    const limiter = createRateLimiter({ clock })
    const starts: { key: string; at: number; attempt: number; id: number }[] = []
    let thrown = false
    const pool = createPool({
      handler: (job: Job, context: TaskContext) => {
        starts.push({ key: job.key, at: clock.now(), attempt: context.attempt, id: context.id })
        return new Promise<string>((resolve, reject) =>
          clock.setTimeout(() => {
            if (job.key === 'A' && !thrown) {
              thrown = true
              reject({ status: 429, retryAfter: 2 })
            } else {
              resolve(job.key)
            }
          }, job.ms),
        )
      },
      clock,
      concurrency: 4,
      breaker: limiter,
      // No retries: the 429 must not need one.
      retry: { attempts: 1 },
    })
    const results: { key: string; ok: boolean; attempts: number; at: number }[] = []
    for (let i = 0; i < 5; i++) {
      pool.submit({ key: 'A', ms: 10 }, (r) => results.push({ key: 'A', ok: r.ok, attempts: r.attempts, at: clock.now() }), { key: 'A' })
      pool.submit({ key: 'B', ms: 10 }, (r) => results.push({ key: 'B', ok: r.ok, attempts: r.attempts, at: clock.now() }), { key: 'B' })
    }
    for (let i = 0; i < 1000; i++) pool.submit({ key: 'B', ms: 10 }, (r) => results.push({ key: 'B', ok: r.ok, attempts: r.attempts, at: clock.now() }), { key: 'B' })

    await clock.advance(10)
    // The first A task got the 429 at 10 ms: A pauses until 2,010.
    expect(limiter.pausedUntil('A')).toBe(2010)
    expect(limiter.pausedUntil('B')).toBe(-1)
    await clock.advance(2000)
    const aStarts = starts.filter((s) => s.key === 'A')
    const bStarts = starts.filter((s) => s.key === 'B')
    // Two A tasks started at 0 (one of them got the 429); none during the pause.
    expect(aStarts.filter((s) => s.at > 0 && s.at < 2010)).toEqual([])
    // B ran on all four workers through the pause: 4 starts every 10 ms.
    for (let t = 10; t < 2010; t += 10) expect(bStarts.filter((s) => s.at === t)).toHaveLength(4)

    await clock.runAll(100_000)
    expect(results.filter((r) => r.ok)).toHaveLength(1010)
    // The task that got the 429 ran again right at the end of the pause, still as attempt 1.
    const first = aStarts[0]!
    const again = starts.filter((s) => s.id === first.id)
    expect(again.map((s) => [s.at, s.attempt])).toEqual([
      [0, 1],
      [2010, 1],
    ])
    expect(starts.every((s) => s.attempt === 1)).toBe(true)
    // The re-run is the same attempt: no retry counted, and its result says 1 attempt (attempts: 1 allows no retry).
    expect(pool.stats().counters).toMatchObject({ failed: 0, retried: 0, completed: 1010 })
    expect(results.filter((r) => r.key === 'A').map((r) => r.attempts)).toEqual([1, 1, 1, 1, 1])
    await pool.close()
  })
})
