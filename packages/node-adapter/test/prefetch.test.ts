import { describe, expect, it } from 'vitest'
import { kinds, openPool } from './support.js'

const capacities = (pool: { stats(): { perWorker: readonly { capacity: number }[] } }): number[] => pool.stats().perWorker.map((w) => w.capacity)

describe.each(kinds)('the prefetch window of $name pools', (kind) => {
  it('starts with one task sent ahead, then opens to `prefetch` once short tasks come back', async () => {
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs', { prefetch: 8 }), concurrency: 2 })
    await pool.ready()
    expect(capacities(pool)).toEqual([2, 2])
    await Promise.all(Array.from({ length: 400 }, (_, i) => pool.run(i, { name: 'echo' })))
    // An echo takes microseconds: far more than `prefetch` of them fit in 1 ms.
    expect(capacities(pool)).toEqual([9, 9])
  })

  it('sends fewer ahead when tasks are long: about prefetchMs of work, at least one', async () => {
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs', { prefetch: 8, prefetchMs: 1 }), concurrency: 1 })
    await Promise.all(Array.from({ length: 200 }, (_, i) => pool.run(i, { name: 'echo' })))
    expect(capacities(pool)).toEqual([9])
    // Each `busy` task computes for 5 ms in the worker: 1 ms of work is less than one task.
    await Promise.all(Array.from({ length: 12 }, () => pool.run(5, { name: 'busy' })))
    expect(capacities(pool)).toEqual([2])
    // While the window is 1 ahead, no more than two tasks are in the worker at once.
    const running = Array.from({ length: 6 }, () => pool.run(5, { name: 'busy' }))
    expect(pool.stats().running).toBe(2)
    await Promise.all(running)
  })

  it('keeps the full `prefetch` ahead from the start with prefetchMs: Infinity', async () => {
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs', { prefetch: 5, prefetchMs: Infinity }), concurrency: 1 })
    await pool.ready()
    expect(capacities(pool)).toEqual([6])
    await Promise.all(Array.from({ length: 6 }, () => pool.run(5, { name: 'busy' })))
    expect(capacities(pool)).toEqual([6])
  })

  it('sends nothing ahead with prefetch: 0, however short the tasks', async () => {
    const pool = openPool({ executor: kind.executor('tasks.worker.mjs', { prefetch: 0 }), concurrency: 1 })
    await Promise.all(Array.from({ length: 100 }, (_, i) => pool.run(i, { name: 'echo' })))
    expect(capacities(pool)).toEqual([1])
    const running = [1, 2, 3].map((i) => pool.run(i, { name: 'echo' }))
    expect(pool.stats().running).toBe(1)
    await expect(Promise.all(running)).resolves.toEqual([1, 2, 3])
  })
})
