import type { TaskInfo, TaskQueue } from '@poolkit/core'
import { keepShape } from './keep-shape.js'
import { FIRST_SEQ, NumericHeap } from './task-heap.js'

/** Slots in a new level's ring (it doubles as it fills). */
const LEVEL_CAPACITY = 8
/** Entries a removal may scan per push or shift (see `TaskHeap`). */
const SCAN_CREDIT = 8
/** Distinct priorities a queue always keeps as levels before it weighs whether a heap would do better. */
const LEVELS_BEFORE_JUDGING = 1024
const OVER_BUDGET = -2

/**
 * The tasks of one priority in arrival order: a power-of-two ring, with each
 * entry's sequence number beside it (for `evict`, and for a move to the heap).
 */
class Level<T> {
  /** Where the level sits in its queue's heap of levels. */
  pos = 0
  head = 0
  size = 0
  mask = LEVEL_CAPACITY - 1
  items: (T | undefined)[] = new Array<T | undefined>(LEVEL_CAPACITY)
  seqs: number[] = new Array<number>(LEVEL_CAPACITY)

  constructor(readonly priority: number) {}

  push(task: T, seq: number): void {
    if (this.size > this.mask) this.grow()
    const at = (this.head + this.size) & this.mask
    this.items[at] = task
    this.seqs[at] = seq
    this.size++
  }

  unshift(task: T, seq: number): void {
    if (this.size > this.mask) this.grow()
    const at = (this.head - 1) & this.mask
    this.items[at] = task
    this.seqs[at] = seq
    this.head = at
    this.size++
  }

  /** Takes the first task; the level must not be empty. */
  shift(): T {
    const head = this.head
    const task = this.items[head]!
    this.items[head] = undefined
    this.head = (head + 1) & this.mask
    this.size--
    return task
  }

  /**
   * The index of `task` (0 for the first), -1 if it is not here, or
   * `OVER_BUDGET` once `budget` steps (a comparison at each end) found nothing.
   * Cancelled tasks are often the newest or the oldest, so it looks from both ends.
   */
  find(task: T, budget: number): number {
    const { items, mask, head } = this
    for (let i = 0, j = this.size - 1; i <= j; i++, j--) {
      if (i >= budget) return OVER_BUDGET
      if (items[(head + i) & mask] === task) return i
      if (items[(head + j) & mask] === task) return j
    }
    return -1
  }

  /** Removes the i-th task, closing the gap from the nearer end. */
  removeAt(i: number): void {
    const { items, seqs, mask, head } = this
    const last = this.size - 1
    if (i < last - i) {
      for (let j = i; j > 0; j--) {
        const to = (head + j) & mask
        const from = (head + j - 1) & mask
        items[to] = items[from]
        seqs[to] = seqs[from]!
      }
      items[head] = undefined
      this.head = (head + 1) & mask
    } else {
      for (let j = i; j < last; j++) {
        const to = (head + j) & mask
        const from = (head + j + 1) & mask
        items[to] = items[from]
        seqs[to] = seqs[from]!
      }
      items[(head + last) & mask] = undefined
    }
    this.size--
  }

  private grow(): void {
    const n = this.items.length
    const items = new Array<T | undefined>(n * 2)
    const seqs = new Array<number>(n * 2)
    for (let i = 0; i < n; i++) {
      const from = (this.head + i) & this.mask
      items[i] = this.items[from]
      seqs[i] = this.seqs[from]!
    }
    this.items = items
    this.seqs = seqs
    this.head = 0
    this.mask = n * 2 - 1
  }
}

/**
 * The priority queue without a comparator: higher priority first, equal
 * priorities in arrival order.
 *
 * Most pools use a few distinct priorities, so it holds one FIFO ring per
 * priority (a level) and a small binary heap of the levels: a push or shift of a
 * level that already exists is O(1), and only a new or emptied level costs
 * O(log levels). When that stops paying, it moves everything into a
 * `NumericHeap` (a stable heap, O(log n) per task) and stays a heap until it
 * next empties:
 * - after `levelsBeforeJudging` distinct priorities, once fewer than two tasks
 *   have shared a level on average (priorities that are all different, such as
 *   deadlines, make a level per task);
 * - when a removal would scan more of a level than pushes and shifts have paid
 *   for (frequent cancellations: the heap indexes its tasks);
 * - for a priority that is NaN.
 * The move is O(n) and happens at most once between two empties, when at least
 * n tasks have been pushed, so every operation stays O(log n) amortized.
 *
 * Sequence numbers count up from 0 for pushes and down from -1 for unshifts (the
 * heap gets them shifted by `FIRST_SEQ`), so the task pushed first has the
 * smallest, as in `TaskHeap`.
 */
export class LevelQueue<T extends TaskInfo> implements TaskQueue<T> {
  size = 0
  /** Levels with at least one task, a binary max-heap by priority. */
  private levels: Level<T>[] = []
  private readonly byPriority = new Map<number, Level<T>>()
  /** The level of the last push: consecutive tasks often share a priority. */
  private last: Level<T> | undefined = undefined
  /** Set while the queue is a heap. */
  private heap: NumericHeap<T> | undefined = undefined
  private nextSeq = 0
  private frontSeq = -1
  /** Levels opened and tasks put in since the queue was last empty. */
  private levelsMade = 0
  private pushes = 0
  /** Entries a removal may still scan, earned by pushes and shifts. */
  private scanCredit = 0

  constructor(private readonly levelsBeforeJudging: number = LEVELS_BEFORE_JUDGING) {}

  /** Whether the queue holds its tasks in a heap rather than in levels (for tests). */
  get heapMode(): boolean {
    return this.heap !== undefined
  }

  push(task: T): void {
    this.append(task, this.nextSeq++)
  }

  /** Puts a task back ahead of every task of its priority (one the pool took but never ran). */
  unshift(task: T): void {
    this.prepend(task, this.frontSeq--)
  }

  /**
   * Adds a task behind those of its priority, with a sequence number from the
   * caller (a fair queue numbers tasks across its keys): larger than every one
   * held, counting up from 0.
   */
  append(task: T, seq: number): void {
    if (this.heap === undefined) {
      const p = task.priority
      let level = this.last
      if (level === undefined || level.priority !== p) level = this.levelOf(p)
      if (level !== undefined) {
        level.push(task, seq)
        this.size++
        this.pushes++
        this.scanCredit += SCAN_CREDIT
        return
      }
    }
    this.heap!.insert(task, FIRST_SEQ + seq)
    this.size++
  }

  /** Adds a task ahead of those of its priority, with a sequence number from the caller: smaller than every one held, counting down from -1. */
  prepend(task: T, seq: number): void {
    if (this.heap === undefined) {
      const p = task.priority
      let level = this.last
      if (level === undefined || level.priority !== p) level = this.levelOf(p)
      if (level !== undefined) {
        level.unshift(task, seq)
        this.size++
        this.pushes++
        this.scanCredit += SCAN_CREDIT
        return
      }
    }
    this.heap!.insert(task, FIRST_SEQ + seq)
    this.size++
  }

  shift(): T | undefined {
    const heap = this.heap
    if (heap !== undefined) {
      const task = heap.shift()
      if (task !== undefined && --this.size === 0) this.restart()
      return task
    }
    const level = this.levels[0]
    if (level === undefined) return undefined
    const task = level.shift()
    this.size--
    this.scanCredit += SCAN_CREDIT
    if (level.size === 0) this.close(level)
    return task
  }

  peek(): T | undefined {
    if (this.heap !== undefined) return this.heap.peek()
    const level = this.levels[0]
    return level === undefined ? undefined : level.items[level.head]
  }

  remove(task: T): boolean {
    if (this.heap === undefined) {
      const level = this.byPriority.get(task.priority)
      if (level === undefined) return false
      const at = level.find(task, this.scanCredit / 2)
      if (at !== OVER_BUDGET) {
        // Two comparisons per step, and the gap closes over at most as many entries.
        const steps = at === -1 ? (level.size + 1) >> 1 : Math.min(at, level.size - 1 - at) + 1
        this.scanCredit -= 2 * steps
        if (at === -1) return false
        level.removeAt(at)
        this.size--
        if (level.size === 0) this.close(level)
        return true
      }
      this.toHeap()
    }
    if (!this.heap!.remove(task)) return false
    if (--this.size === 0) this.restart()
    return true
  }

  /** The sequence number of the task pushed first (the one `evict` takes), or Infinity when empty. O(levels) or, as a heap, O(n). */
  oldestSeq(): number {
    const heap = this.heap
    if (heap !== undefined) {
      const at = heap.oldest()
      return at === -1 ? Infinity : heap.seqAt(at) - FIRST_SEQ
    }
    let min = Infinity
    for (const level of this.levels) {
      const seq = level.seqs[level.head]!
      if (seq < min) min = seq
    }
    return min
  }

  /** Removes the task pushed first (the one queued longest): the first of one of the levels. O(levels). */
  evict(): T | undefined {
    const heap = this.heap
    if (heap !== undefined) {
      const task = heap.evict()
      if (task !== undefined && --this.size === 0) this.restart()
      return task
    }
    let oldest: Level<T> | undefined
    let min = Infinity
    for (const level of this.levels) {
      const seq = level.seqs[level.head]!
      if (seq < min) {
        min = seq
        oldest = level
      }
    }
    if (oldest === undefined) return undefined
    const task = oldest.shift()
    this.size--
    if (oldest.size === 0) this.close(oldest)
    return task
  }

  /** Removes everything, in shift order. */
  clear(): T[] {
    if (this.heap !== undefined) {
      const out = this.heap.clear()
      this.size = 0
      this.restart()
      return out
    }
    const out = new Array<T>(this.size)
    let n = 0
    for (const level of this.byOrder()) for (let i = 0; i < level.size; i++) out[n++] = level.items[(level.head + i) & level.mask]!
    this.dropLevels()
    this.size = 0
    this.restart()
    return out
  }

  /** The level of priority `p`, opened if new; `undefined` when the queue has just become a heap instead. */
  private levelOf(p: number): Level<T> | undefined {
    let level = this.byPriority.get(p)
    if (level === undefined) {
      const made = ++this.levelsMade
      if (p !== p || (made > this.levelsBeforeJudging && made * 2 > this.pushes)) {
        this.toHeap()
        return undefined
      }
      level = this.open(p)
    }
    this.last = level
    return level
  }

  /** Adds an empty level to the heap of levels. */
  private open(p: number): Level<T> {
    const level = new Level<T>(p)
    this.byPriority.set(p, level)
    const levels = this.levels
    let i = levels.length
    levels.push(level)
    while (i > 0) {
      const parent = (i - 1) >> 1
      const above = levels[parent]!
      if (above.priority >= p) break
      levels[i] = above
      above.pos = i
      i = parent
    }
    levels[i] = level
    level.pos = i
    return level
  }

  /** A level emptied: it leaves the heap of levels (the last level fills its place). */
  private close(level: Level<T>): void {
    this.byPriority.delete(level.priority)
    if (this.last === level) this.last = undefined
    const levels = this.levels
    const moved = levels.pop()!
    if (moved !== level) {
      let i = level.pos
      const p = moved.priority
      // Up while it beats its parent, else down.
      while (i > 0) {
        const parent = (i - 1) >> 1
        const above = levels[parent]!
        if (above.priority >= p) break
        levels[i] = above
        above.pos = i
        i = parent
      }
      if (i === level.pos) {
        const n = levels.length
        for (;;) {
          let c = 2 * i + 1
          if (c >= n) break
          if (c + 1 < n && levels[c + 1]!.priority > levels[c]!.priority) c++
          const below = levels[c]!
          if (p >= below.priority) break
          levels[i] = below
          below.pos = i
          i = c
        }
      }
      levels[i] = moved
      moved.pos = i
    }
    if (this.size === 0) this.restart()
  }

  /** The levels, highest priority first. */
  private byOrder(): Level<T>[] {
    return this.levels.slice().sort((a, b) => (a.priority < b.priority ? 1 : a.priority > b.priority ? -1 : 0))
  }

  /**
   * Moves every task into a heap, in shift order (so each insert stays where it
   * lands: O(1)), with its sequence number.
   */
  private toHeap(): void {
    const heap = new NumericHeap<T>()
    for (const level of this.byOrder()) {
      for (let i = 0; i < level.size; i++) {
        const at = (level.head + i) & level.mask
        heap.insert(level.items[at]!, FIRST_SEQ + level.seqs[at]!)
      }
    }
    this.dropLevels()
    this.heap = heap
  }

  private dropLevels(): void {
    this.levels = []
    this.byPriority.clear()
    this.last = undefined
  }

  /** Emptied: back to levels, with sequence numbers and counts from the start. */
  private restart(): void {
    this.heap = undefined
    this.nextSeq = 0
    this.frontSeq = -1
    this.levelsMade = 0
    this.pushes = 0
    this.scanCredit = 0
  }
}

keepShape(new LevelQueue())
keepShape(new Level(0))
