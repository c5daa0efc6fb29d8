// Tasks submitted with no options wait in the default queue's plain lane, with no
// record until they leave it (internal/pool-queue.ts, issue 21). These tests hold
// the lane to what the queue promises: order, counts, ids, times, close reports.
import { describe, expect, it } from 'vitest'
import { createPool, createVirtualClock, Priority, type PoolObserver, type TaskInfo, type TaskResult } from '../src/index.js'
import { tick } from './support.js'

describe('the plain lane of the default queue', () => {
  it('runs plain tasks and tasks with options by priority, then in submission order', async () => {
    const order: number[] = []
    const pool = createPool({ handler: (x: number) => void order.push(x), concurrency: 1, paused: true })
    const all = [
      pool.run(1),
      pool.run(2, { name: 'with a name' }),
      pool.run(3),
      pool.run(4, { priority: Priority.High }),
      pool.run(5, { priority: Priority.Low }),
      pool.run(6),
      pool.run(7, { key: 'k' }),
      pool.run(8),
    ]
    expect(pool.stats().queued).toBe(8)
    pool.resume()
    await Promise.all(all)
    expect(order).toEqual([4, 1, 2, 3, 6, 7, 8, 5])
    await pool.close()
  })

  it('gives plain tasks increasing ids, from submit() too, and counts them in stats()', async () => {
    const results: TaskResult<number>[] = []
    const pool = createPool({ handler: (x: number) => x * 10, concurrency: 1, paused: true })
    const ids = [pool.submit(1, (r) => results.push(r)), pool.submit(2, (r) => results.push(r), { name: 'named' }), pool.submit(3, (r) => results.push(r))]
    expect(ids).toEqual([1, 2, 3])
    expect(pool.stats()).toMatchObject({ queued: 3, counters: expect.objectContaining({ submitted: 3 }) })
    pool.resume()
    await tick()
    expect(results.map((r) => [r.id, r.ok, r.ok ? r.value : undefined])).toEqual([
      [1, true, 10],
      [2, true, 20],
      [3, true, 30],
    ])
    await pool.close()
  })

  it('keeps each task its own id when a task between plain ones took an id without being queued', async () => {
    const results: TaskResult<number>[] = []
    const pool = createPool({ handler: (x: number) => x, concurrency: 1, paused: true })
    const push = (r: TaskResult<number>): void => void results.push(r)
    const ids = [pool.submit(1, push), pool.submit(2, push, { signal: AbortSignal.abort() }), pool.submit(3, push), pool.submit(4, push)]
    expect(ids).toEqual([1, 2, 3, 4])
    pool.resume()
    await tick()
    expect(results.map((r) => [r.id, r.ok])).toEqual([
      [2, false],
      [1, true],
      [3, true],
      [4, true],
    ])
    expect(results.filter((r) => r.ok).map((r) => (r.ok ? r.value : undefined))).toEqual([1, 3, 4])
    await pool.close()
  })

  it('hands observers a task whose times start at its submission, not at the moment it left the lane', async () => {
    const clock = createVirtualClock({ now: 1000 })
    const started: TaskInfo[] = []
    // onStarted only: an onSubmitted hook would give every task a record at submission.
    const observer: PoolObserver = { onStarted: (_pool, task) => void started.push({ ...JSON.parse(JSON.stringify(task)) }) }
    const pool = createPool({ handler: (x: number) => x, concurrency: 1, paused: true, clock, observers: [observer] })
    const first = pool.run(1)
    await clock.advance(5)
    const second = pool.run(2)
    await clock.advance(20)
    pool.resume()
    await Promise.all([first, second])
    expect(started).toEqual([
      expect.objectContaining({ id: 1, submittedAt: 1000, enqueuedAt: 1000, startedAt: 1025, waitMs: 25, attempt: 1 }),
      expect.objectContaining({ id: 2, submittedAt: 1005, enqueuedAt: 1005, startedAt: 1025, waitMs: 20, attempt: 1 }),
    ])
    await pool.close()
  })

  it('lists plain tasks that never started in the close report, with their ids and times, and rejects their callers', async () => {
    const clock = createVirtualClock({ now: 0 })
    const pool = createPool({ handler: () => new Promise<never>(() => {}), concurrency: 1, clock })
    const running = pool.run(0).catch((e: unknown) => e)
    const a = pool.run(1).catch((e: unknown) => e)
    const b = pool.run(2, { name: 'b' }).catch((e: unknown) => e)
    const c = pool.run(3).catch((e: unknown) => e)
    await clock.advance(10)
    const report = await pool.destroy()
    expect(report.aborted.map((t) => t.id)).toEqual([1])
    expect(report.unstarted.map((t) => [t.id, t.submittedAt, t.waitMs])).toEqual([
      [2, 0, 10],
      [3, 0, 10],
      [4, 0, 10],
    ])
    for (const outcome of await Promise.all([running, a, b, c])) expect(outcome).toMatchObject({ code: 'ERR_POOL_CLOSED' })
  })

  it("applies the pool's taskTimeout to a plain task that waited in the lane", async () => {
    const clock = createVirtualClock()
    const pool = createPool({ handler: () => new Promise<never>(() => {}), concurrency: 1, paused: true, clock, taskTimeout: 50 })
    const task = pool.run(1).catch((e: unknown) => e)
    pool.resume()
    await clock.advance(50)
    expect(await task).toMatchObject({ code: 'ERR_POOL_TASK_TIMEOUT' })
    await pool.destroy()
  })

  it('puts a retried plain task behind the tasks submitted before its retry', async () => {
    const order: number[] = []
    let failed = false
    const clock = createVirtualClock()
    const pool = createPool({
      handler: (x: number) => {
        order.push(x)
        if (x === 1 && !failed) {
          failed = true
          throw new Error('first try')
        }
        return x
      },
      concurrency: 1,
      paused: true,
      clock,
      retry: { attempts: 2, backoff: { initialMs: 0, maxMs: 0, jitter: 0 } },
    })
    const all = [pool.run(1), pool.run(2), pool.run(3)]
    pool.resume()
    await clock.advance(0)
    await Promise.all(all)
    expect(order).toEqual([1, 2, 3, 1])
    await pool.close()
  })

  it('serves a selector too: it sees every plain task, in submission order, with Normal priority, and each completes', async () => {
    const seen: number[] = []
    let turn = 0
    const pool = createPool<number, number>({
      handler: async (x) => x * 2,
      concurrency: 2,
      selector: {
        select(candidates, task) {
          seen.push(task.id)
          expect(task.priority).toBe(1)
          return candidates[turn++ % candidates.length]
        },
      },
    })
    const runs: Promise<number>[] = []
    for (let i = 0; i < 200; i++) runs.push(pool.run(i))
    expect(pool.stats().queued).toBe(198)
    expect(await Promise.all(runs)).toEqual(Array.from({ length: 200 }, (_, i) => i * 2))
    expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
    await pool.close()
  })
})
