import { describe, expect, it } from 'vitest'
import { roundRobin } from '../src/index.js'
import { clockPool, countBy, oneByOne } from './support.js'

describe('roundRobin()', () => {
  it('takes turns by worker id in an under-loaded pool, where the pool alone would keep one worker busy', async () => {
    const { pool, clock, placements } = clockPool(roundRobin(), { concurrency: 3 })
    await oneByOne(pool, clock, [[5], [5], [5], [5], [5], [5], [5]])
    expect(placements.map((p) => p.worker)).toEqual([1, 2, 3, 1, 2, 3, 1])
    await pool.close()

    const alone = clockPool(undefined, { concurrency: 3 })
    await oneByOne(alone.pool, alone.clock, [[5], [5], [5], [5]])
    expect(new Set(alone.placements.map((p) => p.worker)).size).toBe(1)
    await alone.pool.close()
  })

  it('spreads a burst evenly over workers that hold several tasks each', async () => {
    const { pool, clock, placements } = clockPool(roundRobin(), { concurrency: 3, tasksPerWorker: 10 })
    const all = Promise.all(Array.from({ length: 30 }, () => pool.run(10)))
    await clock.advance(10)
    await all
    expect(placements.slice(0, 6).map((p) => p.worker)).toEqual([1, 2, 3, 1, 2, 3])
    expect([...countBy(placements.map((p) => p.worker))].sort()).toEqual([
      [1, 10],
      [2, 10],
      [3, 10],
    ])
    await pool.close()
  })

  it('skips a worker without room for that turn, and takes the next one after the last chosen', async () => {
    const { pool, clock, placements } = clockPool(roundRobin(), { concurrency: 3 })
    // Worker 1 takes a long task; the short ones go round the other two until it is free.
    const long = pool.run(100)
    await clock.flush()
    await oneByOne(pool, clock, [[10], [10], [10]])
    await clock.advance(100)
    await long
    await oneByOne(pool, clock, [[10], [10]])
    expect(placements.map((p) => p.worker)).toEqual([1, 2, 3, 2, 3, 1])
    await pool.close()
  })

  it('brings a worker that joins later into the cycle by its id', async () => {
    const { pool, clock, placements } = clockPool(roundRobin(), { concurrency: 2 })
    await oneByOne(pool, clock, [[1], [1], [1]])
    pool.resize(3)
    await oneByOne(pool, clock, [[1], [1], [1], [1]])
    expect(placements.map((p) => p.worker)).toEqual([1, 2, 1, 2, 3, 1, 2])
    await pool.close()
  })
})
