import { QueueFullError } from '@poolkit/core'
import type { TaskInfo, TaskQueue } from '@poolkit/core'
import { keepShape } from './internal/keep-shape.js'
import { LevelQueue } from './internal/level-queue.js'
import { describe, optionsObject, positiveIntegerOrInfinity, positiveNumber } from './internal/validate.js'

/**
 * Options of {@link createFairQueue}.
 * @public
 */
export interface FairQueueOptions {
  /**
   * Shares by key: a key of weight 3 gets three tasks started for each one of a
   * key of weight 1 while both have tasks queued. Keys not listed get
   * `defaultWeight`. Each weight is a finite number above 0.
   * @defaultValue every key gets `defaultWeight`
   */
  weights?: Readonly<Record<string, number>> | ReadonlyMap<string, number> | undefined
  /**
   * The weight of keys not in `weights`, and of tasks without a key (they share
   * one sub-queue).
   * @defaultValue 1
   */
  defaultWeight?: number | undefined
  /**
   * Tasks one key may have queued. A push past it throws `QueueFullError` with
   * the key (the pool rejects that task), while other keys are still admitted. A
   * task that has started before (a retry, or one a crashed worker never ran)
   * goes back in past the limit, as the pool does for `maxQueue`: it was admitted
   * once. The total stays the pool's `maxQueue`.
   * @defaultValue `Infinity`
   */
  maxPerKey?: number | undefined
}

/**
 * A fair queue: a `TaskQueue` with a look at its keys.
 * @public
 */
export interface FairQueue<T extends TaskInfo = TaskInfo> extends TaskQueue<T> {
  /** Keys with at least one task queued (tasks without a key count as one key). */
  readonly activeKeys: number
  /** Tasks queued under `key`; `undefined` for tasks without a key. */
  sizeOf(key: string | undefined): number
}

/**
 * Creates a fair queue: one sub-queue per task `key`, served by deficit round
 * robin, so a key with 100,000 queued tasks cannot starve one with 10. Over any
 * window in which two keys both have tasks queued, they get starts in proportion
 * to their weights. Within a key, higher `priority` first and equal priorities in
 * arrival order. A key whose sub-queue empties is dropped, so memory follows the
 * number of keys with queued tasks, not every key ever seen.
 *
 * Each key keeps its tasks as `createPriorityQueue()` does: one FIFO ring per
 * priority, so while a key uses a few priorities (the usual case) `push` and
 * `shift` are O(1) plus one `Map` lookup, and a stable heap, O(log m) for a key
 * with m queued tasks, when nearly every task of the key has a priority of its
 * own. `remove` is O(log m) amortized; `peek` and `activeKeys` are O(1); `evict`
 * (for `onQueueFull: 'drop-oldest'`) is O(keys × priorities), O(n) where keys
 * hold heaps. A key's turn serves
 * `weight / smallest weight` tasks, so a key of weight 10 next to keys of weight
 * 1 runs ten tasks in a row before the others get one each.
 * @param options - `weights`, `defaultWeight` and `maxPerKey`.
 * @returns A {@link FairQueue} to pass as the pool's `queue` option.
 * @example
 * ```ts
 * import { createPool } from '@poolkit/core'
 * import { createFairQueue } from '@poolkit/queue'
 *
 * const pool = createPool({
 *   handler: callProvider,
 *   concurrency: 16,
 *   queue: createFairQueue({ weights: { paid: 3 }, maxPerKey: 10_000 }),
 * })
 * // Tenant "free" floods the pool; "paid" still gets three starts for every one of "free".
 * for (const job of bulkJobs) pool.run(job, { key: 'free' })
 * await pool.run(urgentJob, { key: 'paid' })
 * ```
 * @public
 */
export function createFairQueue<T extends TaskInfo = TaskInfo>(options?: FairQueueOptions): FairQueue<T> {
  const o = optionsObject(options)
  const defaultWeight = o.defaultWeight === undefined ? 1 : positiveNumber('options.defaultWeight', o.defaultWeight)
  const maxPerKey = o.maxPerKey === undefined ? Infinity : positiveIntegerOrInfinity('options.maxPerKey', o.maxPerKey)
  const weights = readWeights(o.weights)
  // Each turn adds weight / smallest weight (at least 1) to a key's deficit, so
  // every turn serves at least one task and no shift loops through idle turns.
  // Rounded to 1e-6 so decimal weights give exact quanta (0.3 / 0.2 is 1.4999999999999998).
  let smallest = defaultWeight
  for (const w of weights.values()) smallest = Math.min(smallest, w)
  const quantum = (key: string | undefined): number => {
    const weight = (key === undefined ? undefined : weights.get(key)) ?? defaultWeight
    return Math.max(1, Math.round((weight / smallest) * 1e6) / 1e6)
  }
  return new FairQueueImpl<T>(quantum, maxPerKey)
}

function readWeights(value: FairQueueOptions['weights']): Map<string, number> {
  const out = new Map<string, number>()
  if (value === undefined) return out
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`options.weights must be an object or a Map of key to weight, got ${describe(value)}`)
  }
  const entries = value instanceof Map ? [...(value as ReadonlyMap<unknown, unknown>)] : Object.entries(value)
  for (const [key, weight] of entries) {
    if (typeof key !== 'string') throw new TypeError(`options.weights keys must be strings, got ${describe(key)}`)
    out.set(key, positiveNumber(`options.weights[${JSON.stringify(key)}]`, weight))
  }
  return out
}

/** One key's sub-queue, linked into the round of active keys. */
class KeyNode<T extends TaskInfo> {
  key: string | undefined = undefined
  /** Tasks this key may start per turn, carried over while it stays active. */
  deficit = 0
  quantum = 1
  prev: KeyNode<T> = this
  next: KeyNode<T> = this
  /** Its tasks: a FIFO ring per priority (most keys use one), or a stable heap when priorities are many (see `LevelQueue`). */
  readonly queue: LevelQueue<T>

  constructor(levelsBeforeJudging?: number) {
    this.queue = new LevelQueue<T>(levelsBeforeJudging)
  }
}

// Emptied sub-queues kept for reuse, so keys that come and go (one task each,
// the common case) do not allocate a sub-queue per task.
const SPARE_NODES = 16

/** The fair queue; `levelsBeforeJudging` goes to each key's `LevelQueue` (tests lower it to reach the heap form). */
export class FairQueueImpl<T extends TaskInfo> implements FairQueue<T> {
  size = 0
  private readonly nodes = new Map<string | undefined, KeyNode<T>>()
  /** The key whose turn it is; its deficit is at least 1. */
  private current: KeyNode<T> | undefined = undefined
  /** Numbers tasks across keys, for evict(): pushes count up from 0, unshifts down from -1 (see `LevelQueue.append`). */
  private seq = 0
  private frontSeq = -1
  private readonly spare: KeyNode<T>[] = []

  constructor(
    private readonly quantumOf: (key: string | undefined) => number,
    private readonly maxPerKey: number,
    private readonly levelsBeforeJudging?: number,
  ) {}

  get activeKeys(): number {
    return this.nodes.size
  }

  sizeOf(key: string | undefined): number {
    return this.nodes.get(key)?.queue.size ?? 0
  }

  push(task: T): void {
    let node = this.nodes.get(task.key)
    if (node === undefined) node = this.open(task.key)
    else if (node.queue.size >= this.maxPerKey && task.startedAt < 0) throw keyFull(this.maxPerKey, task.key)
    node.queue.append(task, this.seq++)
    this.size++
  }

  /**
   * Puts back a task the pool took but never ran, ahead of its key's other tasks
   * of its priority; a key that had emptied comes back as the key whose turn it
   * is, so the task runs next, as it would have. Never refused by `maxPerKey`.
   */
  unshift(task: T): void {
    let node = this.nodes.get(task.key)
    if (node === undefined) {
      const previous = this.current
      node = this.open(task.key) // joins just before the current key
      if (previous !== undefined) {
        // Its turn now; the key whose turn it was starts its turn again right after.
        previous.deficit -= previous.quantum
        this.current = node
        node.deficit = node.quantum
      }
    }
    node.queue.prepend(task, this.frontSeq--)
    this.size++
  }

  shift(): T | undefined {
    const node = this.current
    if (node === undefined) return undefined
    const task = node.queue.shift()
    this.size--
    node.deficit -= 1
    if (node.queue.size === 0) this.close(node)
    else if (node.deficit < 1) this.turnTo(node.next)
    return task
  }

  peek(): T | undefined {
    return this.current?.queue.peek()
  }

  remove(task: T): boolean {
    const node = this.nodes.get(task.key)
    if (node === undefined || !node.queue.remove(task)) return false
    this.size--
    if (node.queue.size === 0) this.close(node)
    return true
  }

  evict(): T | undefined {
    let oldest: KeyNode<T> | undefined
    let min = Infinity
    for (const node of this.nodes.values()) {
      const seq = node.queue.oldestSeq()
      if (seq < min) {
        min = seq
        oldest = node
      }
    }
    if (oldest === undefined) return undefined
    const task = oldest.queue.evict()
    this.size--
    if (oldest.queue.size === 0) this.close(oldest)
    return task
  }

  clear(): T[] {
    const out = new Array<T>(this.size)
    for (let i = 0; i < out.length; i++) out[i] = this.shift()!
    return out
  }

  /** A key gets its first task: it joins the round at the end, after every key already waiting. */
  private open(key: string | undefined): KeyNode<T> {
    const node = this.spare.pop() ?? new KeyNode<T>(this.levelsBeforeJudging)
    node.key = key
    node.quantum = this.quantumOf(key)
    node.deficit = 0
    this.nodes.set(key, node)
    const current = this.current
    if (current === undefined) {
      node.prev = node.next = node
      this.turnTo(node)
    } else {
      const last = current.prev
      last.next = node
      node.prev = last
      node.next = current
      current.prev = node
    }
    return node
  }

  /** A key's sub-queue emptied: it leaves the round and forgets its deficit (deficit round robin). */
  private close(node: KeyNode<T>): void {
    this.nodes.delete(node.key)
    const next = node.next
    if (next === node) {
      this.current = undefined
      this.seq = 0
      this.frontSeq = -1
    } else {
      node.prev.next = next
      next.prev = node.prev
      if (this.current === node) this.turnTo(next)
    }
    node.key = undefined
    node.prev = node.next = node
    if (this.spare.length < SPARE_NODES) this.spare.push(node)
  }

  private turnTo(node: KeyNode<T>): void {
    this.current = node
    node.deficit += node.quantum
  }
}

keepShape(new FairQueueImpl(() => 1, Infinity))
keepShape(new KeyNode())

function keyFull(limit: number, key: string | undefined): QueueFullError {
  return key === undefined
    ? new QueueFullError(limit, { message: `The queue for tasks without a key is full (${limit} tasks waiting)` })
    : new QueueFullError(limit, { key })
}
