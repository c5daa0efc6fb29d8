import type { TaskInfo } from './task.js'

/**
 * Where accepted tasks wait for a free worker. The pool pushes the task objects it
 * owns and later hands the same objects back to `remove`, so a queue may keep a
 * reference (or an index keyed by identity) to find an entry quickly.
 *
 * Capacity (`maxQueue`) is the pool's business; a queue may still refuse a push by
 * throwing a `QueueFullError` (for example over a per-key limit), and the pool
 * rejects that task with the error.
 * @public
 */
export interface TaskQueue<T extends TaskInfo = TaskInfo> {
  /** Tasks waiting. */
  readonly size: number
  /** Adds a task. May throw `QueueFullError` to refuse it. */
  push(task: T): void
  /** Removes and returns the task to run next, or `undefined` when empty. */
  shift(): T | undefined
  /**
   * The task `shift()` would return, without removing it. Optional: the pool
   * needs it only with a `selector` (to ask which worker before taking the task).
   */
  peek?(): T | undefined
  /** Removes a task that left early (its signal aborted); false if it is not here. */
  remove(task: T): boolean
  /**
   * Puts back, ahead of the tasks of its priority, a task that was taken with
   * `shift()` but never ran (its worker died with it still in the inbox).
   * Optional: without it the pool uses `push`, and the task waits its turn again.
   */
  unshift?(task: T): void
  /** Removes everything and returns what was held, in `shift()` order. */
  clear(): T[]
  /**
   * Removes and returns the task to give up when the pool is full and
   * `onQueueFull` is `'drop-oldest'`: the one queued longest. Optional; the pool
   * refuses `'drop-oldest'` with a queue that lacks it.
   */
  evict?(): T | undefined
}
