/**
 * Selectors on real worker threads (`threads()` from @poolkit/node-adapter): the
 * one test file here that runs in real time. Each worker keeps a per-key cache
 * of 3 entries; with 5 keys over 2 workers, affinity keeps each key on one
 * thread (3 and 2 keys, every lookup after the first a hit), where round robin
 * sends each key to both.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { combineExecutors, createPool, NoCapableWorkerError } from '@poolkit/core'
import type { Pool, WorkerSelector } from '@poolkit/core'
import { processes, threads } from '@poolkit/node-adapter'
import { affinity, capabilities, fairShare, leastBusy, leastEventLoopUtilization, roundRobin, weightedRoundRobin } from '../src/index.js'

/**
 * Vitest runs with the `@poolkit/source` condition and workers inherit the
 * parent's execArgv; a real worker runs plain Node and loads the built
 * packages, so the condition is dropped for it.
 */
const execArgv = process.execArgv.filter((arg, i, all) => !arg.includes('@poolkit/source') && !((arg === '--conditions' || arg === '-C') && all[i + 1]?.includes('@poolkit/source')))
const cacheWorker = new URL('./fixtures/cache.worker.mjs', import.meta.url)
const KEYS = ['a', 'b', 'c', 'd', 'e']

interface Lookup {
  readonly thread: number
  readonly hit: boolean
}

let pool: Pool<string, Lookup> | undefined
afterEach(async () => {
  await pool?.close()
  pool = undefined
})

function open(selector: WorkerSelector): Pool<string, Lookup> {
  pool = createPool<string, Lookup>({ executor: threads<string, Lookup>(cacheWorker, { execArgv }), concurrency: 2, selector })
  return pool
}

/** Each key 8 times, in turns, one task at a time; the threads each key ran on, and the hits. */
async function lookups(p: Pool<string, Lookup>): Promise<{ threadsByKey: Map<string, Set<number>>; hits: number }> {
  await p.ready()
  const threadsByKey = new Map(KEYS.map((k) => [k, new Set<number>()]))
  let hits = 0
  for (let round = 0; round < 8; round++) {
    for (const key of KEYS) {
      const { thread, hit } = await p.run(key, { key, name: 'lookup' })
      threadsByKey.get(key)!.add(thread)
      if (hit) hits++
    }
  }
  return { threadsByKey, hits }
}

describe('selectors on worker threads', () => {
  it('affinity() keeps each key on one thread, so its cache hits; roundRobin() spreads the keys over both', async () => {
    const own = await lookups(open(affinity()))
    expect([...own.threadsByKey.values()].map((t) => t.size)).toEqual([1, 1, 1, 1, 1])
    expect(new Set([...own.threadsByKey.values()].map((t) => [...t][0])).size).toBe(2)
    // Only each key's first lookup misses.
    expect(own.hits).toBe(KEYS.length * 8 - KEYS.length)
    await pool!.close()

    const rr = await lookups(open(roundRobin()))
    expect([...rr.threadsByKey.values()].every((t) => t.size === 2)).toBe(true)
    expect(rr.hits).toBeLessThan(own.hits / 2)
  })

  it('every selector runs a burst of tasks on threads to the end', async () => {
    const selectors = { roundRobin, leastBusy, leastEventLoopUtilization, fairShare, weightedRoundRobin: () => weightedRoundRobin({ 1: 2 }), affinity }
    for (const [name, make] of Object.entries(selectors)) {
      const p = open(make())
      await p.ready()
      const errors: unknown[] = []
      p.on('error', (e) => errors.push(e))
      const results = await Promise.all(Array.from({ length: 2_000 }, (_, i) => p.run(KEYS[i % KEYS.length]!, { key: KEYS[i % KEYS.length]!, name: 'lookup' })))
      expect(results).toHaveLength(2_000)
      expect(new Set(results.map((r) => r.thread)).size, name).toBe(2)
      expect(errors).toEqual([])
      await p.close()
    }
  })

  it('capabilities() sends tasks that require a capability only to the threads whose setup declared it (workerData per part of combineExecutors), and fails those none has', async () => {
    const device = new URL('./fixtures/device.worker.mjs', import.meta.url)
    type Where = { thread: number; capabilities: string[] }
    const p = createPool<null, Where>({
      executor: combineExecutors([
        { executor: threads<null, Where>(device, { execArgv, workerData: { capabilities: ['gpu'] } }), workers: 1 },
        { executor: threads<null, Where>(device, { execArgv }), workers: 2 },
      ]),
      selector: capabilities(),
    })
    try {
      await p.ready()
      const gpu = await Promise.all(Array.from({ length: 20 }, () => p.run(null, { requires: ['gpu'] })))
      expect(new Set(gpu.map((r) => r.thread)).size).toBe(1)
      expect(gpu[0]!.capabilities).toEqual(['gpu'])
      const any = await Promise.all(Array.from({ length: 300 }, () => p.run(null)))
      expect(new Set(any.map((r) => r.thread)).size).toBe(3)
      await expect(p.run(null, { requires: ['tpu'] })).rejects.toBeInstanceOf(NoCapableWorkerError)
    } finally {
      await p.close()
    }
  })

  it('capabilities() routes between kinds of worker in one pool: a child process that declares a capability next to worker threads', async () => {
    const device = new URL('./fixtures/device.worker.mjs', import.meta.url)
    type Where = { thread: number; pid: number; capabilities: string[] }
    const p = createPool<null, Where>({
      executor: combineExecutors([
        { executor: processes<null, Where>(device, { execArgv, workerData: { capabilities: ['isolated'] } }), workers: 1 },
        { executor: threads<null, Where>(device, { execArgv }), workers: 2 },
      ]),
      selector: capabilities(),
    })
    try {
      await p.ready()
      const isolated = await Promise.all(Array.from({ length: 10 }, () => p.run(null, { requires: ['isolated'] })))
      expect(new Set(isolated.map((r) => r.pid))).toEqual(new Set([isolated[0]!.pid]))
      expect(isolated[0]!.pid).not.toBe(process.pid)
      const any = await Promise.all(Array.from({ length: 300 }, () => p.run(null)))
      // Both kinds ran tasks: the child process and this process's threads.
      expect(new Set(any.map((r) => (r.pid === process.pid ? 'thread' : 'process')))).toEqual(new Set(['thread', 'process']))
    } finally {
      await p.close()
    }
  })
})
