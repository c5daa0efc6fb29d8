import { systemClock } from '@poolkit/core'
import type { Breaker, BreakerDenial, BreakerRetry, Clock, KeyFunction, TaskInfo } from '@poolkit/core'
import { SlidingWindow, TokenBucket } from './internal/limit-meter.js'
import type { Meter, Rate } from './internal/limit-meter.js'
import { Wakers } from './internal/limit-wake.js'
import { OrderList } from './internal/order-list.js'
import type { Linked } from './internal/order-list.js'
import { describe, durationOrInfinity, keyFunction, objectWith, oneOf, optionalFunction, optionsObject, positiveIntegerOrInfinity, recordOf } from './internal/validate.js'
import { readRetryAfter } from './retry-after.js'

/**
 * A rate limit for one key.
 * @public
 */
export interface RateLimit {
  /**
   * Starts per second: a number above 0 (fractions allowed: 0.5 is one start
   * every 2 s), or `Infinity` for no limit. With `algorithm: 'sliding-window'`
   * an integer up to 2^32 - 1 (or `Infinity`); its memory does not grow with it.
   */
  perSecond: number
  /**
   * The token bucket's size: starts that may go at once after a quiet spell. A
   * finite number of at least 1. Ignored by the sliding window.
   *
   * The trade-off: a bigger burst serves a spike sooner, but any 1,000 ms may
   * then hold up to `burst + perSecond` starts, and after a quiet spell the
   * burst drains the provider's own bucket by as much. When `burst` matches
   * the provider's bucket (a second's worth, against a provider that allows
   * `perSecond` with a bucket of `perSecond`), its bucket is left empty and any
   * mismatch (its refill steps, its clock, network jitter, another client on
   * the same quota) draws a 429, each pausing the key for the whole
   * `Retry-After`. The default, 100 ms worth, keeps 90% of such a bucket as
   * headroom and still absorbs timer lateness and event-loop stalls of up to
   * 100 ms without losing rate. Against a provider that counts a strict 1 s
   * window, set `perSecond` a little under its limit, or use
   * `algorithm: 'sliding-window'`.
   * @defaultValue `max(1, perSecond / 10)` (100 ms worth of starts)
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
   * (a log of the key's starts in the last second, one entry per millisecond
   * that had any: at most 1,001 entries a key, whatever `perSecond`; a start
   * counts until the end of its millisecond + 1,000 ms).
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
  /**
   * Keys tracked at most: keys with a meter, and, separately, keys with a
   * retry pause. A meter with nothing left that counts (a full bucket, an
   * empty window) whose key made no start for a second is dropped as new keys
   * come (at the cap, any meter with nothing left that counts). When every
   * meter at the cap still counts, a new key's task waits (held, not refused)
   * until one has nothing left, as forgetting one early would let its key go
   * over its limit. A new pause at the cap drops the oldest pause, which then
   * ends early. A positive integer or `Infinity`.
   * @defaultValue 100_000
   */
  maxKeys?: number | undefined
  /**
   * The key a task is paced under (its limit, its meter, its retry pause): for
   * example `(task) => task.labels?.provider` in a pool whose fair queue shares
   * by tenant (the task's `key`). Called as tasks start and fail; the key a
   * task was granted its start under is kept with the grant, so a refund or a
   * 429's pause lands on the key that paid for the start.
   * @defaultValue the task's `key`
   */
  key?: KeyFunction | undefined
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
  /** Starts `key` (as `options.key` returns it) may make now: tokens left (fractional), or room in its window; `Infinity` when unlimited. */
  tokens(key?: string): number
  /** When the pause a retry hint put on `key` ends, on the clock (ms); -1 when not paused. */
  pausedUntil(key?: string): number
}

// Meters are looked at in turn, round a ring: a new key looks at this many,
// and every TIDY_EVERY-th start of a known key at one, so idle meters go at
// O(1) per task. Below the cap a meter stays while its key asked for a start
// in the last KEEP_MS (a busy key keeps its meter: no churn of meters whose
// bucket refills between two starts); at the cap any idle one may go.
const LOOK = 4
const TIDY_EVERY = 32
const KEEP_MS = 1000

/** A retry hint's pause of one key, linked into the order pauses were set in. */
interface Pause extends Linked<Pause> {
  readonly key: string | undefined
  until: number
}

interface Grant {
  readonly key: string | undefined
  readonly meter: Meter
  readonly at: number
  readonly startedAt: number
}

/**
 * Creates a rate limiter: a token bucket (or a sliding window) per key, so a
 * pool calling a provider never starts more requests per second than the
 * provider allows, whatever its concurrency. `acquire` takes a start of the
 * task's key (or of what `options.key` returns for it) or answers "not before
 * T" (`{ retryAt: T, hold: true }`): the pool holds the task with one timer per
 * key while other keys keep running.
 *
 * A task that fails with a retry hint (an HTTP 429 with `Retry-After`, read by
 * `options.retryAfter`) pauses its key until then, and `onFailure` answers with
 * a retry: the pool runs the task again after the pause as the same attempt,
 * spending none of its retries. Every other failure is left to the pool.
 *
 * It reads `clock.now()` and sets no timer of its own. It tracks at most
 * `maxKeys` keys, each at O(1) cost per task.
 * @param options - `clock`, `limits`, `defaultLimit`, `algorithm`, `retryAfter`, `maxPauseMs`, `maxKeys` and `key`.
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
  const maxKeys = o.maxKeys === undefined ? 100_000 : positiveIntegerOrInfinity('options.maxKeys', o.maxKeys)
  const keyFn = keyFunction('options.key', o.key)
  const keyOf = (task: TaskInfo): string | undefined => (keyFn === undefined ? task.key : keyFn(task))

  // Meters by key, and in a ring the limiter looks round; pauses by key, and
  // in the order they were set. Both capped at maxKeys, each step O(1).
  const meters = new Map<string | undefined, Meter>()
  const ring = new OrderList<Meter>()
  const paused = new Map<string | undefined, Pause>()
  const pauseOrder = new OrderList<Pause>()
  const grants = new Map<TaskInfo, Grant>()
  const wakers = new Wakers()
  let untilTidy = TIDY_EVERY

  const limitOf = (key: string | undefined): Rate => (key === undefined ? defaultLimit : (limits.get(key) ?? defaultLimit))
  const dropMeter = (meter: Meter): void => {
    ring.remove(meter)
    meters.delete(meter.key)
  }
  /**
   * Looks at up to `n` meters at the front of the ring: drops one that is idle
   * (nothing taken still counts: it is as good as a new one) and unused for
   * KEEP_MS (any idle one at the cap), and moves the others to the back.
   * Returns the earliest time one of those it kept will be idle.
   */
  const look = (now: number, n: number): number => {
    let idleAt = Infinity
    for (let i = 0; i < n; i++) {
      const meter = ring.first
      if (meter === undefined) break
      if (meter.idle(now) && (meters.size >= maxKeys || now - meter.usedAt >= KEEP_MS)) {
        dropMeter(meter)
        continue
      }
      idleAt = Math.min(idleAt, meter.idleAt(now))
      ring.push(meter)
    }
    return idleAt
  }
  const pauseOf = (key: string | undefined, now: number): number => {
    const entry = paused.get(key)
    if (entry === undefined) return -1
    if (now < entry.until) return entry.until
    pauseOrder.remove(entry)
    paused.delete(key)
    return -1
  }
  /** Pauses `key` until `until` (or later, if it already was); returns when its pause ends. */
  const pause = (key: string | undefined, until: number, now: number): number => {
    const current = paused.get(key)
    if (current !== undefined) {
      current.until = Math.max(current.until, until)
      pauseOrder.push(current)
      return current.until
    }
    // Pauses that ended go from the front (O(1) amortized); at the cap the oldest goes, ended or not.
    for (let first = pauseOrder.first; first !== undefined; first = pauseOrder.first) {
      if (first.until > now && paused.size < maxKeys) break
      pauseOrder.remove(first)
      paused.delete(first.key)
    }
    const entry: Pause = { key, until, prev: undefined, next: undefined, listed: false }
    paused.set(key, entry)
    pauseOrder.push(entry)
    return until
  }

  return {
    admit: () => undefined,
    acquire(task): BreakerDenial | undefined {
      const key = keyOf(task)
      const now = clock.now()
      const until = pauseOf(key, now)
      if (until !== -1) return { retryAt: until, hold: true }
      const limit = limitOf(key)
      if (limit.perSecond === Infinity) return undefined
      // Tidy before the lookup, so a start never lands on a meter just dropped.
      if (--untilTidy === 0) {
        untilTidy = TIDY_EVERY
        look(now, 1)
      }
      let meter = meters.get(key)
      if (meter === undefined) {
        const idleAt = look(now, LOOK)
        // At the cap with every meter it looked at still counting: forgetting
        // one would let its key go over its limit, so the new key waits.
        if (meters.size >= maxKeys) return { retryAt: idleAt, hold: true }
        meter = algorithm === 'token-bucket' ? new TokenBucket(key, limit, now) : new SlidingWindow(key, limit)
        meters.set(key, meter)
        ring.push(meter)
      }
      meter.usedAt = now
      const next = meter.take(now)
      if (next !== undefined) return { retryAt: next, hold: true }
      grants.set(task, { key, meter, at: now, startedAt: task.startedAt })
      return undefined
    },
    onSuccess(task) {
      grants.delete(task)
    },
    onFailure(task, error): BreakerRetry | undefined {
      const grant = grants.get(task)
      grants.delete(task)
      const delay = retryAfter(error)
      if (typeof delay !== 'number' || Number.isNaN(delay)) return undefined
      const now = clock.now()
      const until = now + Math.min(Math.max(0, delay), maxPauseMs)
      // The key that granted the start (an unlimited key grants without a record: ask again).
      return { retryAt: pause(grant === undefined ? keyOf(task) : grant.key, until, now) }
    },
    onCancel(task) {
      const grant = grants.get(task)
      if (grant === undefined) return
      grants.delete(task)
      // Give the start back only when the task never started since it was
      // granted (a later policy of a combine() refused it): a task cancelled
      // while running may well have reached the provider.
      const now = clock.now()
      if (task.startedAt === grant.startedAt && now === grant.at && meters.get(grant.key) === grant.meter) grant.meter.refund(now)
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
        if (after.perSecond === Infinity) dropMeter(meter)
        else meter.setRate(after, now)
      }
      // With a key function the pools hold the key's tasks under their own keys: wake every key.
      if (after.perSecond > before.perSecond || after.burst > before.burst) wakers.wake(keyFn === undefined ? key : undefined)
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
/** The largest `perSecond` a sliding window takes (its memory does not depend on it: one entry per millisecond). */
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
  if (algorithm === 'sliding-window' && perSecond > MAX_WINDOW) {
    throw new RangeError(`${path}.perSecond must be at most ${MAX_WINDOW} with algorithm 'sliding-window' (or Infinity for no limit), got ${perSecond}`)
  }
  if (burst !== undefined && (typeof burst !== 'number' || !Number.isFinite(burst) || burst < 1)) {
    throw new TypeError(`${path}.burst must be a finite number of at least 1, got ${describe(burst)}`)
  }
  // 100 ms worth of starts: see RateLimit.burst for why not a second's worth.
  return { perSecond, burst: burst ?? Math.max(1, perSecond / 10) }
}
