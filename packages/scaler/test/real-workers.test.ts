/**
 * idleScaler on real worker threads: the one test here that runs in real time
 * (threads cannot run on a virtual clock). It waits on worker events with a
 * deadline, never on fixed sleeps.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createPool } from '@poolkit/core'
import type { Pool, PoolObserver, WorkerExitReason } from '@poolkit/core'
import { threads } from '@poolkit/node-adapter'
import { idleScaler } from '../src/index.js'

/**
 * Vitest runs with the `@poolkit/source` condition and workers inherit the
 * parent's execArgv; a real worker runs plain Node and loads the built
 * packages, so the condition is dropped for it.
 */
const execArgv = process.execArgv.filter((arg, i, all) => !arg.includes('@poolkit/source') && !((arg === '--conditions' || arg === '-C') && all[i + 1]?.includes('@poolkit/source')))
const cpuWorker = new URL('./fixtures/cpu.worker.mjs', import.meta.url)

/** Resolves when `ok` holds after a worker event; rejects after `ms`. */
function watchWorkers(): { observer: PoolObserver; live: () => number; exits: WorkerExitReason[]; until(ok: () => boolean, ms: number, what: string): Promise<void> } {
  let live = 0
  const exits: WorkerExitReason[] = []
  const waiters = new Set<() => void>()
  const changed = (): void => waiters.forEach((check) => check())
  return {
    observer: {
      onWorkerStarted: () => (live++, changed()),
      onWorkerExited: (_pool, _worker, reason) => (live--, exits.push(reason), changed()),
    },
    live: () => live,
    exits,
    until(ok, ms, what) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => (waiters.delete(check), reject(new Error(`timed out after ${ms} ms waiting for ${what}`))), ms)
        const check = (): void => {
          if (!ok()) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve()
        }
        waiters.add(check)
        check()
      })
    },
  }
}

let pool: Pool<number, number> | undefined
afterEach(async () => {
  await pool?.destroy()
  pool = undefined
})

describe('idleScaler on real worker threads', () => {
  it('grows a min: 1, max: 2 pool to 2 workers on a burst of CPU tasks and shrinks it back to 1 after idleTimeout', async () => {
    const workers = watchWorkers()
    pool = createPool<number, number>({
      // No prefetch: tasks wait in the pool's queue, where the scaler sees them.
      executor: threads(cpuWorker, { execArgv, prefetch: 0 }),
      scaler: idleScaler({ min: 1, max: 2, idleTimeout: 200 }),
      observers: [workers.observer],
    })
    await pool.ready()
    expect(pool.stats().workers.total).toBe(1)

    const burst = Array.from({ length: 8 }, () => pool!.run(50, { name: 'spin' }))
    await workers.until(() => workers.live() === 2, 5000, 'a second worker')
    expect(pool.stats().targetWorkers).toBe(2)
    const threadIds = await Promise.all(burst)
    // Both threads ran tasks, and never more than 2 were started.
    expect(new Set(threadIds).size).toBe(2)
    expect(workers.exits).toEqual([])

    const idleAt = performance.now()
    await workers.until(() => workers.live() === 1, 5000, 'the pool to shrink back to 1 worker')
    // Not before the idle timeout (less a tick of slack for when idleness began), and as a retirement.
    expect(performance.now() - idleAt).toBeGreaterThanOrEqual(100)
    expect(workers.exits).toEqual(['retired'])
    expect(pool.stats().workers.total).toBe(1)
    expect(pool.stats().targetWorkers).toBe(1)
  }, 15_000)
})
