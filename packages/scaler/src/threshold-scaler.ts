import type { PoolSnapshot, Scaler } from '@poolkit/core'
import { ceilCount, clampCount, read } from './internal/policy-snapshot.js'
import { bounds, duration, durationOrInfinity, numberAtLeast, optionsObject, positiveDuration, positiveInteger, shareAbove0, shareBelow1 } from './internal/validate.js'

/**
 * Options of {@link thresholdScaler}.
 * @public
 */
export interface ThresholdScalerOptions {
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
   * Scale up when the interval's utilization (busy worker-time over available
   * worker-time) is above this share, in `(0, 1]`.
   * @defaultValue 0.8
   */
  scaleUpAt?: number | undefined
  /**
   * Scale down when the interval's utilization is below this share, in
   * `[0, 1)` and below `scaleUpAt`. 0 never scales down.
   * @defaultValue 0.3
   */
  scaleDownAt?: number | undefined
  /**
   * Scaling up multiplies the worker count by this factor (above 1), adding at
   * least one worker.
   * @defaultValue 2
   */
  upFactor?: number | undefined
  /**
   * Scaling down removes this many workers (a positive integer).
   * @defaultValue 1
   */
  downStep?: number | undefined
  /**
   * After a change, the count stays put for this long (ms): never two changes
   * within it.
   * @defaultValue 5000
   */
  cooldownMs?: number | undefined
  /**
   * Also scale up when the interval's mean queue wait is above this (ms), even
   * with utilization under `scaleUpAt`. `Infinity` turns the check off.
   * @defaultValue Infinity
   */
  maxWaitMs?: number | undefined
  /**
   * How often the pool asks, in ms (above 0): the window utilization is measured over.
   * @defaultValue 1000
   */
  intervalMs?: number | undefined
}

/**
 * A threshold scaler, the rule of cloud autoscalers: multiply the worker count
 * by `upFactor` when the interval's utilization is over `scaleUpAt` (or its
 * mean queue wait over `maxWaitMs`), remove `downStep` workers when utilization
 * is under `scaleDownAt` and nothing waits, and never change twice within
 * `cooldownMs`.
 *
 * Scaling down lowers the target only: the pool retires idle workers, and a
 * busy worker finishes its task first. A pool at 0 workers (`min: 0`) cannot
 * measure utilization, so a task waiting there brings it up to one worker.
 *
 * Its state is the time of its last change; the rest is read from each snapshot.
 * @param options - see {@link ThresholdScalerOptions}; each is checked now.
 * @returns A `Scaler` to pass as the pool's `scaler` option.
 * @example
 * ```ts
 * import { createPool } from '@poolkit/core'
 * import { thresholdScaler } from '@poolkit/scaler'
 *
 * // 2 to 32 workers: doubles above 80% busy, one fewer under 30%, 5 s apart at least.
 * const pool = createPool({ handler: work, concurrency: 2, scaler: thresholdScaler({ min: 2, max: 32 }) })
 * ```
 * @public
 */
export function thresholdScaler(options?: ThresholdScalerOptions): Scaler {
  const o = optionsObject('options', options)
  const { min, max } = bounds('options', o.min, o.max, { min: 1, max: undefined })
  const scaleUpAt = o.scaleUpAt === undefined ? 0.8 : shareAbove0('options.scaleUpAt', o.scaleUpAt)
  const scaleDownAt = o.scaleDownAt === undefined ? 0.3 : shareBelow1('options.scaleDownAt', o.scaleDownAt)
  if (scaleDownAt >= scaleUpAt) {
    throw new RangeError(`options.scaleDownAt (${scaleDownAt}) must be below options.scaleUpAt (${scaleUpAt})`)
  }
  const upFactor = o.upFactor === undefined ? 2 : numberAtLeast('options.upFactor', o.upFactor, 1, true)
  const downStep = o.downStep === undefined ? 1 : positiveInteger('options.downStep', o.downStep)
  const cooldownMs = o.cooldownMs === undefined ? 5000 : duration('options.cooldownMs', o.cooldownMs)
  const maxWaitMs = o.maxWaitMs === undefined ? Infinity : durationOrInfinity('options.maxWaitMs', o.maxWaitMs)
  const intervalMs = o.intervalMs === undefined ? 1000 : positiveDuration('options.intervalMs', o.intervalMs)

  // When the count last changed, on the pool's clock.
  let changedAt: number | undefined
  return {
    min,
    max,
    intervalMs,
    desired(snapshot: PoolSnapshot): number {
      const s = read(snapshot)
      const current = clampCount(s.target, min, max)
      if (changedAt !== undefined && s.now - changedAt < cooldownMs) return current
      let next = current
      if (s.target === 0) {
        // No worker, no utilization to read: what waits needs one to start with.
        if (s.queued > 0) next = clampCount(1, min, max)
      } else if (s.intervalMs > 0) {
        // A zero-length window says nothing about load: decide on real intervals only.
        if (s.utilization > scaleUpAt || s.meanWaitMs > maxWaitMs) {
          next = clampCount(Math.max(s.target + 1, ceilCount(s.target * upFactor)), min, max)
        } else if (s.utilization < scaleDownAt && s.queued === 0) {
          next = clampCount(s.target - downStep, min, max)
        }
      }
      if (next !== s.target) changedAt = s.now
      return next
    },
  }
}
