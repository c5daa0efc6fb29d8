import type { TaskInfo, WorkerInfo, WorkerSelector } from '@poolkit/core'
import { checkOptionsObject, checkPositiveInteger, checkPositiveIntegerOrInfinity, describeValue } from '@poolkit/core/validate'
import { lessBusy } from './internal/order.js'

/**
 * Options of {@link predictive}.
 * @public
 */
export interface PredictiveOptions {
  /**
   * The weight of each new run time in a worker's mean for a task name (the
   * smoothing factor of an exponentially weighted mean): higher follows changes
   * faster, lower smooths out noise. A number above 0 and at most 1 (1 keeps
   * only the last run time).
   * @defaultValue 0.2
   */
  alpha?: number | undefined
  /**
   * Re-probing: a candidate that has been neither picked for a task name nor
   * finished one during the last `explore` picks of that name is picked next,
   * so an estimate from long ago (a worker that was slow for a while, one that
   * lost to the others while the pool was idle) is measured again, and its
   * first run time replaces its old mean. A candidate never measured for the
   * name is picked at once (a new worker, a replacement). A positive integer,
   * or `Infinity` to never re-probe: then a worker without history for a name
   * gets the mean of the others' means, and a worker whose estimate lost may
   * wait for a busy pool to be measured again.
   * @defaultValue 1000: a worker the estimates avoid gets at most 1 task in
   * 1,001 of a name, below the 1% of tasks a p99 latency is made of
   */
  explore?: number | undefined
  /**
   * The most task names remembered per worker (and names counted for
   * `explore`); past it, the name measured or picked least recently is
   * forgotten, in O(1).
   * @defaultValue 256
   */
  maxNames?: number | undefined
}

/** What a worker has shown for one task name. */
interface Estimate {
  /** The weighted mean run time (ms); NaN while it was picked for the name but no run has ended. */
  mean: number
  /** The name's pick count when the worker was last picked for it or finished one. */
  touched: number
  /** The name's pick count when its mean last took a run time. */
  measured: number
}

/** One worker's estimates by task name (least recently used first) and the end of its last run. */
interface Peer {
  readonly names: Map<string | undefined, Estimate>
  lastEnd: number
}

function checkAlpha(value: unknown): number {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    throw new TypeError(`options.alpha must be a number above 0 and at most 1, got ${describeValue(value)}`)
  }
  return value
}

/**
 * Predictive: each task goes to the candidate expected to finish it first,
 * from how long that worker took for tasks of the same name recently (the
 * task's `name`; tasks without one share one bucket), and how many tasks it
 * holds. Workers of unequal speed (a slower machine, a worker that shares its
 * core, one slowed by its own state) get work by their speed, task name by
 * name, and a slow worker's queue stays short.
 *
 * Per task, a candidate due for a re-probe comes first (unless `explore` is
 * `Infinity`; see {@link PredictiveOptions.explore}): one never measured for
 * the task's name, or neither picked nor measured for it during the last
 * `explore` picks of the name, takes the task (the one left out longest
 * first, ties to {@link leastBusy}'s order). Otherwise the candidate with the
 * least expected completion time `mean × (running + 1)` takes it: the worker's
 * mean run time for the name, times the tasks it holds now plus this one (it
 * runs its held tasks, then this one). A worker picked for the name but not
 * yet measured counts the mean of the other workers' means for it, or 0 when
 * none has one. Ties go to the fewest running tasks, then the lowest id.
 *
 * The mean is exponentially weighted (`alpha`) over each attempt that ended on
 * the worker (`onFinished`), failed, timed out and cancelled ones too: an
 * attempt counts as the time from its start, or from the end of the previous
 * attempt on the same worker if that is later, to its end. For a worker that
 * runs one task at a time this is its run time; for one that holds tasks ahead
 * (`threads()`' `prefetch`) it leaves out the time a task waited behind the
 * others, which `running` already counts. A failed attempt counts as at least
 * the worker's estimate for the name (its mean, or the others' while it has
 * none), so a worker that fails at once never looks fast.
 *
 * Its state, per live worker, is a mean per task name, at most `maxNames`
 * (least recently used forgotten first, in O(1)), dropped when the worker
 * exits. Each task costs a scan of the candidates, and of the live workers
 * while a candidate has no mean for the name yet. With one task per worker
 * (in-process pools, `prefetch: 0`) it chooses among the idle workers only, so
 * it helps when several are idle; with workers that hold several tasks each it
 * also keeps a slow worker's queue short. poolifier has no exact equivalent
 * (its `FAIR_SHARE` orders by each worker's expected end from its mean run
 * time, over all tasks).
 * @param options - see {@link PredictiveOptions}; each is checked now.
 * @returns A `WorkerSelector` to pass as the pool's `selector` option.
 * @example
 * ```ts
 * import { createPool } from '@poolkit/core'
 * import { threads } from '@poolkit/node-adapter'
 * import { predictive } from '@poolkit/routing'
 *
 * const pool = createPool({ executor: threads(new URL('./worker.js', import.meta.url)), concurrency: 4, selector: predictive() })
 * await pool.run(image, { name: 'resize' })
 * ```
 * @public
 */
export function predictive(options?: PredictiveOptions): WorkerSelector {
  const o = checkOptionsObject('options', options)
  const alpha = o.alpha === undefined ? 0.2 : checkAlpha(o.alpha)
  const explore = o.explore === undefined ? 1000 : checkPositiveIntegerOrInfinity('options.explore', o.explore)
  const maxNames = o.maxNames === undefined ? 256 : checkPositiveInteger('options.maxNames', o.maxNames)

  const peers = new Map<number, Peer>()
  // Picks so far per task name, least recently picked first.
  const picks = new Map<string | undefined, number>()

  const peerOf = (worker: WorkerInfo): Peer => {
    let peer = peers.get(worker.id)
    if (peer === undefined) peers.set(worker.id, (peer = { names: new Map(), lastEnd: -Infinity }))
    return peer
  }
  /** Moves `name` to the most recent end of `map`, and forgets the least recent past `maxNames`. */
  const use = <V>(map: Map<string | undefined, V>, name: string | undefined, value: V): void => {
    map.delete(name)
    map.set(name, value)
    if (map.size > maxNames) map.delete(map.keys().next().value)
  }
  /** The mean of the workers' measured means for `name`, or 0 when none has one. */
  const othersMean = (name: string | undefined): number => {
    let sum = 0
    let count = 0
    for (const peer of peers.values()) {
      const mean = peer.names.get(name)?.mean
      if (mean !== undefined && !Number.isNaN(mean)) {
        sum += mean
        count++
      }
    }
    return count > 0 ? sum / count : 0
  }

  return {
    select(candidates: readonly WorkerInfo[], task: TaskInfo): WorkerInfo | undefined {
      const name = task.name
      const count = picks.get(name) ?? 0
      use(picks, name, count + 1)

      let chosen: WorkerInfo | undefined
      if (explore !== Infinity) {
        // The candidate left out longest, if it is past the bound (one never measured: at once).
        let age = -1
        for (let i = 0; i < candidates.length; i++) {
          const c = candidates[i]!
          const e = peerOf(c).names.get(name)
          // A count below `touched` means the name's count was forgotten and started again: the estimate is old.
          const a = e === undefined || e.touched > count ? Infinity : count - e.touched
          if (a >= explore && (a > age || (a === age && lessBusy(c, chosen!)))) {
            chosen = c
            age = a
          }
        }
      }
      if (chosen === undefined) {
        let fallback: number | undefined
        let best = Infinity
        for (let i = 0; i < candidates.length; i++) {
          const c = candidates[i]!
          let mean = peerOf(c).names.get(name)?.mean
          if (mean === undefined || Number.isNaN(mean)) mean = fallback ??= othersMean(name)
          const expected = mean * (c.running + 1)
          if (chosen === undefined || expected < best || (expected === best && lessBusy(c, chosen))) {
            chosen = c
            best = expected
          }
        }
        if (chosen === undefined) return undefined
      }
      const names = peerOf(chosen).names
      const e = names.get(name)
      if (e === undefined) use(names, name, { mean: NaN, touched: count + 1, measured: count + 1 })
      else e.touched = count + 1
      return chosen
    },
    onWorkerStarted(worker: WorkerInfo): void {
      peerOf(worker)
    },
    onWorkerExited(worker: WorkerInfo): void {
      peers.delete(worker.id)
    },
    onFinished(task: TaskInfo, worker: WorkerInfo, runMs: number, ok: boolean): void {
      // Only workers the pool announced or offered: a late report about an exited worker adds nothing back.
      const peer = peers.get(worker.id)
      if (peer === undefined) return
      let ms = runMs > 0 ? runMs : 0
      // Leave out the time the attempt waited behind the worker's previous one (a task sent ahead).
      if (task.startedAt >= 0) {
        const end = task.startedAt + ms
        if (peer.lastEnd > task.startedAt) ms = Math.max(0, end - peer.lastEnd)
        if (end > peer.lastEnd) peer.lastEnd = end
      }

      const name = task.name
      const count = picks.get(name) ?? 0
      const e = peer.names.get(name)
      const known = e !== undefined && !Number.isNaN(e.mean)
      if (!ok) ms = Math.max(ms, known ? e!.mean : othersMean(name))
      if (e === undefined) {
        use(peer.names, name, { mean: ms, touched: count, measured: count })
        return
      }
      // A first run time, or one after `explore` picks without any, replaces the mean: what it held is old.
      e.mean = known && count - e.measured < explore && e.measured <= count ? e.mean + alpha * (ms - e.mean) : ms
      e.touched = e.measured = count
      use(peer.names, name, e)
    },
  }
}
