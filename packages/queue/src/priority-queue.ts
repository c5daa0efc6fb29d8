import type { TaskInfo, TaskQueue } from '@poolkit/core'
import { ComparatorHeap, NumericHeap } from './internal/task-heap.js'
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
 * Creates a priority queue: a stable heap. Higher `priority` runs first, any
 * finite number is a priority, and equal priorities run in arrival order.
 * `push`, `shift` and `remove` are O(log n) (`remove` amortized): a cancelled
 * task leaves the queue at once, whatever its place. `peek` is O(1); `evict`
 * (for `onQueueFull: 'drop-oldest'`) is O(n).
 *
 * The heap is 4-ary (half the depth of a binary heap, children side by side in
 * memory) and sifts numbers held in typed arrays, never touching the task
 * objects; it writes nothing on the tasks. With `compare`, it orders by the
 * comparator instead of the priority.
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
  return o.compare === undefined ? new NumericHeap<T>() : new ComparatorHeap<T>(o.compare)
}
