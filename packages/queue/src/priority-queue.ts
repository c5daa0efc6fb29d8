import type { TaskInfo, TaskQueue } from '@poolkit/core'
import { LevelQueue } from './internal/level-queue.js'
import { ComparatorHeap } from './internal/task-heap.js'
import { optionalFunction, optionsObject } from './internal/validate.js'

/**
 * Orders two queued tasks: negative when `a` should run first, positive when `b`
 * should, 0 for a tie (ties run in arrival order). The same convention as
 * `Array.prototype.sort`.
 * @public
 */
export type TaskComparator<T extends TaskInfo = TaskInfo> = (a: T, b: T) => number

/**
 * Options of {@link createPriorityQueue}.
 * @public
 */
export interface PriorityQueueOptions<T extends TaskInfo = TaskInfo> {
  /**
   * Orders tasks instead of their `priority`: earliest deadline first, shortest
   * job first, or anything else that can be read from the task. Ties still run in
   * arrival order. It must be consistent (a total preorder) and should be cheap:
   * it runs O(log n) times per push and shift. A comparator that throws during
   * `push` makes that push throw (the pool rejects the task); elsewhere a throw
   * counts as a tie.
   * @defaultValue higher `priority` first
   */
  compare?: TaskComparator<T> | undefined
}

/**
 * Creates a priority queue, stable: higher `priority` runs first, any finite
 * number is a priority, and equal priorities run in arrival order. `push`,
 * `shift` and `remove` are O(log n) at worst (amortized): a cancelled task
 * leaves the queue at once, whatever its place. `peek` is O(1).
 *
 * Without `compare` it keeps one FIFO ring per distinct priority (a level) and a
 * small heap of the levels, so while a few priorities are in use (the usual
 * case: `Priority`'s levels) `push` and `shift` are O(1) and `evict` (for
 * `onQueueFull: 'drop-oldest'`) is O(levels). When nearly every task has a
 * priority of its own (after the first 1,024 distinct priorities), or
 * cancellations come faster than scanning a level can keep up with, it becomes
 * a 4-ary heap that sifts numbers held in typed arrays (there `evict` is O(n)),
 * until it next empties. It writes nothing on the tasks. With `compare`, it is
 * that heap ordered by the comparator.
 * @param options - `compare` to replace the priority order.
 * @returns A `TaskQueue` to pass as the pool's `queue` option.
 * @example
 * ```ts
 * import { createPool, Priority } from '@poolkit/core'
 * import { createPriorityQueue } from '@poolkit/queue'
 *
 * const pool = createPool({ handler: render, concurrency: 8, queue: createPriorityQueue() })
 * pool.run(thumbnail, { priority: Priority.Low })
 * pool.run(preview, { priority: Priority.High }) // runs before queued Low tasks
 *
 * // Earliest deadline first: each key has a service-level target in ms.
 * const targetMs: Record<string, number> = { interactive: 200, batch: 60_000 }
 * const deadline = (t: TaskInfo) => t.submittedAt + (targetMs[t.key ?? 'batch'] ?? 60_000)
 * const edf = createPriorityQueue({ compare: (a, b) => deadline(a) - deadline(b) })
 * ```
 * @public
 */
export function createPriorityQueue<T extends TaskInfo = TaskInfo>(options?: PriorityQueueOptions<T>): TaskQueue<T> {
  const o = optionsObject(options)
  optionalFunction('options.compare', o.compare)
  return o.compare === undefined ? new LevelQueue<T>() : new ComparatorHeap<T>(o.compare)
}
