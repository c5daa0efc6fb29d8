import { systemClock } from '@poolkit/core'
import type { Breaker, BreakerDenial, BreakerRetry, Clock, TaskInfo } from '@poolkit/core'
import { SlidingWindow, TokenBucket } from './internal/limit-meter.js'
import type { Meter, Rate } from './internal/limit-meter.js'
import { Wakers } from './internal/limit-wake.js'
import { describe, durationOrInfinity, objectWith, oneOf, optionalFunction, optionsObject, recordOf } from './internal/validate.js'
import { readRetryAfter } from './retry-after.js'

/**
 * A rate limit for one key.
 * @public
 */
export interface RateLimit {
  /**
   * Starts per second: a number above 0 (fractions allowed: 0.5 is one start
   * every 2 s), or `Infinity` for no limit. With `algorithm: 'sliding-window'`
   * an integer (or `Infinity`).
   */
  perSecond: number
  /**
   * The token bucket's size: starts that may go at once after a quiet spell. A
   * finite number of at least 1. Ignored by the sliding window.
   * @defaultValue `max(1, perSecond)`
   */
  burst?: number | undefined
}

/**
 * Options of {@link createRateLimiter}.
 * @public
 */
export interface RateLimiterOptions {
  /**
   * Where time comes from: give the pool's clock.
   * @defaultValue core's `systemClock`
   */
  clock?: Clock | undefined
  /**
   * Limits by key.
   * @defaultValue every key gets `defaultLimit`
   */
  limits?: Readonly<Record<string, RateLimit>> | undefined
  /**
   * The limit of keys not in `limits`, and of tasks without a key. Each key
   * gets its own bucket of this size.
   * @defaultValue no limit
   */
  defaultLimit?: RateLimit | undefined
  /**
   * `'token-bucket'`: a bucket of `burst` tokens per key, refilled at
   * `perSecond`. `'sliding-window'`: at most `perSecond` starts in any 1,000 ms
   * (a log of the last `perSecond` start times per key).
   * @defaultValue `'token-bucket'`
   */
  algorithm?: 'token-bucket' | 'sliding-window' | undefined
  /**
   * Reads a failed task's error for a retry hint: milliseconds from now the
   * key should pause, or `undefined` for none.
   * @defaultValue {@link readRetryAfter}
   */
  retryAfter?: ((error: unknown) => number | undefined) | undefined
  /**
   * The longest pause a retry hint may impose (ms), so a bad header cannot stop a key for days.
   * @defaultValue 300_000 (5 minutes)
   */
  maxPauseMs?: number | undefined
}

/**
 * A rate limiter: a `Breaker` that paces the starts of each key.
 * @public
 */
export interface RateLimiter extends Breaker {
  /**
   * Changes the limit of `key` at run time: `undefined` puts the key back on
   * `defaultLimit`, `{ perSecond: Infinity }` lifts its limit. Starts already
   * made still count; a raised limit lets the key's held tasks be tried at once.
   */
  setLimit(key: string, limit: RateLimit | undefined): void
  /** Starts `key` may make now: tokens left (fractional), or room in its window; `Infinity` when unlimited. */
  tokens(key?: string): number
  /** When the pause a retry hint put on `key` ends, on the clock (ms); -1 when not paused. */
  pausedUntil(key?: string): number
}

// Idle meters are swept every so many acquires, so memory follows the keys in
// use rather than every key ever seen, at O(1) amortized per acquire.
const SWEEP_EVERY = 1024

interface Grant {
  readonly meter: Meter
  readonly at: number
  readonly startedAt: number
}

/**
 * Creates a rate limiter: a token bucket (or a sliding window) per key, so a
 * pool calling a provider never starts more requests per second than the
 * provider allows, whatever its concurrency. `acquire` takes a start of the
 * task's key or answers "not before T" (`{ retryAt: T, hold: true }`): the pool
 * holds that key's tasks with one timer while other keys keep running.
 *
 * A task that fails with a retry hint (an HTTP 429 with `Retry-After`, read by
 * `options.retryAfter`) pauses its key until then, and `onFailure` answers with
 * a retry: the pool runs the task again after the pause as the same attempt,
 * spending none of its retries. Every other failure is left to the pool.
 *
 * It reads `clock.now()` and sets no timer of its own.
 * @param options - `clock`, `limits`, `defaultLimit`, `algorithm`, `retryAfter` and `maxPauseMs`.
 * @returns A {@link RateLimiter} to pass as the pool's `breaker` option (or to {@link combine}).
 * @example
 * ```ts
 * import { createPool } from '@poolkit/core'
 * import { createRateLimiter } from '@poolkit/breaker'
 *
 * const limiter = createRateLimiter({ limits: { openai: { perSecond: 50, burst: 10 } } })
 * const pool = createPool({ handler: callProvider, concurrency: 64, breaker: limiter })
 * // At most 50 OpenAI calls a second (10 at once after a pause); a 429 pauses only "openai".
 * await pool.run(request, { key: 'openai' })
 * limiter.setLimit('openai', { perSecond: 100, burst: 20 }) // the provider raised our tier
 * ```
 * @public
 */
export function createRateLimiter(options?: RateLimiterOptions): RateLimiter {
  const o = optionsObject('options', options)
  if (o.clock !== undefined) objectWith('options.clock', o.clock, ['now'])
  const clock = o.clock ?? systemClock
  const algorithm = o.algorithm === undefined ? 'token-bucket' : oneOf('options.algorithm', o.algorithm, ['token-bucket', 'sliding-window'] as const)
  const rateOf = (path: string, value: unknown): Rate => rate(path, value, algorithm)
  const limits = new Map<string, Rate>()
  const given = recordOf('options.limits', o.limits)
  for (const key of Object.keys(given)) limits.set(key, rateOf(`options.limits[${JSON.stringify(key)}]`, given[key]))
  const defaultLimit = o.defaultLimit === undefined ? UNLIMITED : rateOf('options.defaultLimit', o.defaultLimit)
  optionalFunction('options.retryAfter', o.retryAfter)
  const retryAfter = o.retryAfter ?? ((error: unknown) => readRetryAfter(error))
  const maxPauseMs = o.maxPauseMs === undefined ? 300_000 : durationOrInfinity('options.maxPauseMs', o.maxPauseMs)

  const meters = new Map<string | undefined, Meter>()
  const paused = new Map<string | undefined, number>()
  const grants = new Map<TaskInfo, Grant>()
  const wakers = new Wakers()
  let untilSweep = SWEEP_EVERY

  const limitOf = (key: string | undefined): Rate => (key === undefined ? defaultLimit : (limits.get(key) ?? defaultLimit))
  const meterOf = (key: string | undefined, limit: Rate, now: number): Meter => {
    let meter = meters.get(key)
    if (meter === undefined) {
      meter = algorithm === 'token-bucket' ? new TokenBucket(limit, now) : new SlidingWindow(limit)
      meters.set(key, meter)
    }
    return meter
  }
  const pauseOf = (key: string | undefined, now: number): number => {
    const until = paused.get(key)
    if (until === undefined) return -1
    if (now < until) return until
    paused.delete(key)
    return -1
  }
  const sweep = (now: number): void => {
    for (const [key, meter] of meters) if (meter.idle(now)) meters.delete(key)
    for (const key of [...paused.keys()]) pauseOf(key, now)
  }

  return {
    admit: () => undefined,
    acquire(task): BreakerDenial | undefined {
      const key = task.key
      const now = clock.now()
      const until = pauseOf(key, now)
      if (until !== -1) return { retryAt: until, hold: true }
      const limit = limitOf(key)
      if (limit.perSecond === Infinity) return undefined
      if (--untilSweep === 0) {
        untilSweep = SWEEP_EVERY
        sweep(now)
      }
      const meter = meterOf(key, limit, now)
      const next = meter.take(now)
      if (next !== undefined) return { retryAt: next, hold: true }
      grants.set(task, { meter, at: now, startedAt: task.startedAt })
      return undefined
    },
    onSuccess(task) {
      grants.delete(task)
    },
    onFailure(task, error): BreakerRetry | undefined {
      grants.delete(task)
      const delay = retryAfter(error)
      if (typeof delay !== 'number' || Number.isNaN(delay)) return undefined
      const now = clock.now()
      const until = now + Math.min(Math.max(0, delay), maxPauseMs)
      const pausedUntil = Math.max(until, paused.get(task.key) ?? -Infinity)
      paused.set(task.key, pausedUntil)
      return { retryAt: pausedUntil }
    },
    onCancel(task) {
      const grant = grants.get(task)
      if (grant === undefined) return
      grants.delete(task)
      // Give the start back only when the task never started since it was
      // granted (a later policy of a combine() refused it): a task cancelled
      // while running may well have reached the provider.
      const now = clock.now()
      if (task.startedAt === grant.startedAt && now === grant.at && meters.get(task.key) === grant.meter) grant.meter.refund(now)
    },
    attach(wake) {
      wakers.add(wake)
    },
    setLimit(key, limit) {
      if (typeof key !== 'string') throw new TypeError(`setLimit(key) needs a string key, got ${describe(key)}`)
      const next = limit === undefined ? undefined : rateOf(`setLimit(${JSON.stringify(key)}, limit): limit`, limit)
      const before = limitOf(key)
      if (next === undefined) limits.delete(key)
      else limits.set(key, next)
      const after = limitOf(key)
      const now = clock.now()
      const meter = meters.get(key)
      if (meter !== undefined) {
        if (after.perSecond === Infinity) meters.delete(key)
        else meter.setRate(after, now)
      }
      if (after.perSecond > before.perSecond || after.burst > before.burst) wakers.wake(key)
    },
    tokens(key) {
      const limit = limitOf(key)
      if (limit.perSecond === Infinity) return Infinity
      const meter = meters.get(key)
      return meter === undefined ? (algorithm === 'token-bucket' ? limit.burst : limit.perSecond) : meter.available(clock.now())
    },
    pausedUntil: (key) => pauseOf(key, clock.now()),
  }
}

const UNLIMITED: Rate = { perSecond: Infinity, burst: Infinity }
/** The longest array there is: the most starts a sliding window can log. */
const MAX_WINDOW = 2 ** 32 - 1

/** Checks a `RateLimit` and fills in its default burst. */
function rate(path: string, value: unknown, algorithm: 'token-bucket' | 'sliding-window'): Rate {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${path} must be an object like { perSecond: 10 }, got ${describe(value)}`)
  }
  const { perSecond, burst } = value as { perSecond?: unknown; burst?: unknown }
  if (typeof perSecond !== 'number' || Number.isNaN(perSecond) || perSecond <= 0) {
    throw new TypeError(`${path}.perSecond must be a number above 0 or Infinity, got ${describe(perSecond)}`)
  }
  if (perSecond === Infinity) return UNLIMITED
  if (algorithm === 'sliding-window' && !Number.isInteger(perSecond)) {
    throw new RangeError(`${path}.perSecond must be an integer with algorithm 'sliding-window' (starts in any 1,000 ms), got ${perSecond}`)
  }
  // The window logs one start time per start it allows, in an array.
  if (algorithm === 'sliding-window' && perSecond > MAX_WINDOW) {
    throw new RangeError(`${path}.perSecond must be at most ${MAX_WINDOW} with algorithm 'sliding-window' (or Infinity for no limit), got ${perSecond}`)
  }
  if (burst !== undefined && (typeof burst !== 'number' || !Number.isFinite(burst) || burst < 1)) {
    throw new TypeError(`${path}.burst must be a finite number of at least 1, got ${describe(burst)}`)
  }
  return { perSecond, burst: burst ?? Math.max(1, perSecond) }
}
