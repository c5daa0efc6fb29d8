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
   * The most keys remembered; past it, the oldest is forgotten (in O(1)), and
   * its next task gets a home from `fallback`. A key in use stays: a task of a
   * key in the older half of the map moves it to the young end, so a key used
   * within the last `maxKeys / 2` new or moved keys is never the one forgotten.
   * @defaultValue 10000
   */
  maxKeys?: number | undefined
}

/** A key's home: its worker, and when the entry was last put at the end of the map. */
interface Home {
  id: number
  stamp: number
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
 * The keys are a bounded map (`maxKeys`, the oldest not in use forgotten
 * first), and a worker's keys are forgotten when it exits (each at its next
 * task, without a scan), so they move to live workers. Each task costs a scan
 * of the candidates and a map lookup.
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

  // Each key's home, oldest first: Map keeps insertion order, so the first entry is the one to evict (O(1)).
  // A hit refreshes an entry (moves it to the end) only once it is in the older half, so a hot key costs
  // a lookup and no map writes; a key used in the last maxKeys / 2 refreshes or insertions is never evicted.
  const homes = new Map<string, Home>()
  let stamp = 0
  // The live workers, to read a full home's load (a full worker is not among the candidates) and to see
  // that a home has exited: its keys are then treated as homeless, and move at their next task (no scan).
  const live = new Map<number, WorkerInfo>()
  // Keys homed on each live worker, for the default fallback's spread.
  const counts = new Map<number, number>()

  const count = (id: number, by: number): void => {
    const n = counts.get(id)
    if (n !== undefined) counts.set(id, n + by)
  }
  const refresh = (key: string, home: Home): void => {
    if (home.stamp >= stamp - (maxKeys >> 1)) return
    homes.delete(key)
    home.stamp = ++stamp
    homes.set(key, home)
  }
  const assign = (key: string, home: Home | undefined, id: number): void => {
    count(id, 1)
    if (home !== undefined) {
      count(home.id, -1)
      home.id = id
      refresh(key, home)
      return
    }
    homes.set(key, { id, stamp: ++stamp })
    if (homes.size > maxKeys) {
      const [oldest, entry] = homes.entries().next().value as [string, Home]
      homes.delete(oldest)
      count(entry.id, -1)
    }
  }

  /** The default fallback: leastBusy()'s order, except that equally busy workers are ordered by the keys they are home to (for a keyed task). */
  const spread = (candidates: readonly WorkerInfo[], keyed: boolean): WorkerInfo | undefined => {
    let best = candidates[0]
    for (let i = 1; i < candidates.length; i++) {
      const c = candidates[i]!
      if (keyed && c.running === best!.running) {
        const a = counts.get(c.id) ?? 0
        const b = counts.get(best!.id) ?? 0
        if (a < b || (a === b && c.id < best!.id)) best = c
      } else if (lessBusy(c, best!)) best = c
    }
    return best
  }

  const selector: WorkerSelector = {
    select(candidates: readonly WorkerInfo[], task: TaskInfo): WorkerInfo | undefined {
      const key = keyOf(task)
      if (key === undefined) return given === undefined ? spread(candidates, false) : given.select(candidates, task)
      const home = homes.get(key)
      if (home !== undefined) {
        const id = home.id
        let found: WorkerInfo | undefined
        let least = Infinity
        for (let i = 0; i < candidates.length; i++) {
          const c = candidates[i]!
          if (c.id === id) found = c
          if (c.running < least) least = c.running
        }
        const worker = found ?? live.get(id)
        if (worker !== undefined && worker.running - least <= (maxImbalance ?? worker.capacity - 1)) {
          refresh(key, home)
          // A full home within the bound: the task waits for it.
          return found
        }
      }
      const chosen = given === undefined ? spread(candidates, true) : given.select(candidates, task)
      if (chosen !== undefined) assign(key, home, chosen.id)
      return chosen
    },
    onWorkerStarted(worker: WorkerInfo): void {
      live.set(worker.id, worker)
      counts.set(worker.id, 0)
      given?.onWorkerStarted?.(worker)
    },
    onWorkerExited(worker: WorkerInfo): void {
      live.delete(worker.id)
      counts.delete(worker.id)
      given?.onWorkerExited?.(worker)
    },
  }
  // Only where the fallback has it: a selector without onFinished costs the pool nothing per task.
  if (given?.onFinished !== undefined) selector.onFinished = (task, worker, runMs, ok) => given.onFinished!(task, worker, runMs, ok)
  return selector
}
