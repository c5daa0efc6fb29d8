import type { PoolSnapshot, Scaler } from '@poolkit/core'
import { Ewma } from './internal/policy-ewma.js'
import { ceilCount, clampCount, read } from './internal/policy-snapshot.js'
import { bounds, optionsObject, positiveDuration, shareAbove0 } from './internal/validate.js'

/**
 * Options of {@link littleScaler}.
 * @public
 */
export interface LittleScalerOptions {
  /**
   * The fewest workers (a non-negative integer).
   * @defaultValue 1
   */
  min?: number | undefined
  /**
   * The most workers (a positive integer).
   * @defaultValue the pool's `concurrency`
   */
  max?: number | undefined
  /**
   * How busy each worker should be on average, in `(0, 1]`: the room left for
   * bursts. 1 sizes the pool to the mean load exactly, which queues at every burst.
   * @defaultValue 0.7
   */
  targetUtilization?: number | undefined
  /**
   * The weight of the newest interval in the moving averages of the arrival
   * rate, run time and error rate, in `(0, 1]` (1: no smoothing). It is also the
   * largest share of the workers given back in one interval.
   * @defaultValue 0.3
   */
  smoothing?: number | undefined
  /**
   * How often the pool asks, in ms (above 0): the window rates are measured over.
   * @defaultValue 1000
   */
  intervalMs?: number | undefined
}

/** How far under the current count the load must fall before the count shrinks. */
const SHRINK_BAND = 0.2

/**
 * A capacity planner's scaler, from Little's law: the tasks in service on
 * average are the arrival rate times the mean run time, so the workers needed
 * are
 *
 * `ceil(arrivalRate / 1000 × meanRunMs / tasksPerWorker / targetUtilization × (1 + errorRate))`
 *
 * on moving averages (weight `smoothing`) of the arrival rate (tasks/s), the run
 * time and the error rate. Failed tasks are usually retried, so the error rate
 * is headroom for that extra work.
 *
 * It grows to the formula at once. It shrinks gradually: at most
 * `ceil(target × smoothing)` workers an interval, and never while tasks wait.
 * An interval with no arrivals and nothing running or waiting steps down that
 * way toward `min` (the averages alone would keep one worker forever). Until a
 * task has finished, the run time is unknown and it keeps the current count (one
 * worker at least if tasks wait).
 * @param options - see {@link LittleScalerOptions}; each is checked now.
 * @returns A `Scaler` to pass as the pool's `scaler` option.
 * @example
 * ```ts
 * import { createPool } from '@poolkit/core'
 * import { littleScaler } from '@poolkit/scaler'
 *
 * // 200 tasks/s of 50 ms each at 70% busy: ceil(0.2 × 50 / 0.7) = 15 workers.
 * const pool = createPool({ handler: work, scaler: littleScaler({ min: 1, max: 64 }) })
 * ```
 * @public
 */
export function littleScaler(options?: LittleScalerOptions): Scaler {
  const o = optionsObject('options', options)
  const { min, max } = bounds('options', o.min, o.max, { min: 1, max: undefined })
  const targetUtilization = o.targetUtilization === undefined ? 0.7 : shareAbove0('options.targetUtilization', o.targetUtilization)
  const smoothing = o.smoothing === undefined ? 0.3 : shareAbove0('options.smoothing', o.smoothing)
  const intervalMs = o.intervalMs === undefined ? 1000 : positiveDuration('options.intervalMs', o.intervalMs)

  const arrivals = new Ewma(smoothing)
  const runMs = new Ewma(smoothing)
  const errors = new Ewma(smoothing)
  return {
    min,
    max,
    intervalMs,
    desired(snapshot: PoolSnapshot): number {
      const s = read(snapshot)
      // Never fewer while tasks wait, and one worker at least for them.
      const floor = s.queued > 0 ? Math.max(1, s.target) : 0
      // A zero-length window has no rates: keep the averages as they are.
      if (s.intervalMs === 0) return clampCount(Math.max(floor, s.target), min, max)
      arrivals.add(s.arrivalRate)
      // Run time and error rate are measured on finished tasks only: none finished, no sample.
      if (s.completionRate > 0) {
        runMs.add(s.meanRunMs)
        errors.add(s.errorRate)
      }
      const meanRun = runMs.value
      if (meanRun === undefined) return clampCount(Math.max(floor, s.target), min, max)

      const idle = s.arrivalRate === 0 && s.running === 0 && s.queued === 0
      const raw = idle ? 0 : ((arrivals.value! / 1000) * meanRun * (1 + errors.value!)) / s.tasksPerWorker / targetUtilization
      const needed = Math.max(floor, ceilCount(raw))
      if (needed >= s.target) return clampCount(needed, min, max)
      // Shrink only once the load is clearly under what the workers give (a band
      // of SHRINK_BAND), so a load near a whole number of workers does not flip
      // the count up and down with the noise of its measurement.
      const below = Math.max(floor, ceilCount(raw * (1 + SHRINK_BAND)))
      if (below >= s.target) return clampCount(s.target, min, max)
      // Then by a `smoothing` share at most, one worker at least.
      const step = Math.max(1, ceilCount(s.target * smoothing))
      return clampCount(Math.max(below, s.target - step), min, max)
    },
  }
}
