import type { TaskInfo, TaskQueue } from '@poolkit/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FifoQueue } from '../src/fifo-queue.js'
import { createFairQueue, createFifoQueue, createPriorityQueue } from '../src/index.js'
import { FairQueueImpl } from '../src/fair-queue.js'
import { LevelQueue } from '../src/internal/level-queue.js'
import { NumericHeap } from '../src/internal/task-heap.js'
import type { FairQueueOptions } from '../src/index.js'

// Every queue against a plain array model: the same tasks out, in the promised
// order, under random interleavings of push, shift, peek, remove, evict, clear
// and retries (the pool pushes the same task object again after a failure).

interface Job extends TaskInfo {
  deadline: number
}
type Mutable<T> = { -readonly [K in keyof T]: T[K] }

type Op =
  | { kind: 'push'; priority: number; key: string | undefined; deadline: number }
  | { kind: 'push-many'; count: number; priority: number; key: string | undefined }
  | { kind: 'retry'; pick: number }
  | { kind: 'shift' }
  | { kind: 'shift-unshift' }
  | { kind: 'peek' }
  | { kind: 'remove'; pick: number }
  | { kind: 'remove-many'; picks: number[] }
  | { kind: 'remove-newest' }
  | { kind: 'remove-half' }
  | { kind: 'remove-shifted'; pick: number }
  | { kind: 'evict' }
  | { kind: 'clear' }

/** What a queue is checked against: a naive implementation of its promise. */
interface Model {
  readonly tasks: readonly Job[]
  push(t: Job): void
  unshift(t: Job): void
  shift(): Job | undefined
  peek(): Job | undefined
  remove(t: Job): boolean
  evict(): Job | undefined
  clear(): Job[]
}

/** A queue in push order (index 0 queued longest) that serves `next()` first. */
class ArrayModel implements Model {
  tasks: Job[] = []
  constructor(private readonly next: (tasks: readonly Job[]) => number) {}
  push(t: Job): void {
    this.tasks.push(t)
  }
  unshift(t: Job): void {
    this.tasks.unshift(t)
  }
  shift(): Job | undefined {
    return this.tasks.length === 0 ? undefined : this.tasks.splice(this.next(this.tasks), 1)[0]
  }
  peek(): Job | undefined {
    return this.tasks.length === 0 ? undefined : this.tasks[this.next(this.tasks)]
  }
  remove(t: Job): boolean {
    const i = this.tasks.indexOf(t)
    if (i >= 0) this.tasks.splice(i, 1)
    return i >= 0
  }
  evict(): Job | undefined {
    return this.tasks.shift()
  }
  clear(): Job[] {
    const out: Job[] = []
    for (let t = this.shift(); t !== undefined; t = this.shift()) out.push(t)
    return out
  }
}

/** The first task that nothing beats (so ties go to the earliest pushed). */
const best =
  (before: (a: Job, b: Job) => number) =>
  (tasks: readonly Job[]): number => {
    let at = 0
    for (let i = 1; i < tasks.length; i++) if (before(tasks[i]!, tasks[at]!) < 0) at = i
    return at
  }
const byPriority = (a: Job, b: Job): number => b.priority - a.priority
const byDeadline = (a: Job, b: Job): number => a.deadline - b.deadline

/** Deficit round robin over arrays: keys in a round, each served by priority, dropped when empty. */
class FairModel implements Model {
  private ring: { key: string | undefined; tasks: Job[]; deficit: number; quantum: number }[] = []
  private current = -1
  private order = new Map<Job, number>()
  private pushes = 0
  private unshifts = 0
  /** The key whose task left last when the model emptied, and whether nothing has been shifted since. */
  private lastKey: string | undefined = undefined
  private refilling = false
  constructor(
    private readonly quantumOf: (key: string | undefined) => number,
    private readonly maxPerKey: number,
    /** The key a task is grouped under (the queue's `key` option). */
    private readonly keyOf: (t: Job) => string | undefined = (t) => t.key,
  ) {}
  get tasks(): Job[] {
    return this.ring.flatMap((n) => n.tasks)
  }
  push(t: Job): void {
    const key = this.keyOf(t)
    let node = this.ring.find((n) => n.key === key)
    if (node !== undefined && node.tasks.length >= this.maxPerKey && t.startedAt < 0) throw new Error('key full')
    if (node === undefined) {
      node = { key, tasks: [], deficit: 0, quantum: this.quantumOf(key) }
      if (this.current === -1) {
        this.ring = [node]
        this.current = 0
        node.deficit += node.quantum
      } else this.join(node)
    }
    node.tasks.push(t)
    this.order.set(t, this.pushes++)
  }
  unshift(t: Job): void {
    const key = this.keyOf(t)
    let node = this.ring.find((n) => n.key === key)
    if (node === undefined && this.refilling && this.current !== -1) {
      // Refilling after the model emptied: it joins as a pushed key does.
      node = { key, tasks: [], deficit: 0, quantum: this.quantumOf(key) }
      this.join(node)
    } else if (node === undefined) {
      // Back as the key whose turn it is; the key whose turn it was starts again after it.
      node = { key, tasks: [], deficit: this.quantumOf(key), quantum: this.quantumOf(key) }
      if (this.current === -1) {
        this.ring = [node]
        this.current = 0
      } else {
        this.ring[this.current]!.deficit -= this.ring[this.current]!.quantum
        this.ring.splice(this.current, 0, node)
      }
    }
    node.tasks.unshift(t)
    this.order.set(t, -++this.unshifts)
  }
  shift(): Job | undefined {
    if (this.current === -1) return undefined
    this.refilling = false
    const node = this.ring[this.current]!
    const t = node.tasks.splice(best(byPriority)(node.tasks), 1)[0]!
    node.deficit -= 1
    if (node.tasks.length === 0) this.drop(this.current)
    else if (node.deficit < 1) this.turn((this.current + 1) % this.ring.length)
    return t
  }
  peek(): Job | undefined {
    if (this.current === -1) return undefined
    const node = this.ring[this.current]!
    return node.tasks[best(byPriority)(node.tasks)]
  }
  remove(t: Job): boolean {
    const k = this.ring.findIndex((n) => n.tasks.includes(t))
    if (k === -1) return false
    const node = this.ring[k]!
    node.tasks.splice(node.tasks.indexOf(t), 1)
    if (node.tasks.length === 0) this.drop(k)
    return true
  }
  evict(): Job | undefined {
    const all = this.tasks
    if (all.length === 0) return undefined
    const oldest = all.reduce((a, b) => (this.order.get(a)! < this.order.get(b)! ? a : b))
    this.remove(oldest)
    return oldest
  }
  clear(): Job[] {
    const out: Job[] = []
    for (let t = this.shift(); t !== undefined; t = this.shift()) out.push(t)
    return out
  }
  /** A new key, last in the round (just before the current key); while refilling, ahead of the key that had the last turn. */
  private join(node: { key: string | undefined; tasks: Job[]; deficit: number; quantum: number }): void {
    this.ring.splice(this.current, 0, node)
    this.current++
    const current = this.ring[this.current]!
    if (this.refilling && current.key === this.lastKey && node.key !== this.lastKey) {
      current.deficit -= current.quantum
      this.turn(this.current - 1)
    }
  }
  private drop(k: number): void {
    const key = this.ring[k]!.key
    this.ring.splice(k, 1)
    if (this.ring.length === 0) {
      this.current = -1
      this.lastKey = key
      this.refilling = true
    } else if (k === this.current) this.turn(k % this.ring.length)
    else if (k < this.current) this.current--
  }
  private turn(k: number): void {
    this.current = k
    this.ring[k]!.deficit += this.ring[k]!.quantum
  }
}

const KEYS = ['a', 'b', 'c', undefined] as const

/**
 * Random operations. `keys`: the keys tasks come with; `many`: how often a bulk
 * push of 10 to 80 tasks under one key comes (0 keeps most keys at one or two
 * tasks, so a fair queue's keys keep moving between the inline and full forms).
 */
function ops(priority: fc.Arbitrary<number>, keys: readonly (string | undefined)[] = KEYS, many = 1): fc.Arbitrary<Op[]> {
  const key = fc.constantFrom(...keys)
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('push' as const), priority, key, deadline: fc.integer({ min: 0, max: 20 }) }) },
    { weight: many, arbitrary: fc.record({ kind: fc.constant('push-many' as const), count: fc.integer({ min: 10, max: 80 }), priority, key }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('retry' as const), pick: fc.nat() }) },
    { weight: 5, arbitrary: fc.constant({ kind: 'shift' as const }) },
    // The pool takes a task and puts it back (its worker died before running it).
    { weight: 1, arbitrary: fc.constant({ kind: 'shift-unshift' as const }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'peek' as const }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove-shifted' as const), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'remove-newest' as const }) },
    // Half the queue cancelled at once: more scanning than pushes paid for, so a heap indexes.
    { weight: 1, arbitrary: fc.constant({ kind: 'remove-half' as const }) },
    // Removals in a row (a burst of cancellations) make a heap build its index.
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove-many' as const), picks: fc.array(fc.nat(), { minLength: 2, maxLength: 40 }) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'evict' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
  )
  return fc.array(op, { maxLength: 200, size: 'max' })
}

const anyPriority = fc.oneof(fc.integer({ min: -2, max: 3 }), fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(Number.MAX_VALUE, -Number.MAX_VALUE, 0, -0))

/** Runs the operations on the queue and the model side by side and compares every answer. */
function agree(q: TaskQueue<Job>, model: Model, sequence: readonly Op[]): void {
  let nextId = 1
  let now = 0
  const shifted: Job[] = []
  const pushBoth = (t: Job): void => {
    let refused: unknown
    try {
      model.push(t)
    } catch (e) {
      refused = e
    }
    if (refused === undefined) q.push(t)
    else expect(() => q.push(t)).toThrow()
  }
  for (const op of sequence) {
    switch (op.kind) {
      case 'push': {
        const id = nextId++
        pushBoth({ id, priority: op.priority, key: op.key, name: undefined, attempt: 1, submittedAt: now, enqueuedAt: now, startedAt: -1, waitMs: 0, runMs: 0, deadline: op.deadline })
        break
      }
      case 'push-many':
        for (let i = 0; i < op.count; i++) {
          const id = nextId++
          pushBoth({ id, priority: op.priority, key: op.key, name: undefined, attempt: 1, submittedAt: now, enqueuedAt: now, startedAt: -1, waitMs: 0, runMs: 0, deadline: i % 7 })
        }
        break
      case 'retry': {
        if (shifted.length === 0) break
        const t = shifted.splice(op.pick % shifted.length, 1)[0]! as Mutable<Job>
        t.attempt++
        t.enqueuedAt = ++now
        pushBoth(t)
        break
      }
      case 'shift': {
        const expected = model.shift()
        const got = q.shift()
        expect(got).toBe(expected)
        if (got !== undefined) {
          ;(got as Mutable<Job>).startedAt = ++now
          shifted.push(got)
        }
        break
      }
      case 'shift-unshift': {
        const expected = model.shift()
        const got = q.shift()
        expect(got).toBe(expected)
        if (got !== undefined) {
          model.unshift(got)
          q.unshift!(got)
        }
        break
      }
      case 'peek':
        expect(q.peek!()).toBe(model.peek())
        break
      case 'remove': {
        if (model.tasks.length === 0) break
        const victim = model.tasks[op.pick % model.tasks.length]!
        expect(model.remove(victim)).toBe(true)
        expect(q.remove(victim)).toBe(true)
        break
      }
      case 'remove-many':
        for (const pick of op.picks) {
          if (model.tasks.length === 0) break
          const victim = model.tasks[pick % model.tasks.length]!
          expect(model.remove(victim)).toBe(true)
          expect(q.remove(victim)).toBe(true)
        }
        break
      case 'remove-newest': {
        const newest = model.tasks.reduce<Job | undefined>((a, b) => (a === undefined || b.enqueuedAt > a.enqueuedAt || (b.enqueuedAt === a.enqueuedAt && b.id > a.id) ? b : a), undefined)
        if (newest === undefined) break
        expect(model.remove(newest)).toBe(true)
        expect(q.remove(newest)).toBe(true)
        break
      }
      case 'remove-half':
        for (const victim of model.tasks.filter((_, i) => i % 2 === 0)) {
          expect(model.remove(victim)).toBe(true)
          expect(q.remove(victim)).toBe(true)
        }
        break
      case 'remove-shifted':
        if (shifted.length > 0) expect(q.remove(shifted[op.pick % shifted.length]!)).toBe(false)
        break
      case 'evict':
        expect(q.evict!()).toBe(model.evict())
        break
      case 'clear':
        expect(q.clear()).toEqual(model.clear())
        break
    }
    now++
    expect(q.size).toBe(model.tasks.length)
  }
  expect(q.clear()).toEqual(model.clear())
}

const runs = { numRuns: 150 }

// Long sequences (up to 200 operations, bulk pushes and mass cancellations) take a few seconds on a small machine.
describe('queues against an array model (fast-check)', { timeout: 60_000 }, () => {
  it('createFifoQueue: arrival order, and a push of another priority throws and changes nothing', () => {
    fc.assert(
      fc.property(ops(fc.constant(1)), fc.array(fc.integer({ min: 0, max: 160 })), (sequence, wrongAt) => {
        const q = createFifoQueue<Job>()
        const model = new ArrayModel(() => 0)
        agree(q, model, sequence)
        for (const i of wrongAt) {
          const wrong = { id: -i, priority: 2, key: undefined, name: undefined, attempt: 1, submittedAt: 0, enqueuedAt: 0, startedAt: -1, waitMs: 0, runMs: 0, deadline: 0 }
          expect(() => q.push(wrong)).toThrow(TypeError)
        }
        expect(q.size).toBe(0)
      }),
      runs,
    )
  })

  it('createFifoQueue with tiny segments (1 and 3 slots): arrival order across every segment boundary', () => {
    fc.assert(
      fc.property(ops(fc.constant(1)), fc.constantFrom(1, 3), (sequence, first) => agree(new FifoQueue<Job>(first), new ArrayModel(() => 0), sequence)),
      runs,
    )
  })

  it('createPriorityQueue: highest priority first, ties in arrival order, for any finite priority', () => {
    fc.assert(
      fc.property(ops(anyPriority), (sequence) => agree(createPriorityQueue<Job>(), new ArrayModel(best(byPriority)), sequence)),
      runs,
    )
  })

  it('createPriorityQueue switching between levels and a heap (after 3 priorities): the same order', () => {
    fc.assert(
      fc.property(ops(anyPriority), (sequence) => agree(new LevelQueue<Job>(3), new ArrayModel(best(byPriority)), sequence)),
      runs,
    )
  })

  it('the stable heap alone (the form of many distinct priorities): the same order, integer and fractional priorities mixed', () => {
    fc.assert(
      fc.property(ops(anyPriority), (sequence) => agree(new NumericHeap<Job>(), new ArrayModel(best(byPriority)), sequence)),
      runs,
    )
  })

  it('the stable heap alone with integer priorities only (one combined key per entry): the same order', () => {
    fc.assert(
      fc.property(ops(fc.integer({ min: -3, max: 3 })), (sequence) => agree(new NumericHeap<Job>(), new ArrayModel(best(byPriority)), sequence)),
      runs,
    )
  })

  it('createPriorityQueue with a comparator: earliest deadline first, ties in arrival order', () => {
    fc.assert(
      fc.property(ops(anyPriority), (sequence) => agree(createPriorityQueue<Job>({ compare: byDeadline }), new ArrayModel(best(byDeadline)), sequence)),
      runs,
    )
  })

  const fairCases: { name: string; options: FairQueueOptions; quantum: (key: string | undefined) => number; max: number }[] = [
    { name: 'equal weights', options: {}, quantum: () => 1, max: Infinity },
    {
      name: 'weights 3, 1.5, default 0.5, maxPerKey 4',
      options: { weights: { a: 3, b: 1.5 }, defaultWeight: 0.5, maxPerKey: 4 },
      quantum: (key) => (key === 'a' ? 6 : key === 'b' ? 3 : 1),
      max: 4,
    },
    // Fractional turns: a key keeps the credit it did not use while it stays active.
    { name: 'weights 1.5 and 1', options: { weights: { a: 1.5 }, defaultWeight: 1 }, quantum: (key) => (key === 'a' ? 1.5 : 1), max: Infinity },
    { name: 'weights 0.3, 0.7 and 0.2', options: { weights: { a: 0.3, b: 0.7 }, defaultWeight: 0.2 }, quantum: (key) => (key === 'a' ? 1.5 : key === 'b' ? 3.5 : 1), max: Infinity },
  ]
  it('createFairQueue with each key switching between levels and a heap (after 2 priorities): the same order', () => {
    fc.assert(
      fc.property(ops(anyPriority), (sequence) => agree(new FairQueueImpl<Job>(() => 1, Infinity, 2), new FairModel(() => 1, Infinity), sequence)),
      runs,
    )
  })

  // Twelve keys and no bulk pushes: most keys hold one task (inline) or two (a sub-queue), and every
  // operation meets both forms and the moves between them (0 -> 1 -> 2 -> 1 -> 0 tasks, unshift into
  // a key of one, remove and evict of an inline task, evict across inline and full keys).
  const manyKeys = [...'abcdefghijk'.split(''), undefined]
  it('createFairQueue with many keys of one or two tasks each (inline and full keys): the same order', () => {
    fc.assert(
      fc.property(ops(fc.integer({ min: -1, max: 2 }), manyKeys, 0), (sequence) => agree(createFairQueue<Job>(), new FairModel(() => 1, Infinity), sequence)),
      runs,
    )
  })

  it('createFairQueue with many keys of one or two tasks each, weights and maxPerKey 2, keys switching to a heap after 2 priorities: the same order', () => {
    const quantum = (key: string | undefined): number => (key === 'a' ? 2 : key === 'b' ? 1.5 : 1)
    fc.assert(
      fc.property(ops(anyPriority, manyKeys, 0), (sequence) => agree(new FairQueueImpl<Job>(quantum, 2, 2), new FairModel(quantum, 2), sequence)),
      runs,
    )
  })

  // A key function that merges two keys, renames one, and sends one to the group without a key (and
  // the tasks without one to a named group): the queue groups, weighs and limits by what it returns.
  const regroup = (t: TaskInfo): string | undefined => (t.key === 'a' || t.key === 'b' ? 'ab' : t.key === 'c' ? undefined : t.key === undefined ? 'none' : `k-${t.key}`)
  it('createFairQueue with a key function (keys merged, renamed, sent to no key), weights by its keys and maxPerKey 3: the same order as the model grouping by it', () => {
    const quantum = (key: string | undefined): number => (key === 'ab' ? 2 : key === 'none' ? 1.5 : 1)
    fc.assert(
      fc.property(ops(anyPriority, manyKeys, 1), (sequence) =>
        agree(createFairQueue<Job>({ key: regroup, weights: { ab: 2, none: 1.5 }, maxPerKey: 3 }), new FairModel(quantum, 3, regroup), sequence),
      ),
      runs,
    )
  })

  it('createFairQueue with a key function, each key switching between levels and a heap (after 2 priorities): the same order', () => {
    fc.assert(
      fc.property(ops(anyPriority), (sequence) => agree(new FairQueueImpl<Job>(() => 1, Infinity, 2, regroup), new FairModel(() => 1, Infinity, regroup), sequence)),
      runs,
    )
  })

  for (const c of fairCases) {
    it(`createFairQueue (${c.name}): deficit round robin across keys, priority order within a key`, () => {
      fc.assert(
        fc.property(ops(fc.integer({ min: -1, max: 2 })), (sequence) => agree(createFairQueue<Job>(c.options), new FairModel(c.quantum, c.max), sequence)),
        runs,
      )
    })
  }
})
