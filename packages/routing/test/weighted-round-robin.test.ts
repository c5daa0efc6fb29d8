import { describe, expect, it } from 'vitest'
import { weightedRoundRobin } from '../src/index.js'
import { clockPool, countBy, oneByOne } from './support.js'

/** Submits `count` tasks of `ms` at once and runs them all. */
async function burst(setup: ReturnType<typeof clockPool>, count: number, ms = 10): Promise<void> {
  const all = Promise.all(Array.from({ length: count }, () => setup.pool.run(ms)))
  await setup.clock.runAll()
  await all
}

describe('weightedRoundRobin()', () => {
  it("interleaves by weight as nginx's smooth weighted round robin does (5, 1, 1: a a b a c a a)", async () => {
    const setup = clockPool(weightedRoundRobin({ 1: 5, 2: 1, 3: 1 }), { concurrency: 3, tasksPerWorker: 10 })
    await burst(setup, 14)
    expect(setup.placements.map((p) => p.worker)).toEqual([1, 1, 2, 1, 3, 1, 1, 1, 1, 2, 1, 3, 1, 1])
    await setup.pool.close()
  })

  it('gives each worker its weighted share of the tasks where several have room', async () => {
    const setup = clockPool(weightedRoundRobin({ 1: 3, 2: 1 }), { concurrency: 2, tasksPerWorker: 50 })
    for (let i = 0; i < 10; i++) await burst(setup, 40)
    expect(countBy(setup.placements.map((p) => p.worker))).toEqual(
      new Map([
        [1, 300],
        [2, 100],
      ]),
    )
    await setup.pool.close()
  })

  it('takes weights from a function of the worker, workers that join later included', async () => {
    const setup = clockPool(
      weightedRoundRobin((worker) => worker.id),
      { concurrency: 2, tasksPerWorker: 100 },
    )
    await burst(setup, 30)
    setup.pool.resize(3)
    setup.placements.length = 0
    await burst(setup, 60)
    expect(countBy(setup.placements.map((p) => p.worker))).toEqual(
      new Map([
        [1, 10],
        [2, 20],
        [3, 30],
      ]),
    )
    await setup.pool.close()
  })

  it('weighs 1 a worker not listed, and an under-loaded pool still follows the weights', async () => {
    const setup = clockPool(weightedRoundRobin({ 2: 2 }), { concurrency: 2 })
    await oneByOne(
      setup.pool,
      setup.clock,
      Array.from({ length: 6 }, () => [5] as const),
    )
    expect(setup.placements.map((p) => p.worker)).toEqual([2, 1, 2, 2, 1, 2])
    await setup.pool.close()
  })

  it("reports a weight function's bad answer on 'error' and weighs that worker 1", async () => {
    const setup = clockPool(
      weightedRoundRobin((worker) => (worker.id === 3 ? -1 : 2)),
      { concurrency: 2, tasksPerWorker: 10 },
    )
    // createPool() started workers 1 and 2 before anyone listened; a resize starts worker 3.
    setup.pool.resize(3)
    await burst(setup, 5)
    expect(setup.errors.map(String)).toEqual(['TypeError: weights(worker 3) must return a positive finite number, got -1; the worker weighs 1'])
    expect(countBy(setup.placements.map((p) => p.worker))).toEqual(
      new Map([
        [1, 2],
        [2, 2],
        [3, 1],
      ]),
    )
    await setup.pool.close()

    const thrown = clockPool(
      weightedRoundRobin(() => {
        throw new Error('no weight')
      }),
      { concurrency: 1, tasksPerWorker: 10 },
    )
    thrown.pool.resize(2)
    await burst(thrown, 4)
    expect(thrown.errors).toHaveLength(1)
    expect(String(thrown.errors[0])).toBe('TypeError: weights(worker 2) threw; the worker weighs 1')
    expect(countBy(thrown.placements.map((p) => p.worker))).toEqual(
      new Map([
        [1, 2],
        [2, 2],
      ]),
    )
    await thrown.pool.close()
  })

  it('checks the weights when it is made, naming the worker and the value', () => {
    expect(() => weightedRoundRobin({ 1: 2, 2: 0 })).toThrow(new TypeError('weights[2] must be a positive finite number, got 0'))
    expect(() => weightedRoundRobin({ 1: Infinity })).toThrow(new TypeError('weights[1] must be a positive finite number, got Infinity'))
    expect(() => weightedRoundRobin({ 1: '2' as unknown as number })).toThrow(new TypeError('weights[1] must be a positive finite number, got "2"'))
    expect(() => weightedRoundRobin({ a: 1 } as unknown as Record<number, number>)).toThrow(new TypeError('weights must be keyed by worker id (a positive integer), got the key "a"'))
    expect(() => weightedRoundRobin({ 0: 1 })).toThrow(/got the key "0"/)
    expect(() => weightedRoundRobin([1, 2] as unknown as Record<number, number>)).toThrow(new TypeError('weights must be an object of weights by worker id or a function of the worker, got an array'))
    expect(() => weightedRoundRobin(undefined as never)).toThrow(/got undefined/)
  })
})
