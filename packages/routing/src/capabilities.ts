import { NoCapableWorkerError } from '@poolkit/core'
import type { TaskInfo, WorkerInfo, WorkerSelector } from '@poolkit/core'
import { checkObjectWith, checkOptionsObject } from '@poolkit/core/validate'
import { leastBusy } from './least-busy.js'

/**
 * Options of {@link capabilities}.
 * @public
 */
export interface CapabilitiesOptions {
  /**
   * Picks among the candidates that have every capability a task requires
   * (all of them, for a task that requires none). Its own hooks are called as
   * the pool would call them.
   * @defaultValue `leastBusy()`
   */
  fallback?: WorkerSelector | undefined
}

/**
 * Capability routing: a task that requires capabilities
 * (`pool.run(x, { requires: ['gpu'] })`) runs only on a worker whose
 * `WorkerInfo.capabilities` include every one; `fallback` picks among those.
 * Workers get capabilities from their executor's parts
 * (`combineExecutors([{ executor, workers, capabilities }])` in core) or from
 * their own `setup`, which may return `{ capabilities: ['gpu'] }`.
 *
 * While every capable worker is busy, the task waits aside for one, and the
 * tasks queued behind it go on to the other workers. Once every worker of the
 * pool is ready and none has what a task requires, the task fails at once with
 * `NoCapableWorkerError` (rejected as `'unplaceable'`): it never hangs. While
 * a worker is still starting, the task waits, since that worker may turn out
 * able to run it; so a pool whose only capable worker crashed fails the
 * task only if the replacement, once ready, cannot run it either. A scaler
 * that retires idle workers can retire the last capable one (give it a `min`
 * that keeps one, or use a part of its own).
 * @param options - see {@link CapabilitiesOptions}; each is checked now.
 * @returns A `WorkerSelector` to pass as the pool's `selector` option.
 * @example
 * ```ts
 * import { combineExecutors, createPool } from '@poolkit/core'
 * import { threads } from '@poolkit/node-adapter'
 * import { capabilities } from '@poolkit/routing'
 *
 * const url = new URL('./render.worker.js', import.meta.url)
 * const pool = createPool({
 *   executor: combineExecutors([
 *     { executor: threads(url, { workerData: { gpu: true } }), workers: 1, capabilities: ['gpu'] },
 *     { executor: threads(url), workers: 3 },
 *   ]),
 *   selector: capabilities(),
 * })
 * await pool.run(scene, { requires: ['gpu'] }) // on the first worker only
 * await pool.run(thumbnail) // on any of the four
 * ```
 * @public
 */
export function capabilities(options?: CapabilitiesOptions): WorkerSelector {
  const o = checkOptionsObject('options', options)
  if (o.fallback !== undefined) checkObjectWith('options.fallback', o.fallback, ['select'])
  const fallback = o.fallback ?? leastBusy()
  const selector: WorkerSelector = {
    select(candidates: readonly WorkerInfo[], task: TaskInfo): WorkerInfo | undefined {
      const requires = task.requires
      if (requires === undefined || requires.length === 0) return fallback.select(candidates, task)
      const able = candidates.filter((worker) => has(worker, requires))
      return able.length === 0 ? undefined : fallback.select(able, task)
    },
    refuse(task: TaskInfo, workers: readonly WorkerInfo[]): Error | undefined {
      const requires = task.requires
      if (requires === undefined || requires.length === 0 || workers.length === 0) return undefined
      // A worker still starting may have them: wait for it.
      if (workers.some((worker) => worker.readyAt === -1 || has(worker, requires))) return undefined
      const available = [...new Set(workers.flatMap((worker) => worker.capabilities))].sort()
      return new NoCapableWorkerError(requires, available)
    },
  }
  if (fallback.onWorkerStarted !== undefined) selector.onWorkerStarted = (worker) => fallback.onWorkerStarted!(worker)
  if (fallback.onWorkerExited !== undefined) selector.onWorkerExited = (worker) => fallback.onWorkerExited!(worker)
  if (fallback.onFinished !== undefined) selector.onFinished = (task, worker, runMs, ok) => fallback.onFinished!(task, worker, runMs, ok)
  return selector
}

/** Whether `worker` has every capability in `requires`. */
function has(worker: WorkerInfo, requires: readonly string[]): boolean {
  const own = worker.capabilities
  for (const capability of requires) if (!own.includes(capability)) return false
  return true
}
