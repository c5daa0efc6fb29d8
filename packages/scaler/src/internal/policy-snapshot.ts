import type { PoolSnapshot } from '@poolkit/core'

/**
 * A snapshot with every number made safe to compute with: counts and rates
 * finite and non-negative, shares within `[0, 1]`, `tasksPerWorker` at least 1.
 * The pool never sends NaN, but a policy must not turn one into a worker count.
 */
export interface Reading {
  readonly now: number
  readonly intervalMs: number
  readonly target: number
  readonly total: number
  readonly busy: number
  readonly idle: number
  readonly starting: number
  readonly tasksPerWorker: number
  readonly queued: number
  readonly running: number
  readonly arrivalRate: number
  readonly completionRate: number
  readonly errorRate: number
  readonly meanWaitMs: number
  readonly meanRunMs: number
  readonly utilization: number
}

const count = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) && x > 0 ? Math.round(x) : 0)
const amount = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) && x > 0 ? x : 0)
const share = (x: unknown): number => Math.min(1, amount(x))

/** Reads a snapshot defensively (see {@link Reading}). */
export function read(s: PoolSnapshot): Reading {
  const w = s.workers ?? { total: 0, busy: 0, idle: 0, starting: 0 }
  return {
    now: typeof s.now === 'number' && Number.isFinite(s.now) ? s.now : 0,
    intervalMs: amount(s.intervalMs),
    target: count(s.targetWorkers),
    total: count(w.total),
    busy: count(w.busy),
    idle: count(w.idle),
    starting: count(w.starting),
    tasksPerWorker: Math.max(1, count(s.tasksPerWorker)),
    queued: count(s.queued),
    running: count(s.running),
    arrivalRate: amount(s.arrivalRate),
    completionRate: amount(s.completionRate),
    errorRate: share(s.errorRate),
    meanWaitMs: amount(s.meanWaitMs),
    meanRunMs: amount(s.meanRunMs),
    utilization: share(s.utilization),
  }
}

/** `value` as a worker count: an integer within `[min, max]` (`max` undefined: no upper bound here, the pool clamps). */
export function clampCount(value: number, min: number, max: number | undefined): number {
  if (Number.isNaN(value)) return min
  const upper = max ?? Number.MAX_SAFE_INTEGER
  return Math.max(min, Math.min(upper, Math.round(value)))
}

/**
 * `Math.ceil` that ignores floating-point dust (`ceil(2.0000000000000004)` is 2
 * here), so a formula that lands on a whole number does not ask for one more worker.
 */
export function ceilCount(value: number): number {
  return Math.ceil(value - 1e-9)
}
