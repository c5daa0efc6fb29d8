import type { WorkerInfo } from '@poolkit/core'

/**
 * The pool's own order of preference (core's `WorkerSet.pick()`): fewer running
 * tasks first, then the lower id. `leastBusy()` picks by it, and the other
 * selectors break their ties with it.
 */
export function lessBusy(a: WorkerInfo, b: WorkerInfo): boolean {
  return a.running < b.running || (a.running === b.running && a.id < b.id)
}
