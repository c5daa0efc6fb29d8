import type { Scaler } from './contracts/scaler.js'
import type { PoolSnapshot } from './contracts/snapshot.js'
import { checkDurationOrInfinity, checkNonNegativeInteger, checkOptionsObject, checkPositiveInteger } from './validate.js'

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
 * each task that has to wait while `max` allows, and retire each worker once it
 * has been idle for `idleTimeout`, down to `min`. It is the one idle rule of
 * poolkit: `@poolkit/scaler` exports this same function, and the node adapter's
 * `idleTimeout` and `minWorkers` options are `idleScaler({ min: minWorkers, idleTimeout })`.
 *
 * - It asks on pressure (each time a task queues with no free worker), so
 *   growth needs no timer, and every `clamp(idleTimeout / 2, 10, 1000)` ms to
 *   retire (never, with no timer, when `idleTimeout` is `Infinity`).
 *
 * - Grow: when tasks wait, one worker per `tasksPerWorker` waiting tasks, less
 *   the workers already starting or asked for, so repeated asks during a burst
 *   do not overshoot.
 *
 * - Retire: the snapshot says when each idle worker became idle
 *   (`PoolSnapshot.idleSince`); the workers idle for `idleTimeout` or longer
 *   retire, down to `min`, and the pool retires the longest idle first. A worker
 *   that became idle a moment ago stays, however long the pool as a whole has
 *   had some idle worker. For a snapshot without `idleSince` (a hand-made one,
 *   a simulator's), those times are estimated from the idle counts sampled at
 *   each ask: the k-th idle worker counts as idle since the idle count last rose
 *   to k, so a worker that ran a task between two asks is not seen.
 * @param options - see {@link IdleScalerOptions}; each is checked now.
 * @returns A `Scaler` to pass as the pool's `scaler` option.
 * @example
 * ```ts
 * import { createPool, idleScaler } from '@poolkit/core'
 *
 * // One worker at rest, up to 16 under load, each idle one retired after 10 s.
 * const pool = createPool({ handler: work, concurrency: 1, scaler: idleScaler({ max: 16, idleTimeout: 10_000 }) })
 * ```
 * @public
 */
export function idleScaler(options?: IdleScalerOptions): Scaler {
  const o = checkOptionsObject('options', options)
  const min = o.min === undefined ? 1 : checkNonNegativeInteger('options.min', o.min)
  const max = o.max === undefined ? undefined : checkPositiveInteger('options.max', o.max)
  if (max !== undefined && min > max) throw new RangeError(`options.min (${min}) must not exceed options.max (${max})`)
  const idleTimeout = o.idleTimeout === undefined ? 30_000 : checkDurationOrInfinity('options.idleTimeout', o.idleTimeout)
  // Never retiring needs no timer: growth comes on pressure.
  const intervalMs = idleTimeout === Infinity ? 0 : Math.max(10, Math.min(idleTimeout / 2, 1000))
  const clamp = (n: number): number => Math.max(min, Math.min(max ?? Number.MAX_SAFE_INTEGER, n))

  // Without the pool's idleSince: when the idle count, as sampled, last rose to
  // each level (index k: to k + 1 or more), oldest first.
  const sampled: number[] = []
  const sample = (now: number, idle: number): void => {
    if (sampled.length > idle) sampled.length = idle
    while (sampled.length < idle) sampled.push(now)
  }

  return {
    min,
    max,
    intervalMs,
    onPressure: true,
    desired(snapshot: PoolSnapshot): number {
      const w = snapshot.workers ?? { total: 0, idle: 0, starting: 0 }
      const now = typeof snapshot.now === 'number' && Number.isFinite(snapshot.now) ? snapshot.now : 0
      const target = count(snapshot.targetWorkers)
      const idle = count(w.idle)
      const since = snapshot.idleSince
      if (since === undefined) sample(now, idle)
      const queued = count(snapshot.queued)
      if (queued > 0) {
        // One worker per `tasksPerWorker` waiting tasks, less those already on their way.
        const coming = count(w.starting) + Math.max(0, target - count(w.total))
        const more = Math.ceil(queued / Math.max(1, count(snapshot.tasksPerWorker))) - coming
        return clamp(target + Math.max(0, more))
      }
      if (idleTimeout === Infinity) return clamp(target)
      let stale = 0
      for (const t of since ?? sampled) if (now - t >= idleTimeout) stale++
      const next = clamp(target - stale)
      // The pool retires the longest idle first: they leave the sampled levels.
      if (since === undefined && next < target) sampled.splice(0, target - next)
      return next
    },
  }
}

/** A worker or task count from a snapshot: a finite number above 0, rounded, else 0. */
function count(x: unknown): number {
  return typeof x === 'number' && Number.isFinite(x) && x > 0 ? Math.round(x) : 0
}
