import type { PoolSnapshot, Scaler } from '@poolkit/core'
import { clampCount, read } from './internal/policy-snapshot.js'
import { WindowMin } from './internal/policy-window-min.js'
import { bounds, durationOrInfinity, optionsObject } from './internal/validate.js'

/**
 * Options of {@link idleScaler}.
 * @public
 */
export interface IdleScalerOptions {
  /**
   * The fewest workers, and where the pool starts (a non-negative integer). 0
   * is allowed: the pool then has no worker while idle and starts one when a
   * task comes, at the cost of that start.
   * @defaultValue 1
   */
  min?: number | undefined
  /**
   * The most workers (a positive integer).
   * @defaultValue the pool's `concurrency`
   */
  max?: number | undefined
  /**
   * How long a worker stays idle before it is retired (ms), as in piscina. 0
   * retires idle workers at once; `Infinity` never retires one.
   * @defaultValue 30000
   */
  idleTimeout?: number | undefined
}

/**
 * The piscina-style scaler for dynamic pools: start at `min`, add a worker for
 * each task that has to wait while `max` allows, and retire a worker once it
 * has been idle for `idleTimeout`, down to `min`.
 *
 * It asks on pressure (each time a task queues with no free worker), so growth
 * needs no timer, and every `clamp(idleTimeout / 2, 10, 1000)` ms to retire.
 * Growth counts the workers already starting, so a burst of tasks adds one
 * worker per `tasksPerWorker` tasks waiting, not one per call. A worker counts
 * as idle for `idleTimeout` when the pool's idle count never fell below it over
 * that long: the smallest idle count seen in the last `idleTimeout` is the
 * number retired (the pool retires the longest idle first). Counts are sampled
 * when the pool asks, so a task that starts and ends between two asks is not seen.
 * @param options - see {@link IdleScalerOptions}; each is checked now.
 * @returns A `Scaler` to pass as the pool's `scaler` option.
 * @example
 * ```ts
 * import { createPool } from '@poolkit/core'
 * import { idleScaler } from '@poolkit/scaler'
 *
 * // One worker at rest, up to 16 under load, each idle one retired after 10 s.
 * const pool = createPool({ handler: work, concurrency: 1, scaler: idleScaler({ max: 16, idleTimeout: 10_000 }) })
 * ```
 * @public
 */
export function idleScaler(options?: IdleScalerOptions): Scaler {
  const o = optionsObject('options', options)
  const { min, max } = bounds('options', o.min, o.max, { min: 1, max: undefined })
  const idleTimeout = o.idleTimeout === undefined ? 30_000 : durationOrInfinity('options.idleTimeout', o.idleTimeout)
  // Never retiring needs no timer: growth comes on pressure.
  const intervalMs = idleTimeout === Infinity ? 0 : Math.max(10, Math.min(idleTimeout / 2, 1000))

  const idle = new WindowMin(idleTimeout)
  return {
    min,
    max,
    intervalMs,
    onPressure: true,
    desired(snapshot: PoolSnapshot): number {
      const s = read(snapshot)
      if (s.queued > 0) {
        // One worker per `tasksPerWorker` waiting tasks, less those already on their way.
        const coming = s.starting + Math.max(0, s.target - s.total)
        const more = Math.ceil(s.queued / s.tasksPerWorker) - coming
        idle.add(s.now, s.idle)
        return clampCount(s.target + Math.max(0, more), min, max)
      }
      if (idleTimeout === Infinity) return clampCount(s.target, min, max)
      // The pool says when each idle worker became idle: retire those idle for
      // idleTimeout, as piscina does. (A snapshot of an older pool without it
      // falls back to the idle count sampled at every ask.)
      const since = snapshot.idleSince
      if (since !== undefined) {
        let stale = 0
        for (const t of since) if (s.now - t >= idleTimeout) stale++
        return clampCount(s.target - stale, min, max)
      }
      idle.add(s.now, s.idle)
      if (!idle.full(s.now)) return clampCount(s.target, min, max)
      const next = clampCount(s.target - idle.min, min, max)
      // The retired workers are gone from every sample in the window.
      if (next < s.target) idle.subtract(s.target - next)
      return next
    },
  }
}
