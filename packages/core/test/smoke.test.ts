import { describe, expect, it } from 'vitest'
import { createPool, createVirtualClock, Priority, TaskTimeoutError } from '../src/index.js'

describe('smoke', () => {
  it('runs tasks and keeps priority order', async () => {
    const order: number[] = []
    const pool = createPool({ handler: async (x: number) => { order.push(x); return x * 2 }, concurrency: 1, paused: true })
    const ps = [pool.run(1, { priority: Priority.Low }), pool.run(2, { priority: Priority.High }), pool.run(3)]
    pool.resume()
    expect(await Promise.all(ps)).toEqual([2, 4, 6])
    expect(order).toEqual([2, 3, 1])
    const report = await pool.close()
    expect(report.settled).toBe(0)
  })
  it('times out on the virtual clock', async () => {
    const clock = createVirtualClock()
    const pool = createPool({ handler: () => new Promise(() => {}), clock, taskTimeout: 100 })
    const p = pool.run(1)
    const caught = p.catch((e) => e)
    await clock.advance(100)
    expect(await caught).toBeInstanceOf(TaskTimeoutError)
    expect(pool.stats().counters.timedOut).toBe(1)
  })
  it('map and runAll', async () => {
    const pool = createPool({ handler: async (x: number) => x + 1, concurrency: 4 })
    const out: number[] = []
    for await (const r of pool.map([1, 2, 3, 4, 5])) if (r.ok) out.push(r.value)
    expect(out).toEqual([2, 3, 4, 5, 6])
    expect(await pool.runAll(new Set([1, 2, 3]))).toEqual([2, 3, 4])
    await pool.close()
  })
})
