import { describe, expect, it } from 'vitest'
import { createVirtualClock } from '@poolkit/core'
import { leastBusy, leastEventLoopUtilization } from '../src/index.js'
import { clockPool, oneByOne, sleepers } from './support.js'

describe('leastEventLoopUtilization()', () => {
  it('takes the candidate with the lowest event-loop utilization, read live', async () => {
    const clock = createVirtualClock()
    const elu = new Map([
      [1, 0.9],
      [2, 0.2],
      [3, 0.5],
    ])
    const { pool, placements } = clockPool(leastEventLoopUtilization(), { concurrency: 3, clock, executor: sleepers(clock, 1, (id) => ({ eventLoopUtilization: elu.get(id)! })) })
    await oneByOne(pool, clock, [[5], [5]])
    elu.set(2, 0.95)
    await oneByOne(pool, clock, [[5]])
    expect(placements.map((p) => p.worker)).toEqual([2, 2, 3])
    await pool.close()
  })

  it('counts a worker that reports no utilization as 0, ties in leastBusy order', async () => {
    const clock = createVirtualClock()
    // Worker 2 has not measured one yet; workers 1 and 3 report 0.3.
    const { pool, placements } = clockPool(leastEventLoopUtilization(), {
      concurrency: 3,
      clock,
      executor: sleepers(clock, 2, (id) => (id === 2 ? {} : { eventLoopUtilization: 0.3 })),
    })
    const runs = [pool.run(10), pool.run(10), pool.run(10)]
    await clock.flush()
    // 2 (0), 2 again (0, still room), then worker 1 (0.3, ties with 3 in leastBusy order).
    expect(placements.map((p) => p.worker)).toEqual([2, 2, 1])
    await clock.advance(10)
    await Promise.all(runs)
    await pool.close()
  })

  it('is leastBusy() on an executor that reports no utilization', async () => {
    const order = async (selector: ReturnType<typeof leastBusy>): Promise<number[]> => {
      const { pool, clock, placements } = clockPool(selector, { concurrency: 3, tasksPerWorker: 2 })
      const runs = [30, 10, 20, 40, 10, 5, 25].map((ms) => pool.run(ms))
      await clock.runAll()
      await Promise.all(runs)
      await pool.close()
      return placements.map((p) => p.worker)
    }
    expect(await order(leastEventLoopUtilization())).toEqual(await order(leastBusy()))
  })
})
