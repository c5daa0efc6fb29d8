import type { TaskInfo } from '@poolkit/core'

/**
 * The slot a task holds in the heap that holds it, written on the task once per
 * push, so `remove(task)` finds it in O(1) and takes it out in O(log n) without
 * a Map lookup on every push and shift. A heap checks `itemOf[slot] === task`
 * before trusting it, so a stale or foreign slot never removes the wrong task.
 */
export const SLOT: unique symbol = Symbol('@poolkit/queue slot')

interface Slotted {
  [SLOT]?: number
}

const INITIAL_CAPACITY = 16

/**
 * A binary heap of tasks, stable: equal keys leave in arrival order (each entry
 * carries a sequence number from its queue). Entries live in parallel typed
 * arrays by heap position (slot, priority, sequence), so sifting compares and
 * moves plain numbers and never touches the task objects; tasks sit by slot in
 * `itemOf`, and `posOf` maps a slot back to its heap position for removal.
 */
export abstract class TaskHeap<T extends TaskInfo> {
  size = 0
  protected hs: Int32Array
  protected hp: Float64Array
  protected hq: Float64Array
  protected itemOf: (T | undefined)[]
  protected posOf: Int32Array
  private free: Int32Array
  private freeCount = 0
  private slotCount = 0
  private nextSeq = 0

  constructor(private readonly initialCapacity: number = INITIAL_CAPACITY) {
    this.hs = new Int32Array(initialCapacity)
    this.hp = new Float64Array(initialCapacity)
    this.hq = new Float64Array(initialCapacity)
    this.itemOf = new Array<T | undefined>(initialCapacity)
    this.posOf = new Int32Array(initialCapacity)
    this.free = new Int32Array(initialCapacity)
  }

  /** Moves the entry (slot, priority, seq) up from position `i` to where it belongs; returns that position. */
  protected abstract siftUp(i: number, slot: number, p: number, s: number): number
  /** Moves the entry down from position `i` to where it belongs. */
  protected abstract siftDown(i: number, slot: number, p: number, s: number): void

  push(task: T): void {
    this.insert(task, this.nextSeq++)
  }

  /** Adds a task with a sequence number from the caller (a fair queue numbers tasks across keys). */
  insert(task: T, seq: number): void {
    if (this.size === this.hs.length) this.grow()
    const slot = this.freeCount > 0 ? this.free[--this.freeCount]! : this.slotCount++
    this.itemOf[slot] = task
    ;(task as Slotted)[SLOT] = slot
    this.siftUp(this.size++, slot, task.priority, seq)
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined
    const hs = this.hs
    const slot = hs[0]!
    const task = this.itemOf[slot]
    this.release(slot)
    const last = --this.size
    if (last > 0) this.siftDown(0, hs[last]!, this.hp[last]!, this.hq[last]!)
    else this.reset()
    return task
  }

  peek(): T | undefined {
    return this.size === 0 ? undefined : this.itemOf[this.hs[0]!]
  }

  remove(task: T): boolean {
    const slot = (task as Slotted)[SLOT]
    if (slot === undefined || slot >= this.slotCount || this.itemOf[slot] !== task) return false
    this.removeAt(this.posOf[slot]!)
    return true
  }

  /** Removes the task pushed first (the one queued longest). O(n): a scan of the sequence numbers. */
  evict(): T | undefined {
    const at = this.oldest()
    return at === -1 ? undefined : this.removeAt(at)
  }

  /** Removes everything, in shift order. */
  clear(): T[] {
    const out = new Array<T>(this.size)
    for (let i = 0; i < out.length; i++) out[i] = this.shift()!
    return out
  }

  /** The heap position of the entry pushed first, or -1 when empty. */
  oldest(): number {
    const hq = this.hq
    let at = -1
    let min = Infinity
    for (let i = 0; i < this.size; i++) {
      if (hq[i]! < min) {
        min = hq[i]!
        at = i
      }
    }
    return at
  }

  /** The sequence number of the entry at a heap position. */
  seqAt(position: number): number {
    return this.hq[position]!
  }

  removeAt(position: number): T {
    const { hs, hp, hq } = this
    const slot = hs[position]!
    const task = this.itemOf[slot]!
    this.release(slot)
    const last = --this.size
    if (last === 0) {
      this.reset()
    } else if (position !== last) {
      // The last entry fills the hole: up if it beats the hole's parent, else down.
      const ls = hs[last]!
      const lp = hp[last]!
      const lq = hq[last]!
      if (this.siftUp(position, ls, lp, lq) === position) this.siftDown(position, ls, lp, lq)
    }
    return task
  }

  private release(slot: number): void {
    this.itemOf[slot] = undefined
    this.free[this.freeCount++] = slot
  }

  /**
   * Emptied: every slot is free again. A heap that grew for a burst gives its
   * arrays back, so memory follows the backlog rather than its peak.
   */
  private reset(): void {
    this.freeCount = 0
    this.slotCount = 0
    if (this.hs.length > this.initialCapacity) {
      const n = this.initialCapacity
      this.hs = new Int32Array(n)
      this.hp = new Float64Array(n)
      this.hq = new Float64Array(n)
      this.itemOf = new Array<T | undefined>(n)
      this.posOf = new Int32Array(n)
      this.free = new Int32Array(n)
    }
  }

  private grow(): void {
    const n = this.hs.length * 2
    const widen = <A extends Int32Array | Float64Array>(from: A, make: new (n: number) => A): A => {
      const to = new make(n)
      to.set(from)
      return to
    }
    this.hs = widen(this.hs, Int32Array)
    this.hp = widen(this.hp, Float64Array)
    this.hq = widen(this.hq, Float64Array)
    this.posOf = widen(this.posOf, Int32Array)
    this.free = widen(this.free, Int32Array)
    const items = new Array<T | undefined>(n)
    for (let i = 0; i < this.itemOf.length; i++) items[i] = this.itemOf[i]
    this.itemOf = items
  }
}

/** Higher `priority` first; equal priorities in arrival order. Compares numbers only. */
export class NumericHeap<T extends TaskInfo> extends TaskHeap<T> {
  protected siftUp(i: number, slot: number, p: number, s: number): number {
    const { hs, hp, hq, posOf } = this
    while (i > 0) {
      const parent = (i - 1) >> 1
      const pp = hp[parent]!
      if (pp > p || (pp === p && hq[parent]! < s)) break
      const moved = hs[parent]!
      hs[i] = moved
      hp[i] = pp
      hq[i] = hq[parent]!
      posOf[moved] = i
      i = parent
    }
    hs[i] = slot
    hp[i] = p
    hq[i] = s
    posOf[slot] = i
    return i
  }

  protected siftDown(i: number, slot: number, p: number, s: number): void {
    const { hs, hp, hq, posOf } = this
    const n = this.size
    const half = n >> 1
    while (i < half) {
      let c = 2 * i + 1
      let pc = hp[c]!
      let sc = hq[c]!
      const r = c + 1
      if (r < n) {
        const pr = hp[r]!
        if (pr > pc || (pr === pc && hq[r]! < sc)) {
          c = r
          pc = pr
          sc = hq[r]!
        }
      }
      if (p > pc || (p === pc && s < sc)) break
      const moved = hs[c]!
      hs[i] = moved
      hp[i] = pc
      hq[i] = sc
      posOf[moved] = i
      i = c
    }
    hs[i] = slot
    hp[i] = p
    hq[i] = s
    posOf[slot] = i
  }
}

/**
 * Ordered by a comparator (negative: `a` first); ties in arrival order. A
 * comparator that throws counts as a tie, so the heap always stays whole; a push
 * whose comparisons threw takes its task out again and rethrows (the pool then
 * rejects that task), while shift and the others, which the pool cannot see
 * fail, carry on.
 */
export class ComparatorHeap<T extends TaskInfo> extends TaskHeap<T> {
  private failure: { error: unknown } | undefined = undefined

  constructor(private readonly compare: (a: T, b: T) => number) {
    super()
  }

  override insert(task: T, seq: number): void {
    this.failure = undefined
    super.insert(task, seq)
    const failure = this.failure as { error: unknown } | undefined
    if (failure !== undefined) {
      this.remove(task)
      this.failure = undefined
      throw failure.error
    }
  }

  /** Whether the entry (slot a, seq sa) goes before (slot b, seq sb). */
  private before(a: number, sa: number, b: number, sb: number): boolean {
    let c: number
    try {
      c = this.compare(this.itemOf[a]!, this.itemOf[b]!)
    } catch (error) {
      this.failure ??= { error }
      c = 0
    }
    return c < 0 || (!(c > 0) && sa < sb)
  }

  protected siftUp(i: number, slot: number, p: number, s: number): number {
    const { hs, hp, hq, posOf } = this
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.before(slot, s, hs[parent]!, hq[parent]!)) break
      const moved = hs[parent]!
      hs[i] = moved
      hp[i] = hp[parent]!
      hq[i] = hq[parent]!
      posOf[moved] = i
      i = parent
    }
    hs[i] = slot
    hp[i] = p
    hq[i] = s
    posOf[slot] = i
    return i
  }

  protected siftDown(i: number, slot: number, p: number, s: number): void {
    const { hs, hp, hq, posOf } = this
    const n = this.size
    const half = n >> 1
    while (i < half) {
      let c = 2 * i + 1
      const r = c + 1
      if (r < n && this.before(hs[r]!, hq[r]!, hs[c]!, hq[c]!)) c = r
      if (!this.before(hs[c]!, hq[c]!, slot, s)) break
      const moved = hs[c]!
      hs[i] = moved
      hp[i] = hp[c]!
      hq[i] = hq[c]!
      posOf[moved] = i
      i = c
    }
    hs[i] = slot
    hp[i] = p
    hq[i] = s
    posOf[slot] = i
  }
}
