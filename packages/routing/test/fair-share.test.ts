import { describe, expect, it } from 'vitest'
import { seededRandom } from '@poolkit/core/testing'
import type { WorkerSelector } from '@poolkit/core'
import { fairShare, roundRobin } from '../src/index.js'
import { clockPool, oneByOne } from './support.js'

describe('fairShare()', () => {
  it('sends tasks to the worker that has run the least so far, not the one that ran the fewest tasks', async () => {
    const { pool, clock, placements } = clockPool(fairShare(), { concurrency: 2 })
    // One long task on worker 1, then short ones: worker 2 takes them until it has run as long.
    await oneByOne(pool, clock, [[100], ...Array.from({ length: 10 }, () => [10] as const), [10], [10]])
    expect(placements.map((p) => p.worker)).toEqual([1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 2])
    await pool.close()
  })

  it('balances run time with uneven tasks better than round robin', async () => {
    const spread = async (selector: WorkerSelector): Promise<number> => {
      const random = seededRandom(3)
      const { pool, clock, workers } = clockPool(selector, { concurrency: 3 })
      // Tasks of 1 to 100 ms, heavy-tailed (mean 20 ms), arriving every 12 ms: three workers have room to spare.
      const runs: Promise<number>[] = []
      for (let i = 0; i < 300; i++) {
        runs.push(pool.run(Math.ceil(100 * random() ** 4)))
        await clock.advance(12)
      }
      await clock.runAll()
      await Promise.all(runs)
      await pool.close()
      const busy = [...workers.values()].map((w) => w.busyMs)
      return Math.max(...busy) - Math.min(...busy)
    }
    const fair = await spread(fairShare())
    const rr = await spread(roundRobin())
    // Fair share ends within one task of even (a task runs at most 100 ms); round robin is off by far more.
    expect(fair).toBeLessThanOrEqual(100)
    expect(rr).toBeGreaterThan(fair * 2)
  })

  it('starts a worker that joins later level with the least loaded, so it does not take every task', async () => {
    const { pool, clock, placements } = clockPool(fairShare(), { concurrency: 2 })
    await oneByOne(pool, clock, [[50], [50], [50], [50]])
    pool.resize(3)
    await oneByOne(pool, clock, [[50], [50], [50], [50], [50], [50]])
    // Level at 100 ms each: the newcomer takes its turn instead of the next two tasks.
    expect(placements.slice(4).map((p) => p.worker)).toEqual([1, 2, 3, 1, 2, 3])
    await pool.close()
  })

  it('forgets a worker that exits and levels its replacement with the live ones', async () => {
    const { pool, clock, placements } = clockPool(fairShare(), { concurrency: 2 })
    await oneByOne(pool, clock, [[40], [40], [40]])
    // Worker 1 ran 80 ms, worker 2 40 ms; shrinking retires the longest idle (worker 2), and worker 3 replaces it at 80 ms.
    pool.resize(1)
    pool.resize(2)
    await oneByOne(pool, clock, [[40], [40], [40], [40]])
    expect(placements.slice(3).map((p) => p.worker)).toEqual([1, 3, 1, 3])
    await pool.close()
  })
})
