import type { WorkerInfo, WorkerSelector } from '@poolkit/core'

/**
 * Takes turns: each task goes to the candidate with the next id after the worker
 * chosen last, wrapping around to the lowest id. Workers without room are
 * skipped for that turn (they are not candidates), and workers that join later
 * take their turn by their id (the pool numbers workers in start order), so a
 * replacement joins the cycle at its end.
 *
 * It keeps one number (the last id chosen) and scans the candidates once per
 * task. Pick it for tasks of about equal cost, where spreading them evenly is
 * all that matters; it does not look at load, so uneven tasks pile up behind a
 * slow one on workers that hold several tasks each (use {@link leastBusy} or
 * {@link fairShare} there). poolifier's `ROUND_ROBIN`.
 * @returns A `WorkerSelector` to pass as the pool's `selector` option.
 * @example
 * ```ts
 * import { createPool } from '@poolkit/core'
 * import { threads } from '@poolkit/node-adapter'
 * import { roundRobin } from '@poolkit/routing'
 *
 * const pool = createPool({ executor: threads(new URL('./worker.js', import.meta.url)), concurrency: 4, selector: roundRobin() })
 * ```
 * @public
 */
export function roundRobin(): WorkerSelector {
  // The id chosen last; ids start at 1, so the first turn goes to the lowest.
  let last = 0
  return {
    select(candidates: readonly WorkerInfo[]): WorkerInfo | undefined {
      // The lowest id above `last` if any, else the lowest id (wrap around).
      let next: WorkerInfo | undefined
      let lowest: WorkerInfo | undefined
      for (let i = 0; i < candidates.length; i++) {
        const c = candidates[i]!
        if (lowest === undefined || c.id < lowest.id) lowest = c
        if (c.id > last && (next === undefined || c.id < next.id)) next = c
      }
      const chosen = next ?? lowest
      if (chosen !== undefined) last = chosen.id
      return chosen
    },
  }
}
