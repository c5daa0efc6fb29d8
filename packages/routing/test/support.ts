// Helpers shared by the routing tests: pools on the virtual clock whose tasks
// sleep their input (ms), with every placement recorded by an observer.
import { createPool, createVirtualClock, inProcess } from '@poolkit/core'
import type { Executor, Pool, PoolObserver, VirtualClock, WorkerHandle, WorkerInfo, WorkerSelector, WorkerTask } from '@poolkit/core'

/** Where a task started: its id, key and worker. */
export interface Placement {
  readonly task: number
  readonly key: string | undefined
  readonly worker: number
}

/** Resolves after `ms` on the virtual clock. */
export const sleep = (clock: VirtualClock, ms: number): Promise<void> => new Promise((resolve) => clock.setTimeout(resolve, ms))

/**
 * An executor on the virtual clock whose workers hold `tasksPerWorker` tasks
 * each: a task sleeps its input (ms) and returns it. `stats` gives each
 * worker's runtime stats, where the test wants them.
 */
export function sleepers(clock: VirtualClock, tasksPerWorker: number, stats?: (id: number) => { eventLoopUtilization?: number }): Executor<number, number> {
  return {
    kind: 'sleepers',
    tasksPerWorker,
    spawn({ workerId }) {
      const handle: WorkerHandle<number, number> = {
        id: workerId,
        run: async (ms: number, _task: WorkerTask) => {
          await sleep(clock, ms)
          return ms
        },
        terminate: () => Promise.resolve(),
      }
      if (stats !== undefined) handle.stats = () => stats(workerId)
      return handle
    },
  }
}

/** A pool on the virtual clock with `selector`, recording each start in `placements` and each worker's live view in `workers`. */
export function clockPool(
  selector: WorkerSelector | undefined,
  options: { concurrency: number; tasksPerWorker?: number; clock?: VirtualClock; executor?: Executor<number, number> },
): { pool: Pool<number, number>; clock: VirtualClock; placements: Placement[]; workers: Map<number, WorkerInfo>; errors: unknown[] } {
  const clock = options.clock ?? createVirtualClock()
  const placements: Placement[] = []
  const workers = new Map<number, WorkerInfo>()
  const observer: PoolObserver = {
    onStarted: (_pool, task, worker) => void placements.push({ task: task.id, key: task.key, worker: worker.id }),
    onWorkerStarted: (_pool, worker) => void workers.set(worker.id, worker),
  }
  const executor =
    options.executor ??
    (options.tasksPerWorker === undefined || options.tasksPerWorker === 1
      ? inProcess(async (ms: number) => {
          await sleep(clock, ms)
          return ms
        })
      : sleepers(clock, options.tasksPerWorker))
  const pool = createPool<number, number>({ executor, concurrency: options.concurrency, clock, observers: [observer], ...(selector === undefined ? {} : { selector }) })
  const errors: unknown[] = []
  pool.on('error', (error) => errors.push(error))
  return { pool, clock, placements, workers, errors }
}

/** Runs tasks one after another, each finishing before the next is submitted (an under-loaded pool). */
export async function oneByOne(pool: Pool<number, number>, clock: VirtualClock, tasks: readonly (readonly [ms: number, key?: string])[]): Promise<void> {
  for (const [ms, key] of tasks) {
    const done = pool.run(ms, key === undefined ? undefined : { key })
    await clock.advance(ms)
    await done
  }
}

/** Counts of each value. */
export function countBy<T>(values: readonly T[]): Map<T, number> {
  const counts = new Map<T, number>()
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1)
  return counts
}
