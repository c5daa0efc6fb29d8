import type { PoolSnapshot } from './snapshot.js'

/**
 * Decides how many workers the pool should have. The pool asks it every
 * `intervalMs` and, when `onPressure` is set, whenever a task has to wait; it
 * clamps the answer to `[min, max]`. Scaling down retires idle workers only: a
 * busy worker is never stopped to shrink the pool.
 * @public
 */
export interface Scaler {
  /** The fewest workers. @defaultValue 1 */
  readonly min?: number
  /** The most workers. @defaultValue the pool's `concurrency` */
  readonly max?: number
  /** How often to ask, in ms; 0 asks only on pressure. @defaultValue 1000 */
  readonly intervalMs?: number
  /** Also ask when a task is queued because no worker is free. @defaultValue false */
  readonly onPressure?: boolean
  /** The worker count wanted now. */
  desired(snapshot: PoolSnapshot): number
}
