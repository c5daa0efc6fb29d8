import type { PoolSnapshot, Scaler } from '@poolkit/core'
import { LongAverage } from './internal/policy-ewma.js'
import { clampCount, read } from './internal/policy-snapshot.js'
import { WindowMin } from './internal/policy-window-min.js'
import type { Reading } from './internal/policy-snapshot.js'
import { bounds, numberAtLeast, oneOf, optionsObject, positiveDuration, positiveInteger, shareAbove0, shareBetween } from './internal/validate.js'

/**
 * Options of {@link adaptiveLimit}.
 * @public
 */
export interface AdaptiveLimitOptions {
  /**
   * The lowest limit (a positive integer: at 0 nothing would run, so nothing
   * would be measured).
   * @defaultValue 1
   */
  min?: number | undefined
  /**
   * The highest limit (a positive integer).
   * @defaultValue 1000
   */
  max?: number | undefined
  /**
   * The limit to start from, an integer within `[min, max]`.
   * @defaultValue `min`
   */
  initial?: number | undefined
  /**
   * `'vegas'` (after Netflix concurrency-limits' VegasLimit): estimates the
   * tasks queued inside the provider from the no-load latency and keeps 3 to 6
   * of them, which settles just past a knee where latency starts to grow with
   * concurrency. `'gradient'` (after Gradient2): moves the limit by the ratio of
   * the no-load latency to the current one; with `tolerance` 1.5 it settles
   * about 1.7 times past such a knee, trading latency for throughput. `'aimd'`:
   * adds 1 per good interval, multiplies by `backoff` on a bad one.
   * @defaultValue `'vegas'`
   */
  algorithm?: 'vegas' | 'gradient' | 'aimd' | undefined
  /**
   * How much slower than the no-load estimate the interval's mean run time may
   * be and still count as "latency holds": a ratio of at least 1.
   * @defaultValue 1.5
   */
  tolerance?: number | undefined
  /**
   * The multiplicative cut, above 0 and below 1: on errors (every algorithm),
   * and on a latency rise (`'aimd'`; the gradient sets its own cut there).
   * @defaultValue 0.9
   */
  backoff?: number | undefined
  /**
   * `'gradient'` only: the weight of the newly computed limit against the old
   * one, in `(0, 1]` (1: no smoothing). Ignored by `'aimd'`.
   * @defaultValue 0.2
   */
  smoothing?: number | undefined
  /**
   * How often the pool asks, in ms (above 0): each interval is one latency sample.
   * @defaultValue 100
   */
  intervalMs?: number | undefined
}

// The no-load latency estimate: Netflix Gradient2's long window (600 samples)
// and warm-up (the plain mean of the first 10).
const LONG_WINDOW = 600
const WARMUP = 10
// The pool uses "most of its limit" from this share of it on: only then may the limit rise.
const BUSY_SHARE = 0.9
// Vegas: the tasks queued inside the provider it aims for, at least and at most.
const VEGAS_ALPHA = 3
const VEGAS_BETA = 6

/**
 * An adaptive concurrency limit for I/O-bound tasks whose best concurrency is
 * unknown, such as calls to a rate-limited provider, in the style of Netflix's
 * concurrency-limits. It keeps a long-term (no-load) estimate of the run time
 * and compares each interval's mean run time with it:
 *
 * - `'vegas'` (the default): `queue = limit × (1 - noLoad / shortRtt)`, with
 *   `noLoad` the fastest interval of the long window; `limit + step` while
 *   `queue < 3` (and the pool uses its limit), `limit - step` when `queue > 6`,
 *   `step = max(1, log10(limit))`.
 * - `'gradient'`: `gradient = clamp(longRtt × tolerance / shortRtt, 0.5, 1)`,
 *   `next = limit × gradient + sqrt(limit)` (the queue headroom), then
 *   `limit = limit × (1 - smoothing) + next × smoothing`.
 * - `'aimd'`: `limit + 1` while the run time stays within `tolerance` of the
 *   estimate, `floor(limit × backoff)` when it rises above.
 *
 * Any error in the interval (`errorRate > 0`, read as 429s and timeouts) cuts
 * the limit to `limit × backoff` in all three. The limit rises only while the pool
 * uses most of it (`running >= 0.9 × limit × tasksPerWorker`, or tasks wait),
 * so an idle pool does not grow; an interval in which no task finished holds it.
 * @param options - see {@link AdaptiveLimitOptions}; each is checked now.
 * @returns A `Scaler` with a live `limit`, to pass as the pool's `scaler` option.
 * @example
 * ```ts
 * import { createPool } from '@poolkit/core'
 * import { adaptiveLimit } from '@poolkit/scaler'
 *
 * const scaler = adaptiveLimit({ min: 2, max: 200 })
 * const pool = createPool({ handler: callProvider, concurrency: 2, scaler })
 * // Later: how many calls the provider takes at once without slowing down.
 * console.log(scaler.limit)
 * ```
 * @public
 */
export function adaptiveLimit(options?: AdaptiveLimitOptions): Scaler & {
  /** The current limit: the worker count it asks for (for an in-process pool, the concurrency). */
  readonly limit: number
} {
  const o = optionsObject('options', options)
  const { min, max: maxOrUndefined } = bounds('options', o.min, o.max, { min: 1, max: 1000, minFloor: 1 })
  const max = maxOrUndefined!
  let initial = min
  if (o.initial !== undefined) {
    initial = positiveInteger('options.initial', o.initial)
    if (initial < min || initial > max) {
      throw new RangeError(`options.initial (${initial}) must be within options.min (${min}) and options.max (${max})`)
    }
  }
  const algorithm = o.algorithm === undefined ? 'vegas' : oneOf('options.algorithm', o.algorithm, ['vegas', 'gradient', 'aimd'] as const)
  const tolerance = o.tolerance === undefined ? 1.5 : numberAtLeast('options.tolerance', o.tolerance, 1)
  const backoff = o.backoff === undefined ? 0.9 : shareBetween('options.backoff', o.backoff)
  const smoothing = o.smoothing === undefined ? 0.2 : shareAbove0('options.smoothing', o.smoothing)
  const intervalMs = o.intervalMs === undefined ? 100 : positiveDuration('options.intervalMs', o.intervalMs)

  // The limit as a real number (the gradient moves it by fractions); the pool gets its floor.
  let limit = initial
  const longRtt = new LongAverage(LONG_WINDOW, WARMUP)
  const whole = (): number => clampCount(Math.floor(limit), min, max)

  // The no-load estimate is the lower of two views of the long window: Gradient2's
  // average, which follows a lasting change of the provider's latency, and the
  // fastest interval seen, which holds the no-load latency through a stretch of
  // sustained load that the average would drift up with.
  const fastest = new WindowMin(LONG_WINDOW * intervalMs)
  const noLoadEstimate = (): number | undefined => (longRtt.value === undefined ? undefined : Math.min(longRtt.value, fastest.min))

  /** The no-load estimate before this sample; then the sample joins it. */
  const observe = (now: number, shortRtt: number): number | undefined => {
    const before = noLoadEstimate()
    const after = longRtt.add(shortRtt)
    fastest.add(now, shortRtt)
    // Gradient2: after a long overload the average sits high; once latency is
    // back to normal, let it down faster than the long window would.
    if (shortRtt > 0 && after / shortRtt > 2) longRtt.set(after * 0.95)
    return before
  }

  const gradient = (s: Reading, noLoad: number | undefined, saturated: boolean): number => {
    // No history yet, or tasks that take no time: latency holds.
    const g = noLoad === undefined || s.meanRunMs <= noLoad * tolerance ? 1 : Math.max(0.5, (noLoad * tolerance) / s.meanRunMs)
    const next = limit * g + Math.sqrt(limit)
    const smoothed = limit * (1 - smoothing) + next * smoothing
    // App-limited: the measurements say nothing about more load, so never raise.
    return saturated ? smoothed : Math.min(limit, smoothed)
  }

  // Vegas (Netflix concurrency-limits' VegasLimit, after TCP Vegas): the tasks
  // queued inside the provider are limit * (1 - noLoad / latency); keep between
  // VEGAS_ALPHA and VEGAS_BETA of them. Past a knee where latency grows with
  // concurrency that settles a few tasks above the knee, whatever its latency.
  const vegas = (s: Reading, saturated: boolean): number => {
    const noLoad = fastest.min
    if (!(noLoad > 0) || noLoad === Infinity) return saturated ? limit + 1 : limit
    const queue = limit * (1 - noLoad / Math.max(s.meanRunMs, noLoad))
    const step = Math.max(1, Math.log10(limit))
    if (queue > VEGAS_BETA) return limit - step
    if (queue < VEGAS_ALPHA && saturated) return limit + step
    return limit
  }

  const aimd = (s: Reading, noLoad: number | undefined, saturated: boolean): number => {
    if (noLoad !== undefined && s.meanRunMs > noLoad * tolerance) return Math.floor(limit * backoff)
    return saturated ? limit + 1 : limit
  }

  return {
    min,
    max,
    intervalMs,
    get limit(): number {
      return whole()
    },
    desired(snapshot: PoolSnapshot): number {
      const s = read(snapshot)
      // Nothing finished (or a zero-length window): no latency sample, hold.
      if (s.intervalMs === 0 || s.completionRate === 0) return whole()
      const saturated = s.queued > 0 || s.running >= BUSY_SHARE * whole() * s.tasksPerWorker
      let next: number
      if (s.errorRate > 0) {
        // Errors cut at once; their run times (fast 429s, long timeouts) say
        // nothing about the latency of a healthy call, so they are not sampled.
        next = algorithm === 'aimd' ? Math.floor(limit * backoff) : limit * backoff
      } else {
        const noLoad = observe(s.now, s.meanRunMs)
        next = algorithm === 'aimd' ? aimd(s, noLoad, saturated) : algorithm === 'vegas' ? vegas(s, saturated) : gradient(s, noLoad, saturated)
      }
      limit = Math.max(min, Math.min(max, next))
      return whole()
    },
  }
}
