import type { TaskInfo } from '@poolkit/core'
import { keepShape } from './keep-shape.js'

const INITIAL_CAPACITY = 16
/** Priorities that are integers within ±2^20 share one exact double with a sequence number below 2^32. */
const EXACT_PRIORITY = 2 ** 20
const SEQ_SPAN = 2 ** 32
/**
 * Sequence numbers of pushes count up from 2^31 and those of unshifts down from
 * 2^31 - 1, so both stay in [0, 2^32) for billions of operations between two
 * empties (after that the heap compares priority and sequence apart).
 */
export const FIRST_SEQ = 2 ** 31
/** Slots a removal may scan per push or shift: a scan is one pointer comparison per entry, far cheaper than a push. */
const SCAN_CREDIT = 8

/**
 * Slots past the last entry that hold a sentinel (priority -Infinity, sequence
 * +Infinity), so that every node has four children to compare and a sift needs
 * no bounds check per child: a sentinel never wins against an entry.
 */
const PAD = 4

/**
 * A 4-ary heap of tasks, stable: equal keys leave in arrival order (each entry
 * carries a sequence number from its queue). Four children side by side halve
 * the depth of a binary heap and share cache lines; sifting compares and moves
 * numbers held in typed arrays and never touches the task objects.
 *
 * `remove(task)` needs the task's position. Most queues never see a removal
 * (only a cancelled task is removed), so push and shift keep no index and write
 * nothing on the tasks (a field added to the pool's task records would change
 * their hidden class and slow the whole pool). A removal scans `items`, a tight
 * pointer loop, paid for by credit that pushes and shifts earn; when removals
 * come faster than that, the heap builds a `Map` from task to position and keeps
 * it until removals stop for a while. Every operation stays O(log n) amortized,
 * and a heap without removals pays nothing for them.
 */
export abstract class TaskHeap<T extends TaskInfo> {
  size = 0
  /** Tasks by heap position; its length is the capacity. */
  protected items: (T | undefined)[]
  /** A number per position that orders entries (what it holds depends on the subclass); `PAD` sentinels past the capacity. */
  protected hk: Float64Array
  /** The sequence number per position, where the subclass keeps it apart from `hk`. */
  protected hq: Float64Array
  private nextSeq = FIRST_SEQ
  private frontSeq = FIRST_SEQ - 1
  /** Task to heap position, only while removals are frequent. */
  protected index: Map<T, number> | undefined = undefined
  /** Entries a removal may still scan, earned by pushes and shifts (without an index). */
  protected scanCredit = 0
  /** Pushes and shifts since the last removal (with an index). */
  private calm = 0

  constructor(private readonly initialCapacity: number = INITIAL_CAPACITY) {
    this.items = new Array<T | undefined>(initialCapacity)
    this.hk = keys(initialCapacity)
    this.hq = seqs(initialCapacity)
  }

  /** Places a new task at hole `i` and sifts it up; returns its final position. */
  protected abstract placeNew(i: number, task: T, seq: number): number
  /**
   * Puts the entry (task, k, q) into the hole at `i`, wherever it belongs (up or
   * down); returns its final position. Only the entries on the path between `i`
   * and that position change places.
   */
  protected abstract fill(i: number, task: T, k: number, q: number): number
  /** The sequence number of the entry at a position. */
  abstract seqAt(position: number): number

  push(task: T): void {
    this.insert(task, this.nextSeq++)
  }

  /** Puts a task back ahead of every task of its priority (one the pool took but never ran). */
  unshift(task: T): void {
    this.insert(task, this.frontSeq--)
  }

  /** Adds a task with a sequence number from the caller (a fair queue numbers tasks across keys). */
  insert(task: T, seq: number): void {
    if (this.size === this.items.length) this.grow()
    const from = this.size++
    const at = this.placeNew(from, task, seq)
    if (this.index === undefined) this.scanCredit += SCAN_CREDIT
    else if (this.stillBusy()) this.reindex(from, at)
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined
    const top = this.items[0]!
    this.removeAt(0)
    return top
  }

  peek(): T | undefined {
    return this.size === 0 ? undefined : this.items[0]
  }

  remove(task: T): boolean {
    const at = this.positionOf(task)
    if (at === -1) return false
    this.removeAt(at)
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
    let at = -1
    let min = Infinity
    for (let i = 0; i < this.size; i++) {
      const seq = this.seqAt(i)
      if (seq < min) {
        min = seq
        at = i
      }
    }
    return at
  }

  /** Removes the entry at a position and returns its task; the last entry fills the hole. */
  removeAt(position: number): T {
    const items = this.items
    const task = items[position]!
    const last = --this.size
    if (this.index === undefined) this.scanCredit += SCAN_CREDIT
    else if (this.stillBusy()) this.index.delete(task)
    const moved = items[last]!
    const k = this.hk[last]!
    const q = this.hq[last]!
    this.vacate(last)
    if (last === 0) {
      this.reset()
    } else if (position !== last) {
      const at = this.fill(position, moved, k, q)
      if (this.index !== undefined) this.reindex(position, at)
    }
    return task
  }

  /** Empties a slot past the last entry: no task held, and a sentinel that loses to every entry. */
  protected vacate(i: number): void {
    this.items[i] = undefined
    this.hk[i] = -Infinity
    this.hq[i] = Infinity
  }

  /** The position of `task`, or -1: by the index, by a scan while credit lasts, or by a new index. */
  private positionOf(task: T): number {
    const items = this.items
    const size = this.size
    this.calm = 0
    if (this.index === undefined) {
      if (this.scanCredit >= size) {
        this.scanCredit -= size
        for (let i = 0; i < size; i++) if (items[i] === task) return i
        return -1
      }
      const index = new Map<T, number>()
      for (let i = 0; i < size; i++) index.set(items[i]!, i)
      this.index = index
    }
    return this.index.get(task) ?? -1
  }

  /**
   * Counts a push or shift since the last removal; once there have been more than
   * twice as many as tasks held, removals have stopped and the index goes (a later
   * rebuild is paid for by these operations).
   */
  private stillBusy(): boolean {
    if (++this.calm <= 2 * this.size + 64) return true
    this.index = undefined
    return false
  }

  /** Updates the index along the path an entry took (one end is an ancestor of the other). */
  private reindex(from: number, to: number): void {
    const index = this.index!
    const deep = from > to ? from : to
    const shallow = from > to ? to : from
    for (let i = deep; ; i = (i - 1) >> 2) {
      index.set(this.items[i]!, i)
      if (i <= shallow) break
    }
  }

  /**
   * Emptied: sequence numbers start again, and a heap that grew for a burst
   * gives its arrays back, so memory follows the backlog rather than its peak.
   */
  protected reset(): void {
    this.nextSeq = FIRST_SEQ
    this.frontSeq = FIRST_SEQ - 1
    this.index = undefined
    this.scanCredit = 0
    if (this.items.length > this.initialCapacity) {
      this.items = new Array<T | undefined>(this.initialCapacity)
      this.hk = keys(this.initialCapacity)
      this.hq = seqs(this.initialCapacity)
    }
  }

  protected grow(): void {
    const n = this.items.length * 2
    const size = this.size
    const hk = keys(n)
    hk.set(this.hk.subarray(0, size))
    this.hk = hk
    const hq = seqs(n)
    hq.set(this.hq.subarray(0, size))
    this.hq = hq
    const items = new Array<T | undefined>(n)
    for (let i = 0; i < size; i++) items[i] = this.items[i]
    this.items = items
  }
}

/** Keys for `capacity` entries, all sentinels (-Infinity). */
function keys(capacity: number): Float64Array {
  return new Float64Array(capacity + PAD).fill(-Infinity)
}

/** Sequence numbers for `capacity` entries, all sentinels (+Infinity). */
function seqs(capacity: number): Float64Array {
  return new Float64Array(capacity + PAD).fill(Infinity)
}

/**
 * Higher `priority` first; equal priorities in arrival order.
 *
 * While every priority is an integer within ±2^20 and sequence numbers stay
 * within [0, 2^32) (the usual case: `Priority`'s levels), each entry's order is one
 * exact double, `priority * 2^32 - seq`, so a step compares one number. The
 * first task outside that range (a fractional priority, a timestamp) switches
 * the heap to comparing priority and sequence apart, until it next empties.
 *
 * A removal sifts bottom-up (Floyd): the hole goes down to a leaf along the
 * best child of each node, then the last entry, which belongs near the leaves,
 * comes up from there. That skips the comparison with the entry being placed at
 * every level, and the best of four children is picked with comparisons turned
 * into 0 or 1 (`+(a > b)`) and index arithmetic, not branches: which child wins
 * is random, so a branch would be mispredicted half the time. The sentinels past
 * the last entry stand in for missing children.
 */
export class NumericHeap<T extends TaskInfo> extends TaskHeap<T> {
  private exact = true

  // push and shift without an index, written out: no dispatch through the
  // generic paths, measured about 20% faster.
  override insert(task: T, seq: number): void {
    if (this.index !== undefined) return super.insert(task, seq)
    const p = task.priority
    if (this.size === this.items.length) this.grow()
    if (this.exact) {
      if (p >= -EXACT_PRIORITY && p <= EXACT_PRIORITY && (p | 0) === p && seq >= 0 && seq < SEQ_SPAN) {
        this.upKey(this.size++, task, p * SEQ_SPAN - seq)
        this.scanCredit += SCAN_CREDIT
        return
      }
      this.generalize()
    }
    this.upPair(this.size++, task, p, seq)
    this.scanCredit += SCAN_CREDIT
  }

  override shift(): T | undefined {
    const n = this.size
    if (n === 0 || this.index !== undefined) return super.shift()
    const items = this.items
    const hk = this.hk
    const hq = this.hq
    const top = items[0]!
    const last = n - 1
    this.size = last
    this.scanCredit += SCAN_CREDIT
    const moved = items[last]!
    const k = hk[last]!
    const q = hq[last]!
    items[last] = undefined
    hk[last] = -Infinity
    hq[last] = Infinity
    if (last === 0) this.reset()
    else if (this.exact) this.upKey(this.holeDownKey(0), moved, k)
    else this.upPair(this.holeDownPair(0), moved, k, q)
    return top
  }

  seqAt(position: number): number {
    if (!this.exact) return this.hq[position]!
    const k = this.hk[position]!
    return Math.ceil(k / SEQ_SPAN) * SEQ_SPAN - k
  }

  protected placeNew(i: number, task: T, seq: number): number {
    const p = task.priority
    if (this.exact) {
      if (p >= -EXACT_PRIORITY && p <= EXACT_PRIORITY && (p | 0) === p && seq >= 0 && seq < SEQ_SPAN) return this.upKey(i, task, p * SEQ_SPAN - seq)
      this.generalize()
    }
    return this.upPair(i, task, p, seq)
  }

  protected fill(i: number, task: T, k: number, q: number): number {
    // Entries the hole passed below the final position go back where they were.
    return this.exact ? this.upKey(this.holeDownKey(i), task, k) : this.upPair(this.holeDownPair(i), task, k, q)
  }

  protected override reset(): void {
    super.reset()
    this.exact = true
  }

  /** Splits every combined key into priority (`hk`) and sequence (`hq`). */
  private generalize(): void {
    const { hk, hq } = this
    for (let i = 0; i < this.size; i++) {
      const k = hk[i]!
      const p = Math.ceil(k / SEQ_SPAN)
      hq[i] = p * SEQ_SPAN - k
      hk[i] = p
    }
    this.exact = false
  }

  private upKey(i: number, task: T, k: number): number {
    const { items, hk } = this
    while (i > 0) {
      const parent = (i - 1) >> 2
      const kp = hk[parent]!
      if (kp >= k) break
      items[i] = items[parent]
      hk[i] = kp
      i = parent
    }
    items[i] = task
    hk[i] = k
    return i
  }

  /** Moves the hole at `i` down to a leaf, each level taking the best of four children; returns the leaf. */
  private holeDownKey(i: number): number {
    const { items, hk } = this
    const n = this.size
    for (;;) {
      const f = 4 * i + 1
      if (f >= n) return i
      // A tournament of four without branches; ties go to the left, so a sentinel never wins.
      const a = f + +(hk[f + 1]! > hk[f]!)
      const b = f + 2 + +(hk[f + 3]! > hk[f + 2]!)
      const c = a + (b - a) * +(hk[b]! > hk[a]!)
      items[i] = items[c]
      hk[i] = hk[c]!
      i = c
    }
  }

  private upPair(i: number, task: T, p: number, s: number): number {
    const { items, hk, hq } = this
    while (i > 0) {
      const parent = (i - 1) >> 2
      const pp = hk[parent]!
      if (pp > p || (pp === p && hq[parent]! < s)) break
      items[i] = items[parent]
      hk[i] = pp
      hq[i] = hq[parent]!
      i = parent
    }
    items[i] = task
    hk[i] = p
    hq[i] = s
    return i
  }

  /** `holeDownKey` comparing priority, then sequence. */
  private holeDownPair(i: number): number {
    const { items, hk, hq } = this
    const n = this.size
    for (;;) {
      const f = 4 * i + 1
      if (f >= n) return i
      const a = f + before(hk, hq, f + 1, f)
      const b = f + 2 + before(hk, hq, f + 3, f + 2)
      const c = a + (b - a) * before(hk, hq, b, a)
      items[i] = items[c]
      hk[i] = hk[c]!
      hq[i] = hq[c]!
      i = c
    }
  }
}

/** 1 when the entry at `x` goes before the one at `y` (higher priority, or equal and earlier), else 0; no branches. */
function before(hk: Float64Array, hq: Float64Array, x: number, y: number): number {
  const kx = hk[x]!
  const ky = hk[y]!
  return kx === ky ? +(hq[x]! < hq[y]!) : +(kx > ky)
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

  seqAt(position: number): number {
    return this.hq[position]!
  }

  protected placeNew(i: number, task: T, seq: number): number {
    return this.up(i, task, seq)
  }

  protected fill(i: number, task: T, _k: number, q: number): number {
    // Up if it beats the hole's parent (only possible away from the root), else down.
    let at = i > 0 ? this.up(i, task, q) : i
    if (at === i) at = this.down(i, task, q)
    return at
  }

  /** Whether `a` (arrived `sa`) goes before `b` (arrived `sb`). */
  private before(a: T, sa: number, b: T, sb: number): boolean {
    let c: number
    try {
      c = this.compare(a, b)
    } catch (error) {
      this.failure ??= { error }
      c = 0
    }
    return c < 0 || (!(c > 0) && sa < sb)
  }

  private up(i: number, task: T, s: number): number {
    const { items, hq } = this
    while (i > 0) {
      const parent = (i - 1) >> 2
      if (!this.before(task, s, items[parent]!, hq[parent]!)) break
      items[i] = items[parent]
      hq[i] = hq[parent]!
      i = parent
    }
    items[i] = task
    hq[i] = s
    return i
  }

  private down(i: number, task: T, s: number): number {
    const { items, hq } = this
    const n = this.size
    for (;;) {
      const first = 4 * i + 1
      if (first >= n) break
      let c = first
      const end = first + 4 < n ? first + 4 : n
      for (let j = first + 1; j < end; j++) if (this.before(items[j]!, hq[j]!, items[c]!, hq[c]!)) c = j
      if (!this.before(items[c]!, hq[c]!, task, s)) break
      items[i] = items[c]
      hq[i] = hq[c]!
      i = c
    }
    items[i] = task
    hq[i] = s
    return i
  }
}

keepShape(new NumericHeap())
keepShape(new ComparatorHeap(() => 0))
