import { Priority } from '@poolkit/core'
import type { TaskInfo, TaskQueue } from '@poolkit/core'
import { keepShape } from './internal/keep-shape.js'
import { describe } from './internal/validate.js'

const INITIAL_CAPACITY = 16
/** `Priority.Normal`, read once: a constant here, not a property load per push. */
const NORMAL: number = Priority.Normal

/**
 * Creates a first-in, first-out queue: a growable ring buffer with O(1) `push`
 * and `shift` and no allocation per task beyond its slot. For pools that want raw
 * speed and use no priorities.
 *
 * It holds tasks of priority `Priority.Normal` (1) only: `push` throws a
 * `TypeError` for any other priority rather than ignore it, and the pool rejects
 * that task with the error. (A task that a free worker takes at once never
 * reaches the queue, so only a task that has to wait is checked.)
 *
 * `remove` (a queued task cancelled) scans from both ends, O(n); `evict` (for
 * `onQueueFull: 'drop-oldest'`) and `unshift` (a task put back) are O(1). An emptied queue that grew for a burst
 * gives its buffer back.
 * @returns A `TaskQueue` to pass as the pool's `queue` option.
 * @example
 * ```ts
 * import { createPool } from '@poolkit/core'
 * import { createFifoQueue } from '@poolkit/queue'
 *
 * const pool = createPool({ handler: async (n: number) => n * 2, concurrency: 4, queue: createFifoQueue() })
 * await pool.run(21) // 42
 * ```
 * @public
 */
export function createFifoQueue<T extends TaskInfo = TaskInfo>(): TaskQueue<T> {
  return new FifoQueue<T>()
}

class FifoQueue<T extends TaskInfo> implements TaskQueue<T> {
  // A power-of-two circular array from `head` (the oldest task) to `tail` (the
  // next free slot). It grows the moment it fills, so head === tail means empty.
  private items: (T | undefined)[] = new Array<T | undefined>(INITIAL_CAPACITY)
  private head = 0
  private tail = 0
  private mask = INITIAL_CAPACITY - 1

  get size(): number {
    return (this.tail - this.head) & this.mask
  }

  push(task: T): void {
    if (task.priority !== NORMAL) throw wrongPriority(task)
    const tail = this.tail
    this.items[tail] = task
    this.tail = (tail + 1) & this.mask
    if (this.tail === this.head) this.grow()
  }

  /** Puts a task back at the front (one the pool took but never ran). */
  unshift(task: T): void {
    if (task.priority !== NORMAL) throw wrongPriority(task)
    this.head = (this.head - 1) & this.mask
    this.items[this.head] = task
    if (this.tail === this.head) this.grow()
  }

  shift(): T | undefined {
    const head = this.head
    if (head === this.tail) return undefined
    const items = this.items
    const task = items[head]
    items[head] = undefined
    this.head = (head + 1) & this.mask
    if (this.head === this.tail && items.length > INITIAL_CAPACITY) this.release()
    return task
  }

  peek(): T | undefined {
    return this.items[this.head]
  }

  remove(task: T): boolean {
    const { items, mask, head } = this
    // Cancelled tasks are often the newest or the oldest: look from both ends.
    for (let i = 0, j = this.size - 1; i <= j; i++, j--) {
      if (items[(head + i) & mask] === task) return this.removeAt(i)
      if (items[(head + j) & mask] === task) return this.removeAt(j)
    }
    return false
  }

  evict(): T | undefined {
    return this.shift()
  }

  clear(): T[] {
    const out = new Array<T>(this.size)
    for (let i = 0; i < out.length; i++) out[i] = this.items[(this.head + i) & this.mask]!
    this.items = new Array<T | undefined>(INITIAL_CAPACITY)
    this.head = this.tail = 0
    this.mask = INITIAL_CAPACITY - 1
    return out
  }

  /** Removes the i-th oldest task, closing the gap from the nearer end. */
  private removeAt(i: number): true {
    const { items, mask, head } = this
    const last = this.size - 1
    if (i < last - i) {
      for (let j = i; j > 0; j--) items[(head + j) & mask] = items[(head + j - 1) & mask]
      items[head] = undefined
      this.head = (head + 1) & mask
    } else {
      for (let j = i; j < last; j++) items[(head + j) & mask] = items[(head + j + 1) & mask]
      items[(head + last) & mask] = undefined
      this.tail = (this.tail - 1) & mask
    }
    if (this.head === this.tail && items.length > INITIAL_CAPACITY) this.release()
    return true
  }

  /** Emptied after a burst: the grown buffer goes back, so memory follows the backlog. */
  private release(): void {
    this.items = new Array<T | undefined>(INITIAL_CAPACITY)
    this.head = this.tail = 0
    this.mask = INITIAL_CAPACITY - 1
  }

  /** Full (head met tail): doubles the buffer, in place when the tasks already start at slot 0. */
  private grow(): void {
    const old = this.items
    const n = old.length
    if (this.head === 0) {
      old.length = n * 2
    } else {
      const next = new Array<T | undefined>(n * 2)
      for (let i = 0; i < n; i++) next[i] = old[(this.head + i) & this.mask]
      this.items = next
      this.head = 0
    }
    this.tail = n
    this.mask = n * 2 - 1
  }
}

keepShape(new FifoQueue())

function wrongPriority(task: TaskInfo): TypeError {
  return new TypeError(
    `task.priority must be Priority.Normal (1) in a FIFO queue, got ${describe(task.priority)} (task ${task.id}); ` +
      'use createPriorityQueue() to order tasks by priority',
  )
}
