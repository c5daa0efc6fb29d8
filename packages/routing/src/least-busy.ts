import type { WorkerInfo, WorkerSelector } from '@poolkit/core'
import { lessBusy } from './internal/order.js'

/**
 * The candidate running the fewest tasks, ties to the lowest worker id: the
 * rule a pool follows with no `selector` (core picks by it among workers that
 * hold several tasks each), now a selector of its own, to pass where one is
 * asked for (the `fallback` of {@link affinity}) or to wrap.
 *
 * It keeps no state. With one task per worker (in-process pools, `prefetch: 0`)
 * every candidate is idle, and it takes the lowest id where the pool without a
 * selector takes the worker freed most recently; either way no worker idles
 * while a task waits. poolifier's `LEAST_USED` and `LEAST_BUSY` both map here
 * (see the README).
 * @returns A `WorkerSelector` to pass as the pool's `selector` option.
 * @example
 * ```ts
 * import { createPool } from '@poolkit/core'
 * import { leastBusy } from '@poolkit/routing'
 *
 * const pool = createPool({ handler: async (x: number) => x * 2, concurrency: 4, selector: leastBusy() })
 * ```
 * @public
 */
export function leastBusy(): WorkerSelector {
  return {
    select(candidates: readonly WorkerInfo[]): WorkerInfo | undefined {
      let best = candidates[0]
      for (let i = 1; i < candidates.length; i++) {
        const c = candidates[i]!
        if (lessBusy(c, best!)) best = c
      }
      return best
    },
  }
}
