import { QueueFullError } from '@poolkit/core'
import type { Breaker, BreakerDenial, KeyFunction, TaskInfo } from '@poolkit/core'
import { Wakers } from './internal/limit-wake.js'
import { describe, keyFunction, nonNegativeIntegerOrInfinity, optionsObject, recordOf } from './internal/validate.js'

/**
 * Options of {@link createBulkhead}.
 * @public
 */
export interface BulkheadOptions {
  /**
   * Tasks of each key that may run at once, by key: a non-negative integer or
   * `Infinity` (0 holds every task of the key until `setLimit` raises it).
   * @defaultValue every key gets `defaultLimit`
   */
  limits?: Readonly<Record<string, number>> | undefined
  /**
   * The limit of keys not in `limits`, and of tasks without a key (they share one line).
   * @defaultValue `Infinity`
   */
  defaultLimit?: number | undefined
  /**
   * Admitted tasks of a key beyond its limit that may wait for a permit. Past
   * it, `admit` refuses the task with core's `QueueFullError(queuePerKey, { key })`,
   * so one key cannot fill the pool's queue either. A task counts from its
   * admission until it settles, retries and holds included.
   * @defaultValue `Infinity`
   */
  queuePerKey?: number | undefined
  /**
   * The key a task counts under (its line, its limit): for example
   * `(task) => task.labels?.provider` in a pool whose fair queue shares by
   * tenant (the task's `key`). Called as tasks are admitted and started; the
   * key a task was admitted and started under is kept with it, so its permit
   * and its place in line go back where they came from.
   * @defaultValue the task's `key`
   */
  key?: KeyFunction | undefined
}

/**
 * A bulkhead: a `Breaker` that caps how many tasks of each key run at once.
 * @public
 */
export interface Bulkhead extends Breaker {
  /** Tasks of `key` holding a permit now; `undefined` for tasks without a key. Keys are what the `key` option returns. */
  running(key?: string): number
  /** Tasks of `key` admitted and not holding a permit (queued, held, or between attempts). */
  waiting(key?: string): number
  /** The limit in force for `key`. */
  limit(key?: string): number
  /**
   * Changes the limit of `key` at run time: `undefined` puts the key back on
   * `defaultLimit` and forgets it (limits set for keys that come and go are
   * kept until then). Raising it lets held tasks of the key start at once;
   * lowering it lets running tasks finish and starts no new one until the key
   * is under its new limit.
   */
  setLimit(key: string, limit: number | undefined): void
}

interface Line {
  running: number
  waiting: number
  /** A task of the key was held for want of a permit since the last wake. */
  blocked: boolean
  /** With a key function: the tasks' own keys it held (pools hold tasks by those), to wake. */
  blockedKeys: Set<string | undefined> | undefined
}

/**
 * Creates a bulkhead: per-key concurrency limits inside one pool, so a slow or
 * failing provider cannot take the workers other keys need. `acquire` takes a
 * permit of the task's key (or of what `options.key` returns for it) or holds
 * the task (`{ retryAt: Infinity, hold: true }`) until a permit comes back:
 * when a task of the key succeeds, fails or is cancelled, the bulkhead wakes
 * the tasks it held for that key in every pool it guards, and those pools try
 * them again while other keys keep running.
 *
 * One bulkhead may guard several pools; the limits are then shared by all of them.
 * @param options - `limits`, `defaultLimit`, `queuePerKey` and `key`.
 * @returns A {@link Bulkhead} to pass as the pool's `breaker` option (or to {@link combine}).
 * @example
 * ```ts
 * import { createPool } from '@poolkit/core'
 * import { createBulkhead } from '@poolkit/breaker'
 *
 * const bulkhead = createBulkhead({ limits: { openai: 10, anthropic: 5 }, queuePerKey: 1000 })
 * const pool = createPool({ handler: callProvider, concurrency: 16, breaker: bulkhead })
 * // However slow OpenAI gets, at most 10 of the 16 workers wait on it.
 * await pool.run(request, { key: 'anthropic' })
 * ```
 * @public
 */
export function createBulkhead(options?: BulkheadOptions): Bulkhead {
  const o = optionsObject('options', options)
  const limits = new Map<string, number>()
  const given = recordOf('options.limits', o.limits)
  for (const key of Object.keys(given)) {
    limits.set(key, nonNegativeIntegerOrInfinity(`options.limits[${JSON.stringify(key)}]`, given[key]))
  }
  const defaultLimit = o.defaultLimit === undefined ? Infinity : nonNegativeIntegerOrInfinity('options.defaultLimit', o.defaultLimit)
  const queuePerKey = o.queuePerKey === undefined ? Infinity : nonNegativeIntegerOrInfinity('options.queuePerKey', o.queuePerKey)
  const keyFn = keyFunction('options.key', o.key)
  const keyOf = (task: TaskInfo): string | undefined => (keyFn === undefined ? task.key : keyFn(task))

  // Only keys with running or waiting tasks have a line, so memory follows the
  // tasks admitted and running (which the pool bounds), not every key ever
  // seen; every call is a map lookup or two, whatever the number of keys.
  const lines = new Map<string | undefined, Line>()
  // Tasks this bulkhead admitted (until they settle) and tasks holding a
  // permit, each with the key it counts under (asked of the key function once).
  const admitted = new Map<TaskInfo, string | undefined>()
  const permits = new Map<TaskInfo, string | undefined>()
  const wakers = new Wakers()

  const limitOf = (key: string | undefined): number => (key === undefined ? defaultLimit : (limits.get(key) ?? defaultLimit))
  const lineOf = (key: string | undefined): Line => {
    let line = lines.get(key)
    if (line === undefined) {
      line = { running: 0, waiting: 0, blocked: false, blockedKeys: undefined }
      lines.set(key, line)
    }
    return line
  }
  const prune = (key: string | undefined, line: Line): void => {
    // A key with nothing running has nobody to wait for: `blocked` matters only while tasks run.
    if (line.running === 0 && line.waiting === 0) lines.delete(key)
  }

  /** Wakes the tasks a line held: by the line's key, or with a key function by the tasks' own keys. */
  const wakeLine = (key: string | undefined, line: Line): void => {
    if (keyFn === undefined) {
      wakers.wake(key)
      return
    }
    // Taken before waking: the wake re-enters acquire, and tasks held again start a new set.
    const keys = line.blockedKeys
    line.blockedKeys = undefined
    if (keys === undefined) wakers.wake(undefined)
    else wakers.wakeEach(keys)
  }

  const giveBack = (task: TaskInfo): void => {
    if (!permits.has(task)) return
    const key = permits.get(task)
    permits.delete(task)
    const line = lineOf(key)
    line.running--
    // Until it settles, an admitted task between attempts waits again.
    if (admitted.has(task)) line.waiting++
    // Wake only a key that has tasks held for a permit: a permit handed back
    // because a later policy of a combine() refused the task must not release
    // the key's held tasks into the very dispatch loop that refused it.
    if (line.blocked && line.running < limitOf(key)) {
      line.blocked = false
      prune(key, line)
      wakeLine(key, line)
    } else {
      prune(key, line)
    }
  }

  return {
    admit(task): BreakerDenial | undefined {
      const known = admitted.has(task)
      const key = known ? admitted.get(task) : keyOf(task)
      const line = lines.get(key)
      if (line !== undefined && line.running + line.waiting >= limitOf(key) + queuePerKey) {
        return { retryAt: Infinity, error: new QueueFullError(queuePerKey, key === undefined ? {} : { key }) }
      }
      if (!known) {
        admitted.set(task, key)
        lineOf(key).waiting++
      }
      return undefined
    },
    acquire(task): BreakerDenial | undefined {
      if (permits.has(task)) return undefined
      // An admitted task counts under the key it was admitted with.
      const key = admitted.has(task) ? admitted.get(task) : keyOf(task)
      const line = lineOf(key)
      if (line.running >= limitOf(key)) {
        line.blocked = true
        if (keyFn !== undefined) (line.blockedKeys ??= new Set()).add(task.key)
        // Nothing of the key runs (a limit of 0), so no permit can come back to
        // wake it: only setLimit can, and it wakes the key whatever the line says.
        prune(key, line)
        return { retryAt: Infinity, hold: true }
      }
      line.running++
      if (admitted.has(task)) line.waiting--
      permits.set(task, key)
      return undefined
    },
    onSuccess: giveBack,
    onFailure(task) {
      giveBack(task)
    },
    onCancel: giveBack,
    onSettled(task) {
      // The contract gives the permit back first; this covers a caller that did not.
      giveBack(task)
      if (!admitted.has(task)) return
      const key = admitted.get(task)
      admitted.delete(task)
      const line = lineOf(key)
      line.waiting--
      prune(key, line)
    },
    attach(wake) {
      wakers.add(wake)
    },
    running: (key) => lines.get(key)?.running ?? 0,
    waiting: (key) => lines.get(key)?.waiting ?? 0,
    limit: (key) => limitOf(key),
    setLimit(key, limit) {
      if (typeof key !== 'string') throw new TypeError(`setLimit(key) needs a string key, got ${describe(key)}`)
      const path = `setLimit(${JSON.stringify(key)}, limit): limit`
      const next = limit === undefined ? defaultLimit : nonNegativeIntegerOrInfinity(path, limit)
      const before = limitOf(key)
      if (limit === undefined) limits.delete(key)
      else limits.set(key, next)
      if (next > before) {
        const line = lines.get(key)
        if (line !== undefined) {
          line.blocked = false
          line.blockedKeys = undefined
          prune(key, line)
        }
        // With a key function the pools hold the key's tasks under their own keys: wake every key.
        wakers.wake(keyFn === undefined ? key : undefined)
      }
    },
  }
}
