import { describe, expect, it } from 'vitest'
import { chooseRunner, DEFAULT_COSTS, fullestShare, poolWorthBytes, usableWorkers, type RunnerCosts } from '../src/runner.js'
import type { Sized } from '../src/schedule.js'

// Round figures, so the expected estimates can be worked out by hand: 1,000 bytes a ms.
const costs: RunnerCosts = { bytesPerMs: 1_000, poolStartMs: 500, contention: 1.5 }
const files = (...sizes: number[]): Sized[] => sizes.map((size, i) => ({ path: `f${i}`, size }))
const many = (n: number, size: number): Sized[] => files(...new Array<number>(n).fill(size))

describe('fullestShare', () => {
  it('is the bytes of the fullest worker when the files are dealt largest first to the emptiest', () => {
    // 5 | 4, 3 | 3 to the 5, the last 3 to the 7: 8 and 10 (greedy, not the best split: 9 and 9).
    expect(fullestShare(files(5, 4, 3, 3, 3), 2)).toBe(10)
    expect(fullestShare(files(10, 1, 1), 3)).toBe(10)
    expect(fullestShare(many(8, 100), 4)).toBe(200)
  })
})

describe('chooseRunner', () => {
  it('runs a small job on the main thread: the pool would not win it', () => {
    // 1,000 ms alone; on 2 workers 500 + 1.5 * 500 = 1,250 ms.
    const choice = chooseRunner(many(100, 10_000), 2, costs)
    expect(choice).toMatchObject({ where: 'main', workers: 0, mainMs: 1_000, poolMs: 1_250 })
  })

  it('runs a large job on the pool', () => {
    // 10,000 ms alone; on 2 workers 500 + 1.5 * 5,000 = 8,000 ms.
    const choice = chooseRunner(many(1_000, 10_000), 2, costs)
    expect(choice).toMatchObject({ where: 'pool', workers: 2, mainMs: 10_000, poolMs: 8_000 })
  })

  it('runs a job dominated by one large file on the main thread, however large the job', () => {
    // The large file alone on a worker takes 1.5 * 9,000 ms: more than the whole job on one thread.
    const choice = chooseRunner(files(9_000_000, ...new Array<number>(100).fill(10_000)), 2, costs)
    expect(choice.where).toBe('main')
    expect(choice.poolMs).toBe(500 + 1.5 * 9_000)
  })

  it('takes no more workers than help: four large files on a machine of eight', () => {
    const choice = chooseRunner(files(4_000_000, 4_000_000, 4_000_000, 4_000_000), 8, costs)
    expect(choice).toMatchObject({ where: 'pool', workers: 4 })
  })

  it('never picks a pool of one worker', () => {
    expect(chooseRunner(many(1_000, 10_000), 1, costs)).toMatchObject({ where: 'main', workers: 0 })
  })

  it('uses the figures measured on the 2-core machine by default', () => {
    expect(chooseRunner(many(10, 1_000), 2)).toEqual(chooseRunner(many(10, 1_000), 2, DEFAULT_COSTS))
  })
})

describe('poolWorthBytes', () => {
  it('is where an even job starts to run faster on the pool', () => {
    // 500 ms of start-up pays for itself once 1 - 1.5 / 2 of the work is more than it: 2,000 ms of work.
    expect(poolWorthBytes(2, costs)).toBe(2_000_000)
    const justAbove = many(2_100, 1_000)
    const justBelow = many(1_900, 1_000)
    expect(chooseRunner(justAbove, 2, costs).where).toBe('pool')
    expect(chooseRunner(justBelow, 2, costs).where).toBe('main')
  })

  it('is never for one worker, or where contention eats the whole gain', () => {
    expect(poolWorthBytes(1, costs)).toBe(Infinity)
    expect(poolWorthBytes(2, { ...costs, contention: 2 })).toBe(Infinity)
  })
})

describe('usableWorkers', () => {
  it('keeps every worker unless the load average is at least twice the cores', () => {
    expect(usableWorkers(2, 2, 0.1)).toBe(2)
    expect(usableWorkers(2, 2, 3.9)).toBe(2)
    expect(usableWorkers(2, 2, 4)).toBe(1)
    expect(usableWorkers(8, 16, 20)).toBe(8)
    expect(usableWorkers(16, 16, 40)).toBe(1)
  })

  it('with one usable worker, even a large job runs on the main thread', () => {
    expect(chooseRunner(many(1_000, 10_000), usableWorkers(2, 2, 6), costs).where).toBe('main')
  })
})
