import type { TaskInfo, WorkerInfo, WorkerSelector } from '@poolkit/core'
import { checkFunction, checkNonNegativeIntegerOrInfinity, checkObjectWith, checkOptionsObject, checkPositiveInteger } from '@poolkit/core/validate'
import { lessBusy } from './internal/order.js'

/**
 * Options of {@link affinity}.
 * @public
 */
export interface AffinityOptions {
  /**
   * The task's affinity key: tasks with the same key go to the same worker.
   * Tasks whose key is `undefined` go to `fallback`. It must not throw (a throw
   * is reported on the pool's `error` event and sets the task aside).
   * @defaultValue the task's `key` (`pool.run(input, { key })`)
   */
  key?: ((task: TaskInfo) => string | undefined) | undefined
  /**
   * Picks the worker for tasks without a key, for a key without a home, and for
   * a key whose home is too loaded; the worker it picks becomes the key's home.
   * Its own hooks are called as the pool would call them.
   * @defaultValue `leastBusy()`'s order (fewest running tasks, then the lowest
   * id), except that between equally busy workers a key goes to the one that is
   * home to fewer keys: in a pool with idle workers, new keys spread over them
   * instead of all settling on the lowest id
   */
  fallback?: WorkerSelector | undefined
  /**
   * How many more running tasks than the least loaded candidate a key's home
   * may hold and still get the key's tasks (a non-negative integer, or
   * `Infinity` to keep every key on its home while the home lives). While the
   * home is within this bound but full, the task waits aside for it (the
   * tasks behind it go on); past the bound, `fallback` picks a new home.
   * @defaultValue one less than the home's capacity: with one task per worker
   * (in-process pools, `prefetch: 0`) a busy home never holds a task back while
   * another worker is idle; with `threads()`' prefetch window a home keeps its
   * keys while it is at most a window ahead of the least loaded worker.
   */
  maxImbalance?: number | undefined
  /**
   * The most keys remembered; past it, the key used least recently is
   * forgotten (in O(1)), and its next task gets a home from `fallback`.
   * @defaultValue 10000
   */
  maxKeys?: number | undefined
}

/**
 * Key affinity: tasks with the same key go to the worker that last served that
 * key (its home) while the home lives and is not overloaded, so whatever the
 * worker keeps per key (a parsed schema, a compiled template, a connection, a
 * warm cache) is reused. A key's first task, a key whose home exited, and a key
 * whose home holds more than `maxImbalance` running tasks over the least
 * loaded candidate get a new home from `fallback`; tasks without a key always
 * go to `fallback`.
 *
 * The keys are a bounded map (`maxKeys`, least recently used forgotten first),
 * and a worker's keys are forgotten when it exits, so they move to live
 * workers. Each task costs a scan of the candidates and a map lookup.
 * Affinity trades balance for locality: many tasks of one hot key pile onto
 * its home up to the bound, so keep the bound small where balance matters
 * more than cache hits. poolifier has no equivalent.
 * @param options - see {@link AffinityOptions}; each is checked now.
 * @returns A `WorkerSelector` to pass as the pool's `selector` option.
 * @example
 * ```ts
 * import { createPool } from '@poolkit/core'
 * import { threads } from '@poolkit/node-adapter'
 * import { affinity } from '@poolkit/routing'
 *
 * // Each tenant's tasks run on the worker that has its schema compiled.
 * const pool = createPool({ executor: threads(new URL('./validate.worker.js', import.meta.url)), concurrency: 4, selector: affinity() })
 * await pool.run(document, { key: tenantId })
 * ```
 * @public
 */
export function affinity(options?: AffinityOptions): WorkerSelector {
  const o = checkOptionsObject('options', options)
  if (o.key !== undefined) checkFunction('options.key', o.key)
  const keyOf = o.key ?? ((task: TaskInfo) => task.key)
  if (o.fallback !== undefined) checkObjectWith('options.fallback', o.fallback, ['select'])
  const given = o.fallback
  const maxImbalance = o.maxImbalance === undefined ? undefined : checkNonNegativeIntegerOrInfinity('options.maxImbalance', o.maxImbalance)
  const maxKeys = o.maxKeys === undefined ? 10_000 : checkPositiveInteger('options.maxKeys', o.maxKeys)

  // Each key's home (a worker id), least recently used first: Map keeps insertion order.
  const homes = new Map<string, number>()
  // The keys of each live worker, to forget them when it exits.
  const keysOf = new Map<number, Set<string>>()
  // The live workers, to read a full home's load (a full worker is not among the candidates).
  const live = new Map<number, WorkerInfo>()

  const forget = (key: string, id: number): void => {
    homes.delete(key)
    keysOf.get(id)?.delete(key)
  }
  const home = (key: string, id: number): void => {
    const before = homes.get(key)
    if (before !== undefined) forget(key, before)
    homes.set(key, id)
    let keys = keysOf.get(id)
    if (keys === undefined) keysOf.set(id, (keys = new Set()))
    keys.add(key)
    if (homes.size > maxKeys) {
      const oldest = homes.keys().next().value as string
      forget(oldest, homes.get(oldest)!)
    }
  }

  const homeTo = (worker: WorkerInfo): number => keysOf.get(worker.id)?.size ?? 0
  /** The default fallback: leastBusy()'s order, except that equally busy workers are ordered by the keys they are home to (for a keyed task). */
  const spread = (candidates: readonly WorkerInfo[], keyed: boolean): WorkerInfo | undefined => {
    let best = candidates[0]
    for (let i = 1; i < candidates.length; i++) {
      const c = candidates[i]!
      if (keyed && c.running === best!.running) {
        const a = homeTo(c)
        const b = homeTo(best!)
        if (a < b || (a === b && c.id < best!.id)) best = c
      } else if (lessBusy(c, best!)) best = c
    }
    return best
  }

  const selector: WorkerSelector = {
    select(candidates: readonly WorkerInfo[], task: TaskInfo): WorkerInfo | undefined {
      const key = keyOf(task)
      if (key === undefined) return given === undefined ? spread(candidates, false) : given.select(candidates, task)
      const id = homes.get(key)
      if (id !== undefined) {
        let found: WorkerInfo | undefined
        let least = Infinity
        for (let i = 0; i < candidates.length; i++) {
          const c = candidates[i]!
          if (c.id === id) found = c
          if (c.running < least) least = c.running
        }
        const worker = found ?? live.get(id)
        if (worker !== undefined && worker.running - least <= (maxImbalance ?? worker.capacity - 1)) {
          // Used now: the most recent key (a delete and a set move it to the end of the map).
          homes.delete(key)
          homes.set(key, id)
          // A full home within the bound: the task waits for it.
          return found
        }
      }
      const chosen = given === undefined ? spread(candidates, true) : given.select(candidates, task)
      if (chosen !== undefined) home(key, chosen.id)
      return chosen
    },
    onWorkerStarted(worker: WorkerInfo): void {
      live.set(worker.id, worker)
      given?.onWorkerStarted?.(worker)
    },
    onWorkerExited(worker: WorkerInfo): void {
      live.delete(worker.id)
      const keys = keysOf.get(worker.id)
      if (keys !== undefined) {
        for (const key of keys) homes.delete(key)
        keysOf.delete(worker.id)
      }
      given?.onWorkerExited?.(worker)
    },
  }
  // Only where the fallback has it: a selector without onFinished costs the pool nothing per task.
  if (given?.onFinished !== undefined) selector.onFinished = (task, worker, runMs, ok) => given.onFinished!(task, worker, runMs, ok)
  return selector
}
