import { availableParallelism } from 'node:os'
import { describe, expect, it, vi } from 'vitest'
import { kinds, openPool, recordWorkers } from './support.js'

describe.each(kinds)('sizing $name pools', (kind) => {
  it('starts os.availableParallelism() workers when concurrency is left out', async () => {
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs') })
    expect(pool.stats().targetWorkers).toBe(availableParallelism())
    await pool.ready()
    expect(pool.stats().workers).toMatchObject({ total: availableParallelism(), idle: availableParallelism(), starting: 0 })
  })

  it('runs 4 async tasks at once on one worker with concurrentTasksPerWorker: 4, never more', async () => {
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs', { concurrentTasksPerWorker: 4 }), concurrency: 1 })
    await pool.ready()
    expect(pool.stats().concurrency).toBeGreaterThanOrEqual(4)
    const maxima = (await Promise.all(Array.from({ length: 12 }, () => pool.run(40, { name: 'concurrent' })))) as number[]
    expect(Math.max(...maxima)).toBe(4)
  })

  it('runs async tasks one at a time on a worker by default', async () => {
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs'), concurrency: 1 })
    await pool.ready()
    const maxima = (await Promise.all(Array.from({ length: 4 }, () => pool.run(10, { name: 'concurrent' })))) as number[]
    expect(Math.max(...maxima)).toBe(1)
  })

  it('shrinks an idle pool of 3 to minWorkers: 1 after idleTimeout: 200, and grows again when tasks wait', async () => {
    const events = recordWorkers()
    const pool = openPool({
      executor: kind.executor('tasks.worker.mjs', { idleTimeout: 200, minWorkers: 1, prefetch: 0 }),
      concurrency: 3,
      observers: [events.observer],
    })
    await pool.ready()
    expect(pool.stats().workers.total).toBe(3)
    await vi.waitFor(() => expect(pool.stats().workers.total).toBe(1), { timeout: 5000, interval: 20 })
    expect(events.exited.map((e) => e.reason)).toEqual(['retired', 'retired'])
    // Stays at its minimum.
    expect(pool.stats().targetWorkers).toBe(1)
    const startedBefore = events.started.length
    // Tasks queued behind the one worker: the pool starts more, up to its concurrency.
    const slow = Array.from({ length: 6 }, () => pool.run(100, { name: 'sleep' }))
    await vi.waitFor(() => expect(pool.stats().workers.total).toBe(3), { timeout: 5000, interval: 10 })
    await expect(Promise.all(slow)).resolves.toEqual(Array(6).fill(100))
    expect(events.started.length).toBeGreaterThan(startedBefore)
  })
})
