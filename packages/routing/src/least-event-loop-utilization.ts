import type { WorkerInfo, WorkerSelector } from '@poolkit/core'
import { lessBusy } from './internal/order.js'

/**
 * The candidate with the lowest event-loop utilization (`WorkerInfo.eventLoopUtilization`,
 * between 0 and 1, as its executor measures it: `threads()`, `processes()` and
 * `webWorkers()` report one). A candidate that reports none (an in-process
 * worker, or a worker that has not measured one yet) counts as 0, and ties go
 * to {@link leastBusy}'s order (fewer running tasks, then the lower id): on an
 * executor that reports no utilization it is `leastBusy()`.
 *
 * It keeps no state; it reads each candidate's utilization once per task (a
 * call into the executor's `stats()`). Pick it for workers that also do work of
 * their own between tasks (timers, I/O, a task that keeps its event loop busy
 * after it returned), which a count of running tasks does not see. The figure
 * is what the worker measured over its recent past, so it lags a burst: under
 * a steady backlog, `leastBusy` balances as well at less cost. poolifier's
 * `LEAST_ELU`.
 * @returns A `WorkerSelector` to pass as the pool's `selector` option.
 * @example
 * ```ts
 * import { createPool } from '@poolkit/core'
 * import { threads } from '@poolkit/node-adapter'
 * import { leastEventLoopUtilization } from '@poolkit/routing'
 *
 * const pool = createPool({ executor: threads(new URL('./worker.js', import.meta.url)), concurrency: 4, selector: leastEventLoopUtilization() })
 * ```
 * @public
 */
export function leastEventLoopUtilization(): WorkerSelector {
  return {
    select(candidates: readonly WorkerInfo[]): WorkerInfo | undefined {
      let best = candidates[0]
      // One candidate (a busy pool, where workers free up one at a time): nothing to compare.
      if (best === undefined || candidates.length === 1) return best
      let bestElu = utilizationOf(best)
      for (let i = 1; i < candidates.length; i++) {
        const c = candidates[i]!
        const elu = utilizationOf(c)
        if (elu < bestElu || (elu === bestElu && lessBusy(c, best))) {
          best = c
          bestElu = elu
        }
      }
      return best
    },
  }
}

/** The worker's utilization, 0 where it reports none (or a value that is not a number of at least 0). */
function utilizationOf(worker: WorkerInfo): number {
  const elu = worker.eventLoopUtilization
  return elu !== undefined && elu >= 0 ? elu : 0
}
