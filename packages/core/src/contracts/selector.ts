import type { WorkerInfo } from './observer.js'
import type { TaskInfo } from './task.js'

/**
 * Picks the worker that runs a task, among those with room for one more
 * (`candidates` is never empty). Returning `undefined` keeps the task queued
 * until the next worker frees up. Without a selector the pool picks the least
 * busy worker.
 * @public
 */
export interface WorkerSelector {
  select(candidates: readonly WorkerInfo[], task: TaskInfo): WorkerInfo | undefined
}
