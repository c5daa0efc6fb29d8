import { describe, expect, it } from 'vitest'
import type { TaskInfo, WorkerInfo, WorkerSelector } from '@poolkit/core'
import { seededRandom } from '@poolkit/core/testing'
import { affinity, fairShare, leastBusy, roundRobin } from '../src/index.js'
import { clockPool, oneByOne } from './support.js'

const KEYS = ['a', 'b', 'c', 'd']

/** The workers each key's tasks ran on. */
function workersByKey(placements: readonly { key: string | undefined; worker: number }[]): Map<string | undefined, Set<number>> {
  const by = new Map<string | undefined, Set<number>>()
  for (const p of placements) {
    if (!by.has(p.key)) by.set(p.key, new Set())
    by.get(p.key)!.add(p.worker)
  }
  return by
}

/** A fallback that picks as leastBusy() does and records the keys it was asked about. */
function spyFallback(): WorkerSelector & { asked: (string | undefined)[] } {
  const inner = leastBusy()
  const asked: (string | undefined)[] = []
  return { asked, select: (candidates: readonly WorkerInfo[], task: TaskInfo) => (asked.push(task.key), inner.select(candidates, task)) }
}

/** Four keys placed at once (each gets a home), then `count` tasks of random keys one by one. */
async function keyedRun(selector: WorkerSelector, count: number): Promise<ReturnType<typeof clockPool>> {
  const setup = clockPool(selector, { concurrency: 4 })
  const first = KEYS.map((key) => setup.pool.run(5, { key }))
  await setup.clock.advance(5)
  await Promise.all(first)
  const random = seededRandom(11)
  await oneByOne(
    setup.pool,
    setup.clock,
    Array.from({ length: count }, () => [5, KEYS[Math.floor(random() * KEYS.length)]!] as const),
  )
  return setup
}

describe('affinity()', () => {
  it('sends the tasks of one key to one worker, where round robin spreads them', async () => {
    const own = await keyedRun(affinity(), 40)
    const byKey = workersByKey(own.placements)
    expect([...byKey.values()].map((workers) => workers.size)).toEqual([1, 1, 1, 1])
    expect(new Set([...byKey.values()].map((workers) => [...workers][0])).size).toBe(4)
    await own.pool.close()

    const rr = await keyedRun(roundRobin(), 40)
    expect([...workersByKey(rr.placements).values()].every((workers) => workers.size > 1)).toBe(true)
    await rr.pool.close()
  })

  it("moves a key whose home exits to a live worker, where it stays (the others' keys stay put)", async () => {
    const setup = await keyedRun(affinity(), 8)
    const before = new Map([...workersByKey(setup.placements)].map(([key, workers]) => [key, [...workers][0]!]))
    setup.pool.resize(3)
    setup.placements.length = 0
    await oneByOne(
      setup.pool,
      setup.clock,
      [...KEYS, ...KEYS, ...KEYS].map((key) => [5, key] as const),
    )
    const after = workersByKey(setup.placements)
    const moved = KEYS.filter((key) => [...after.get(key)!][0] !== before.get(key))
    expect(moved).toHaveLength(1)
    for (const key of KEYS) expect(after.get(key)!.size).toBe(1)
    const gone = before.get(moved[0]!)!
    expect([...after.get(moved[0]!)!][0]).not.toBe(gone)
    await setup.pool.close()
  })

  it('moves a hot key once its home runs more than maxImbalance tasks over the least loaded candidate', async () => {
    const setup = clockPool(affinity({ maxImbalance: 2 }), { concurrency: 2, tasksPerWorker: 10 })
    const runs = Array.from({ length: 6 }, () => setup.pool.run(100, { key: 'hot' }))
    await setup.clock.flush()
    expect(setup.placements.map((p) => p.worker)).toEqual([1, 1, 1, 2, 2, 2])
    await setup.clock.advance(100)
    await Promise.all(runs)
    await setup.pool.close()
  })

  it('holds a task for its full home while within maxImbalance, and places it there when the home frees up', async () => {
    const setup = clockPool(affinity({ maxImbalance: Infinity }), { concurrency: 2, tasksPerWorker: 2 })
    const runs = Array.from({ length: 4 }, () => setup.pool.run(10, { key: 'k' }))
    await setup.clock.flush()
    expect(setup.placements.map((p) => p.worker)).toEqual([1, 1])
    expect(setup.pool.stats().queued).toBe(2)
    await setup.clock.advance(10)
    expect(setup.placements.map((p) => p.worker)).toEqual([1, 1, 1, 1])
    await setup.clock.advance(10)
    await Promise.all(runs)
    await setup.pool.close()
  })

  it('by default never holds a task back for a busy home while a worker with one task per worker is idle', async () => {
    const setup = clockPool(affinity(), { concurrency: 2 })
    const runs = [setup.pool.run(10, { key: 'k' }), setup.pool.run(10, { key: 'k' })]
    await setup.clock.flush()
    expect(setup.placements.map((p) => p.worker)).toEqual([1, 2])
    await setup.clock.advance(10)
    await Promise.all(runs)
    // The key's home moved to worker 2 with its last task.
    await oneByOne(setup.pool, setup.clock, [[1, 'k']])
    expect(setup.placements.at(-1)!.worker).toBe(2)
    await setup.pool.close()
  })

  it("by default lets a home fill up to its capacity before a key moves (threads' prefetch window)", async () => {
    const setup = clockPool(affinity(), { concurrency: 2, tasksPerWorker: 4 })
    const runs = Array.from({ length: 5 }, () => setup.pool.run(10, { key: 'k' }))
    await setup.clock.flush()
    expect(setup.placements.map((p) => p.worker)).toEqual([1, 1, 1, 1, 2])
    await setup.clock.advance(10)
    await Promise.all(runs)
    await setup.pool.close()
  })

  it('by default spreads new keys over idle workers, where leastBusy() would home them all on the lowest id', async () => {
    const tasks = [...KEYS, ...KEYS].map((key) => [5, key] as const)
    const own = clockPool(affinity(), { concurrency: 4 })
    await oneByOne(own.pool, own.clock, tasks)
    expect(own.placements.map((p) => p.worker)).toEqual([1, 2, 3, 4, 1, 2, 3, 4])
    await own.pool.close()
    const plain = clockPool(affinity({ fallback: leastBusy() }), { concurrency: 4 })
    await oneByOne(plain.pool, plain.clock, tasks)
    expect(new Set(plain.placements.map((p) => p.worker))).toEqual(new Set([1]))
    await plain.pool.close()
  })

  it('sends tasks without a key, and keys without a home, to the fallback', async () => {
    const fallback = spyFallback()
    const setup = clockPool(affinity({ fallback }), { concurrency: 2 })
    await oneByOne(setup.pool, setup.clock, [[1, 'a'], [1], [1, 'a'], [1, 'b'], [1]])
    expect(fallback.asked).toEqual(['a', undefined, 'b', undefined])
    await setup.pool.close()
  })

  it('remembers at most maxKeys keys, forgetting the oldest in O(1), and keeps a key in use', async () => {
    const fallback = spyFallback()
    const setup = clockPool(affinity({ fallback, maxKeys: 4 }), { concurrency: 2 })
    // a, b, c, d; a again (in the older half: it moves to the young end); e evicts the oldest, b; a hits; b comes back through the fallback.
    await oneByOne(setup.pool, setup.clock, [
      [1, 'a'],
      [1, 'b'],
      [1, 'c'],
      [1, 'd'],
      [1, 'a'],
      [1, 'e'],
      [1, 'a'],
      [1, 'b'],
    ])
    expect(fallback.asked).toEqual(['a', 'b', 'c', 'd', 'e', 'b'])
    await setup.pool.close()
  })

  it('keeps memory bounded under many distinct keys', async () => {
    const fallback = spyFallback()
    const setup = clockPool(affinity({ fallback, maxKeys: 100 }), { concurrency: 4, tasksPerWorker: 8 })
    const runs = Array.from({ length: 20_000 }, (_, i) => setup.pool.run(1, { key: `key-${i}` }))
    await setup.clock.runAll(100_000)
    await Promise.all(runs)
    // Key 0 was forgotten long ago; key 19,999 is remembered.
    fallback.asked.length = 0
    await oneByOne(setup.pool, setup.clock, [
      [1, 'key-0'],
      [1, 'key-19999'],
    ])
    expect(fallback.asked).toEqual(['key-0'])
    await setup.pool.close()
  })

  it('groups tasks by the key function it is given', async () => {
    const setup = clockPool(affinity({ key: (task) => task.key?.split(':')[0] }), { concurrency: 3 })
    const first = [setup.pool.run(5, { key: 'x:1' }), setup.pool.run(5, { key: 'y:1' }), setup.pool.run(5, { key: 'z:1' })]
    await setup.clock.advance(5)
    await Promise.all(first)
    await oneByOne(setup.pool, setup.clock, [
      [5, 'x:2'],
      [5, 'y:2'],
      [5, 'z:2'],
      [5, 'x:3'],
    ])
    const worker = (key: string): number => setup.placements.find((p) => p.key === key)!.worker
    expect([worker('x:2'), worker('y:2'), worker('z:2'), worker('x:3')]).toEqual([worker('x:1'), worker('y:1'), worker('z:1'), worker('x:1')])
    await setup.pool.close()
  })

  it("forwards the fallback's hooks, and has onFinished only where the fallback has it", async () => {
    expect(affinity().onFinished).toBeUndefined()
    expect(affinity({ fallback: fairShare() }).onFinished).toBeTypeOf('function')
    const heard: string[] = []
    const fallback: WorkerSelector = {
      select: (candidates) => candidates[0],
      onWorkerStarted: (worker) => void heard.push(`started:${worker.id}`),
      onWorkerExited: (worker) => void heard.push(`exited:${worker.id}`),
      onFinished: (task, worker, runMs, ok) => void heard.push(`finished:${task.id}:${worker.id}:${runMs}:${ok}`),
    }
    const setup = clockPool(affinity({ fallback }), { concurrency: 1 })
    await oneByOne(setup.pool, setup.clock, [[7, 'a']])
    await setup.pool.close()
    expect(heard).toEqual(['started:1', 'finished:1:1:7:true', 'exited:1'])
  })

  it('checks its options when it is made, naming the option and the value', () => {
    expect(() => affinity(7 as never)).toThrow(new TypeError('options must be an object, got 7'))
    expect(() => affinity({ key: 'key' as never })).toThrow(new TypeError('options.key must be a function, got "key"'))
    expect(() => affinity({ fallback: {} as never })).toThrow(new TypeError('options.fallback.select must be a function, got undefined'))
    expect(() => affinity({ maxImbalance: -1 })).toThrow(new TypeError('options.maxImbalance must be a non-negative integer or Infinity, got -1'))
    expect(() => affinity({ maxImbalance: 1.5 })).toThrow(/options\.maxImbalance .* got 1\.5/)
    expect(() => affinity({ maxKeys: 0 })).toThrow(new TypeError('options.maxKeys must be a positive integer, got 0'))
    expect(() => affinity({ maxKeys: Infinity })).toThrow(/options\.maxKeys must be a positive integer, got Infinity/)
  })
})
