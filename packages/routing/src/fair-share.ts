import type { TaskInfo, WorkerInfo, WorkerSelector } from '@poolkit/core'
import { lessBusy } from './internal/order.js'

/**
 * Shares run time evenly: the candidate whose workers have run the least so far
 * (`WorkerInfo.busyMs`, the run time of the attempts that ended on it, on the
 * pool's clock), so uneven tasks even out over time instead of in count.
 *
 * Its load measure for a worker is `offset + busyMs + running × meanRunMs`:
 * - `offset`: a worker that joins later (scaled up, or replacing one that
 *   crashed) starts level with the least loaded live worker instead of at 0,
 *   which would send it every task until it caught up. Learnt in
 *   `onWorkerStarted`, dropped in `onWorkerExited`.
 * - `running × meanRunMs`: the tasks a worker holds now, each counted at the
 *   pool's mean attempt run time so far (from `onFinished`). With one task per
 *   worker every candidate holds none; with several (threads' `prefetch`) it
 *   keeps a worker that is handed a batch from looking idle until the batch ends.
 *
 * Ties go to {@link leastBusy}'s order. Its state is a number per live worker.
 * Pick it for tasks of very different costs where each worker should do a
 * fair part of the work (a measure such as CPU time, not a count of tasks).
 * poolifier's `FAIR_SHARE` (which orders by each worker's expected end time,
 * from its mean run time; the same idea, measured on the pool's clock).
 * @returns A `WorkerSelector` to pass as the pool's `selector` option.
 * @example
 * ```ts
 * import { createPool } from '@poolkit/core'
 * import { threads } from '@poolkit/node-adapter'
 * import { fairShare } from '@poolkit/routing'
 *
 * const pool = createPool({ executor: threads(new URL('./worker.js', import.meta.url)), concurrency: 4, selector: fairShare() })
 * ```
 * @public
 */
export function fairShare(): WorkerSelector {
  // Each live worker's start offset (ms), by id, and the live workers themselves (to level a newcomer).
  const offsets = new Map<number, number>()
  const live = new Map<number, WorkerInfo>()
  let totalMs = 0
  let attempts = 0
  const loadOf = (worker: WorkerInfo, meanMs: number): number => (offsets.get(worker.id) ?? 0) + worker.busyMs + worker.running * meanMs
  return {
    select(candidates: readonly WorkerInfo[]): WorkerInfo | undefined {
      let best = candidates[0]
      // One candidate (a busy pool, where workers free up one at a time): nothing to compare.
      if (best === undefined || candidates.length === 1) return best
      const meanMs = attempts > 0 ? totalMs / attempts : 0
      let bestLoad = loadOf(best, meanMs)
      for (let i = 1; i < candidates.length; i++) {
        const c = candidates[i]!
        const load = loadOf(c, meanMs)
        if (load < bestLoad || (load === bestLoad && lessBusy(c, best))) {
          best = c
          bestLoad = load
        }
      }
      return best
    },
    onWorkerStarted(worker: WorkerInfo): void {
      // Level with the least loaded of the others (their running tasks left out: they end soon enough).
      let least = Infinity
      for (const other of live.values()) least = Math.min(least, loadOf(other, 0))
      offsets.set(worker.id, least === Infinity ? 0 : least - worker.busyMs)
      live.set(worker.id, worker)
    },
    onWorkerExited(worker: WorkerInfo): void {
      offsets.delete(worker.id)
      live.delete(worker.id)
    },
    onFinished(_task: TaskInfo, _worker: WorkerInfo, runMs: number): void {
      totalMs += runMs
      attempts++
    },
  }
}
