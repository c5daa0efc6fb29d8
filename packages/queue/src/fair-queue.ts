import { QueueFullError } from '@poolkit/core'
import type { KeyFunction, TaskInfo, TaskQueue } from '@poolkit/core'
import { keepShape } from './internal/keep-shape.js'
import { LevelQueue } from './internal/level-queue.js'
import { describe, optionalFunction, optionsObject, positiveIntegerOrInfinity, positiveNumber } from './internal/validate.js'

/**
 * Options of {@link createFairQueue}.
 * @public
 */
export interface FairQueueOptions {
  /**
   * Which key a task is queued under: the group that shares the queue fairly,
   * that `weights` and `maxPerKey` apply to and that `sizeOf` counts. For
   * example `(task) => task.labels?.tenant` shares by tenant while the task's
   * own `key` names its provider for a breaker or rate limiter. `undefined`
   * puts the task with the tasks without a key. Called once each time a task
   * enters the queue (`push`, `unshift`), never as it leaves: the queue
   * remembers the key it got, so `remove` and `evict` find the task under that
   * key. It must return a string or `undefined` (a push with any other value
   * throws a `TypeError`, and the pool rejects that task). With it, the queue
   * keeps one `Map` entry per queued task for that key, so each push and each
   * task leaving costs one `Map` write more than without.
   * @defaultValue the task's `key`
   */
  key?: KeyFunction | undefined
  /**
   * Shares by key: a key of weight 3 gets three tasks started for each one of a
   * key of weight 1 while both have tasks queued. Keys not listed get
   * `defaultWeight`. Each weight is a finite number above 0. Read once, into a
   * `Map`: a plain object's own keys are its keys, whatever their names
   * (`__proto__`, `constructor`...), and nothing is looked up on its prototype.
   * The only per-key state the queue keeps for a key with nothing queued.
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
  /** Tasks queued under `key` (as the `key` option gives it); `undefined` for tasks without a key. */
  sizeOf(key: string | undefined): number
}

/**
 * Creates a fair queue: one sub-queue per key (the task's `key`, or what the
 * `key` option gives for it), served by deficit round
 * robin, so a key with 100,000 queued tasks cannot starve one with 10. Over any
 * window in which two keys both have tasks queued, they get starts in proportion
 * to their weights. Within a key, higher `priority` first and equal priorities in
 * arrival order. A key whose sub-queue empties is dropped, so memory follows the
 * number of keys with queued tasks, not every key ever seen.
 *
 * A key with one task queued holds it in its own small record, with no
 * sub-queue, so a flood of keys of one task each (hostile or just many tenants)
 * costs per task about what a few busy keys do. A key with more keeps its tasks
 * as `createPriorityQueue()` does: one FIFO ring per priority, so while a key
 * uses a few priorities (the usual case) `push` and `shift` are O(1) plus one
 * `Map` lookup, and a stable heap, O(log m) for a key
 * with m queued tasks, when nearly every task of the key has a priority of its
 * own. `remove` is O(log m) amortized; `peek` and `activeKeys` are O(1); `evict`
 * (for `onQueueFull: 'drop-oldest'`) is O(log k) amortized for k active keys,
 * plus the evicted key's own search for its oldest task (O(priorities), O(m)
 * where the key holds a heap); the first `evict` indexes the active keys once,
 * and from then on a key joining or leaving costs O(log k). No operation looks
 * at every key, so a flood of distinct keys costs per task what a few keys do.
 * A key's turn serves
 * `weight / smallest weight` tasks, so a key of weight 10 next to keys of weight
 * 1 runs ten tasks in a row before the others get one each.
 * @param options - `key`, `weights`, `defaultWeight` and `maxPerKey`.
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
 * @example
 * Fair by tenant, while the task's `key` names its provider (for a rate limiter
 * or a breaker keyed by provider):
 * ```ts
 * const queue = createFairQueue({ key: (task) => task.labels?.tenant })
 * pool.run(prompt, { key: 'openai', labels: { tenant: 'acme' } })
 * ```
 * @public
 */
export function createFairQueue<T extends TaskInfo = TaskInfo>(options?: FairQueueOptions): FairQueue<T> {
  const o = optionsObject(options)
  optionalFunction('options.key', o.key)
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
  return new FairQueueImpl<T>(quantum, maxPerKey, undefined, o.key)
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

/**
 * One key's sub-queue, linked into the round of active keys. A key holds its
 * first task inline (`only`, with its sequence number) and gets a `LevelQueue`
 * only when a second task arrives while the first is still queued: with many
 * keys of one task each (a round-robin over 20,000 tenants, say) every push
 * opens a key and every shift closes it, and a `LevelQueue` (its `Map`, its
 * arrays, a level and its rings) per key was most of the cost of a task.
 * Exported for tests only (not from the package).
 */
export class KeyNode<T extends TaskInfo> {
  key: string | undefined = undefined
  /** Tasks this key may start per turn, carried over while it stays active. */
  deficit = 0
  quantum = 1
  prev: KeyNode<T> = this
  next: KeyNode<T> = this
  /** Where the key sits in the queue's heap of keys by oldest task, -1 when not in it (see `FairQueueImpl.byAge`). */
  agePos = -1
  /** At most the sequence number of the key's oldest task: exact when set, and only raised lazily as its tasks leave. */
  oldest = Infinity
  /** The key's one task while `queue` is unset; undefined once `queue` is set, and while the node is spare. */
  only: T | undefined = undefined
  /** The sequence number of `only`. */
  onlySeq = 0
  /**
   * Its tasks, once it has held two at a time: a FIFO ring per priority (most
   * keys use one), or a stable heap when priorities are many (see `LevelQueue`).
   * Kept until the key empties (a key back to one task stays in this form).
   */
  queue: LevelQueue<T> | undefined = undefined

  /** Tasks queued under this key. */
  get size(): number {
    const queue = this.queue
    return queue !== undefined ? queue.size : this.only === undefined ? 0 : 1
  }

  peek(): T | undefined {
    const queue = this.queue
    return queue !== undefined ? queue.peek() : this.only
  }

  /** Takes the key's next task; the key must not be empty. */
  shift(): T {
    const queue = this.queue
    if (queue !== undefined) return queue.shift()!
    const task = this.only!
    this.only = undefined
    return task
  }

  remove(task: T): boolean {
    const queue = this.queue
    if (queue !== undefined) return queue.remove(task)
    if (this.only !== task) return false
    this.only = undefined
    return true
  }

  /** The sequence number of the key's oldest task, Infinity when empty: O(1) inline, else `LevelQueue.oldestSeq`. */
  oldestSeq(): number {
    const queue = this.queue
    return queue !== undefined ? queue.oldestSeq() : this.only === undefined ? Infinity : this.onlySeq
  }

  /** Takes the key's oldest task; the key must not be empty. */
  evict(): T {
    const queue = this.queue
    return queue !== undefined ? queue.evict()! : this.shift()
  }
}

// Emptied nodes and sub-queues kept for reuse, so keys that come and go do not
// allocate per task. Only a few: a queue keeps no memory for keys it no longer holds.
const SPARE_NODES = 16

/**
 * The fair queue; `levelsBeforeJudging` goes to each key's `LevelQueue` (tests
 * lower it to reach the heap form); `keyOf` is the `key` option, undefined for
 * the task's own `key`.
 */
export class FairQueueImpl<T extends TaskInfo> implements FairQueue<T> {
  size = 0
  private readonly nodes = new Map<string | undefined, KeyNode<T>>()
  /** The key whose turn it is; its deficit is at least 1. */
  private current: KeyNode<T> | undefined = undefined
  /** Numbers tasks across keys, for evict(): pushes count up from 0, unshifts down from -1 (see `LevelQueue.append`). */
  private seq = 0
  private frontSeq = -1
  /**
   * The key whose task left last when the queue emptied, and whether the queue
   * has handed out nothing since: while it refills, that key's turn comes after
   * the other keys' (see `open`). The round's order is otherwise forgotten
   * when the queue empties, so tasks that leave and come back together (a
   * breaker's held tasks, released whenever a permit frees up, then held again
   * but for one) would give the first turn to the same key every time.
   */
  private lastKey: string | undefined = undefined
  private refilling = false
  private readonly spare: KeyNode<T>[] = []
  private readonly spareQueues: LevelQueue<T>[] = []
  /**
   * The active keys as a binary min-heap by `oldest`, for `evict`; built by the
   * first `evict` (a queue that never evicts pays nothing for it) and kept from
   * then on. A key's `oldest` may be stale low (its oldest task left by `shift`
   * or `remove`, which do not touch the heap), never high: a push's sequence
   * number is above every one held, and an unshift lowers `oldest` at once. So
   * `evict` refreshes the top until the top is exact, and that top is the oldest
   * task of the queue: O(log k) per refresh, each paid for by a task that left.
   */
  private byAge: KeyNode<T>[] | undefined = undefined
  /**
   * With a key function, the key (node) each queued task went in under, by
   * task: the function runs once per entry into the queue, and `remove` finds
   * the task under the key it was pushed with without calling it again (an
   * index by identity, as core's `TaskQueue` allows). Undefined without one: a
   * task's own `key` never changes, and the queue pays nothing for the index.
   */
  private readonly placed: Map<T, KeyNode<T>> | undefined

  constructor(
    private readonly quantumOf: (key: string | undefined) => number,
    private readonly maxPerKey: number,
    private readonly levelsBeforeJudging?: number,
    private readonly keyOf?: KeyFunction,
  ) {
    this.placed = keyOf === undefined ? undefined : new Map()
  }

  get activeKeys(): number {
    return this.nodes.size
  }

  /** Keys in the heap that `evict` uses (for tests: it must follow `activeKeys` once built, and be 0 before). */
  get keysByAge(): number {
    return this.byAge?.length ?? 0
  }

  sizeOf(key: string | undefined): number {
    return this.nodes.get(key)?.size ?? 0
  }

  push(task: T): void {
    const keyOf = this.keyOf
    if (keyOf === undefined) this.pushTo(task, task.key)
    // Recorded once it is in: a refused push leaves nothing behind.
    else this.placed!.set(task, this.pushTo(task, checkedKey(keyOf, task)))
  }

  /**
   * Puts back a task the pool took but never ran, ahead of its key's other tasks
   * of its priority; a key that had emptied comes back as the key whose turn it
   * is, so the task runs next, as it would have. Never refused by `maxPerKey`.
   */
  unshift(task: T): void {
    const keyOf = this.keyOf
    const key = keyOf === undefined ? task.key : checkedKey(keyOf, task)
    let node = this.nodes.get(key)
    if (node === undefined) {
      const previous = this.current
      node = this.open(key) // joins just before the current key
      // While the queue refills after emptying, the turn is open()'s to give.
      if (previous !== undefined && !this.refilling) {
        // Its turn now; the key whose turn it was starts its turn again right after.
        previous.deficit -= previous.quantum
        this.current = node
        node.deficit = node.quantum
      }
    }
    const seq = this.frontSeq--
    if (node.size === 0) {
      node.only = task
      node.onlySeq = seq
    } else this.queueOf(node).prepend(task, seq)
    this.size++
    // Below every sequence number held: this key's oldest task now.
    if (this.byAge !== undefined) {
      if (node.agePos === -1) this.ageInsert(node, seq)
      else {
        node.oldest = seq
        this.ageUp(node.agePos)
      }
    }
    if (this.placed !== undefined) this.placed.set(task, node)
  }

  shift(): T | undefined {
    const node = this.current
    if (node === undefined) return undefined
    this.refilling = false
    const task = node.shift()
    if (this.placed !== undefined) this.placed.delete(task)
    this.size--
    node.deficit -= 1
    if (node.size === 0) this.close(node)
    else if (node.deficit < 1) this.turnTo(node.next)
    return task
  }

  peek(): T | undefined {
    return this.current?.peek()
  }

  remove(task: T): boolean {
    const placed = this.placed
    const node = placed === undefined ? this.nodes.get(task.key) : placed.get(task)
    if (node === undefined || !node.remove(task)) return false
    if (placed !== undefined) placed.delete(task)
    this.size--
    if (node.size === 0) this.close(node)
    return true
  }

  /** O(log k) amortized (k: active keys), plus the key's own cost to find its oldest task (see `KeyNode.oldestSeq`). */
  evict(): T | undefined {
    if (this.size === 0) return undefined
    const heap = this.byAge ?? this.buildByAge()
    let top = heap[0]!
    // Refresh stale marks until the top's is exact (marks are never above the truth).
    for (let actual = top.oldestSeq(); actual !== top.oldest; actual = top.oldestSeq()) {
      top.oldest = actual
      this.ageDown(0)
      top = heap[0]!
    }
    const task = top.evict()
    if (this.placed !== undefined) this.placed.delete(task)
    this.size--
    if (top.size === 0) this.close(top)
    return task
  }

  clear(): T[] {
    const out = new Array<T>(this.size)
    for (let i = 0; i < out.length; i++) out[i] = this.shift()!
    return out
  }

  /** Adds a task behind those of its priority under `key`, and returns the key's node. */
  private pushTo(task: T, key: string | undefined): KeyNode<T> {
    let node = this.nodes.get(key)
    if (node === undefined) {
      node = this.open(key)
      const seq = this.seq++
      node.only = task
      node.onlySeq = seq
      this.size++
      // A new key's first task is its oldest.
      if (this.byAge !== undefined) this.ageInsert(node, seq)
      return node
    }
    if (node.size >= this.maxPerKey && task.startedAt < 0) throw keyFull(this.maxPerKey, key)
    // Every active key is in `byAge` once it is built, and keeps its (lower) mark.
    this.queueOf(node).append(task, this.seq++)
    this.size++
    return node
  }

  /** A key gets its first task: it joins the round at the end, after every key already waiting. */
  private open(key: string | undefined): KeyNode<T> {
    const node = this.spare.pop() ?? new KeyNode<T>()
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
      // Refilling: the key that had the last turn before the queue emptied waits for the others.
      if (this.refilling && current.key === this.lastKey && key !== this.lastKey) {
        current.deficit -= current.quantum
        this.turnTo(node)
      }
    }
    return node
  }

  /** A key's sub-queue emptied: it leaves the round and forgets its deficit (deficit round robin). */
  private close(node: KeyNode<T>): void {
    this.nodes.delete(node.key)
    if (node.agePos !== -1) this.ageRemove(node)
    const next = node.next
    if (next === node) {
      this.current = undefined
      this.seq = 0
      this.frontSeq = -1
      this.lastKey = node.key
      this.refilling = true
    } else {
      node.prev.next = next
      next.prev = node.prev
      if (this.current === node) this.turnTo(next)
    }
    node.key = undefined
    node.prev = node.next = node
    const queue = node.queue
    if (queue !== undefined) {
      node.queue = undefined
      if (this.spareQueues.length < SPARE_NODES) this.spareQueues.push(queue)
    }
    if (this.spare.length < SPARE_NODES) this.spare.push(node)
  }

  /** The key's `LevelQueue`, made when it gets a second task: its inline task moves in first (the queue is empty, so either end takes it). */
  private queueOf(node: KeyNode<T>): LevelQueue<T> {
    let queue = node.queue
    if (queue === undefined) {
      queue = this.spareQueues.pop() ?? new LevelQueue<T>(this.levelsBeforeJudging)
      queue.append(node.only!, node.onlySeq)
      node.only = undefined
      node.queue = queue
    }
    return queue
  }

  private turnTo(node: KeyNode<T>): void {
    this.current = node
    node.deficit += node.quantum
  }

  /** The heap of keys by oldest task, built from every active key (once: O(k) over the k pushes that opened them). */
  private buildByAge(): KeyNode<T>[] {
    const heap: KeyNode<T>[] = []
    this.byAge = heap
    for (const node of this.nodes.values()) this.ageInsert(node, node.oldestSeq())
    return heap
  }

  private ageInsert(node: KeyNode<T>, oldest: number): void {
    const heap = this.byAge!
    node.oldest = oldest
    node.agePos = heap.length
    heap.push(node)
    this.ageUp(node.agePos)
  }

  private ageRemove(node: KeyNode<T>): void {
    const heap = this.byAge!
    const at = node.agePos
    node.agePos = -1
    node.oldest = Infinity
    const last = heap.pop()!
    if (last === node) return
    heap[at] = last
    last.agePos = at
    this.ageUp(at)
    this.ageDown(last.agePos)
  }

  private ageUp(at: number): void {
    const heap = this.byAge!
    const node = heap[at]!
    while (at > 0) {
      const parent = (at - 1) >> 1
      const above = heap[parent]!
      if (above.oldest <= node.oldest) break
      heap[at] = above
      above.agePos = at
      at = parent
    }
    heap[at] = node
    node.agePos = at
  }

  private ageDown(at: number): void {
    const heap = this.byAge!
    const n = heap.length
    const node = heap[at]!
    for (;;) {
      let c = 2 * at + 1
      if (c >= n) break
      if (c + 1 < n && heap[c + 1]!.oldest < heap[c]!.oldest) c++
      const below = heap[c]!
      if (node.oldest <= below.oldest) break
      heap[at] = below
      below.agePos = at
      at = c
    }
    heap[at] = node
    node.agePos = at
  }
}

keepShape(new FairQueueImpl(() => 1, Infinity))
keepShape(new KeyNode())

/** The key `keyOf` gives `task`, which must be a string or undefined (a `Map` would take anything, and `weights` would then never match). */
function checkedKey(keyOf: KeyFunction, task: TaskInfo): string | undefined {
  const key = keyOf(task)
  if (key !== undefined && typeof key !== 'string') throw new TypeError(`options.key must return a string or undefined, got ${describe(key)} for task ${task.id}`)
  return key
}

function keyFull(limit: number, key: string | undefined): QueueFullError {
  return key === undefined ? new QueueFullError(limit, { message: `The queue for tasks without a key is full (${limit} tasks waiting)` }) : new QueueFullError(limit, { key })
}
