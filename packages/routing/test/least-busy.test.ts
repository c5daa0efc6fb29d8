import { describe, expect, it } from 'vitest'
import { seededRandom } from '@poolkit/core/testing'
import { leastBusy } from '../src/index.js'
import { clockPool } from './support.js'

describe('leastBusy()', () => {
  it('takes the candidate running the fewest tasks, ties to the lowest id', async () => {
    const { pool, clock, placements } = clockPool(leastBusy(), { concurrency: 3, tasksPerWorker: 4 })
    const runs = [50, 50, 50, 10, 50].map((ms) => pool.run(ms))
    await clock.flush()
    expect(placements.map((p) => p.worker)).toEqual([1, 2, 3, 1, 2])
    // Worker 1's short task ends: it runs 1 task, workers 2 and 3 run 2 and 1.
    await clock.advance(10)
    void pool.run(5)
    await clock.flush()
    expect(placements.at(-1)!.worker).toBe(1)
    await clock.advance(50)
    await Promise.all(runs)
    await pool.close()
  })

  it('places a random workload as the pool does with no selector, on workers that hold several tasks each', async () => {
    const placementsOf = async (withSelector: boolean): Promise<number[]> => {
      const random = seededRandom(7)
      const { pool, clock, placements } = clockPool(withSelector ? leastBusy() : undefined, { concurrency: 4, tasksPerWorker: 3 })
      const runs: Promise<number>[] = []
      for (let step = 0; step < 60; step++) {
        for (let i = Math.floor(random() * 4); i > 0; i--) runs.push(pool.run(1 + Math.floor(random() * 30)))
        await clock.advance(5)
      }
      await clock.runAll()
      await Promise.all(runs)
      await pool.close()
      return placements.map((p) => p.worker)
    }
    const own = await placementsOf(true)
    expect(own.length).toBeGreaterThan(50)
    expect(own).toEqual(await placementsOf(false))
  })
})
