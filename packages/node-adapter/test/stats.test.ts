import { describe, expect, it, vi } from 'vitest'
import type { PoolSnapshot, Scaler } from '@poolkit/core'
import { kinds, openPool } from './support.js'

/** A scaler that keeps the size and records what each snapshot says. */
function recordingScaler(): Scaler & { snapshots: PoolSnapshot[] } {
  const snapshots: PoolSnapshot[] = []
  return {
    snapshots,
    min: 2,
    intervalMs: 25,
    desired: (snapshot) => {
      snapshots.push(snapshot)
      return snapshot.targetWorkers
    },
  }
}

describe.each(kinds)('stats of $name pools', (kind) => {
  it('counts workers in stats().workers: starting, then idle, then busy while a task runs', async () => {
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 2 })
    expect(pool.stats()).toMatchObject({ executor: kind.name, targetWorkers: 2, workers: { total: 2, starting: 2, idle: 0, busy: 0 } })
    await pool.ready()
    expect(pool.stats().workers).toEqual({ total: 2, starting: 0, idle: 2, busy: 0 })
    const running = pool.run(100, { name: 'sleep' })
    expect(pool.stats().workers).toEqual({ total: 2, starting: 0, idle: 1, busy: 1 })
    expect(pool.stats().running).toBe(1)
    await running
    expect(pool.stats().workers).toEqual({ total: 2, starting: 0, idle: 2, busy: 0 })
  })

  it('counts in stats().concurrency the tasks that run at once (workers × concurrentTasksPerWorker), and in stats().capacity those sent ahead too', async () => {
    // The defaults: 1 task at a time, up to 256 sent ahead. 5 workers run 5 tasks at once, not 1,285.
    const defaults = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 5 })
    expect(defaults.stats()).toMatchObject({ targetWorkers: 5, concurrency: 5, capacity: 5 * 257 })
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs', { concurrentTasksPerWorker: 2, prefetch: 3, prefetchMs: Infinity }), concurrency: 2 })
    expect(pool.stats()).toMatchObject({ concurrency: 4, capacity: 10 })
    await pool.ready()
    // 12 tasks of 20 ms: 10 handed out at once (capacity), of which each worker runs 2 at a time.
    const runs = Array.from({ length: 12 }, () => pool.run(20, { name: 'concurrent' }))
    expect(pool.stats()).toMatchObject({ running: 10, queued: 2 })
    const maxInFlight = (await Promise.all(runs)) as number[]
    // What ran at once in one worker: concurrency / workers.
    expect(Math.max(...maxInFlight)).toBe(2)
  })

  it("puts the workers' event-loop utilization, a number from 0 to 1, in the scaler's snapshot", async () => {
    const scaler = recordingScaler()
    // Child processes report it with their heartbeat; threads are measured from outside.
    const pool = openPool({
      executor: kind.executor('tasks.worker.mjs', kind.name === 'processes' ? { unresponsiveTimeout: 1000 } : {}),
      concurrency: 2,
      scaler,
    })
    await pool.ready()
    // Keep both workers busy for a while, so utilization is well above 0.
    const busy = Promise.all([pool.run(600, { name: 'busy' }), pool.run(600, { name: 'busy' })])
    await vi.waitFor(
      () => {
        const values = scaler.snapshots.map((s) => s.eventLoopUtilization).filter((v): v is number => typeof v === 'number')
        expect(values.length).toBeGreaterThan(0)
        for (const v of values) {
          expect(v).toBeGreaterThanOrEqual(0)
          expect(v).toBeLessThanOrEqual(1)
        }
        expect(Math.max(...values)).toBeGreaterThan(0.2)
      },
      { timeout: 5000, interval: 25 },
    )
    await busy
  })
})

describe('stats().perWorker on threads', () => {
  it('lists each worker with its task counts and event-loop utilization, a number from 0 to 1, after it worked', async () => {
    const kind = kinds.find((k) => k.name === 'threads')!
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 2 })
    await pool.ready()
    await Promise.all(Array.from({ length: 6 }, () => pool.run(60, { name: 'busy' })))
    const perWorker = pool.stats().perWorker
    expect(perWorker).toHaveLength(2)
    expect(perWorker.reduce((sum, w) => sum + w.finished, 0)).toBe(6)
    for (const w of perWorker) {
      expect(w.state).toBe('ready')
      expect(w.running).toBe(0)
      expect(w.eventLoopUtilization).toBeGreaterThan(0)
      expect(w.eventLoopUtilization).toBeLessThanOrEqual(1)
    }
  })
})
