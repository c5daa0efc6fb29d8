import { createPool, Priority, QueueFullError } from '@poolkit/core'
import type { TaskInfo } from '@poolkit/core'
import { describe, expect, it } from 'vitest'
import { createFairQueue } from '../src/index.js'
import { FairQueueImpl, KeyNode } from '../src/fair-queue.js'
import { LevelQueue } from '../src/internal/level-queue.js'
import { drain, ids, task } from './helpers.js'

/** Shifts `window` tasks and counts them by key. */
function shares(q: { shift(): TaskInfo | undefined }, window: number): Map<string | undefined, number> {
  const counts = new Map<string | undefined, number>()
  for (let i = 0; i < window; i++) {
    const t = q.shift()!
    counts.set(t.key, (counts.get(t.key) ?? 0) + 1)
  }
  return counts
}

describe('createFairQueue', () => {
  describe('fairness', () => {
    it.each([
      { weights: undefined, expected: { flood: 0.5, small: 0.5 } },
      { weights: { flood: 1, small: 3 }, expected: { flood: 0.25, small: 0.75 } },
      { weights: { flood: 3, small: 1 }, expected: { flood: 0.75, small: 0.25 } },
      { weights: { flood: 1.5, small: 1 }, expected: { flood: 0.6, small: 0.4 } },
      { weights: { flood: 0.2, small: 0.1 }, expected: { flood: 2 / 3, small: 1 / 3 } },
    ])('two keys, one flooded with 100,000 tasks: over a window each share is within 10% of its weight ($weights)', ({ weights, expected }) => {
      const q = createFairQueue({ weights })
      for (let i = 0; i < 100_000; i++) q.push(task(1, 'flood'))
      for (let i = 0; i < 5_000; i++) q.push(task(1, 'small'))
      const window = 4_000
      const counts = shares(q, window)
      for (const [key, share] of Object.entries(expected)) {
        const got = (counts.get(key) ?? 0) / window
        expect(Math.abs(got - share) / share, `${key}: share ${got} vs weight share ${share}`).toBeLessThanOrEqual(0.1)
      }
    })

    it('a key with 10 tasks behind one with 100,000 gets all of them within its first 10 turns', () => {
      const q = createFairQueue()
      for (let i = 0; i < 100_000; i++) q.push(task(1, 'big'))
      const small = Array.from({ length: 10 }, () => task(1, 'small'))
      for (const t of small) q.push(t)
      const first20 = Array.from({ length: 20 }, () => q.shift()!)
      expect(first20.filter((t) => t.key === 'small')).toEqual(small)
      expect(q.activeKeys).toBe(1)
    })

    it('shares stay within 10% of the weights while keys join and leave over time', () => {
      const q = createFairQueue({ weights: { a: 2 }, defaultWeight: 1 })
      // a and b stay busy; short-lived keys come and go beside them.
      const counts = { a: 0, b: 0 }
      for (let round = 0; round < 2_000; round++) {
        q.push(task(1, 'a'))
        q.push(task(1, 'a'))
        q.push(task(1, 'b'))
        q.push(task(1, `visitor-${round % 50}`))
        for (let i = 0; i < 3; i++) {
          const t = q.shift()!
          if (t.key === 'a' || t.key === 'b') counts[t.key]++
        }
      }
      // Over the run a and b were both always active, so a got about twice b's starts.
      expect(Math.abs(counts.a / counts.b - 2) / 2).toBeLessThanOrEqual(0.1)
    })
  })

  it('serves each key in priority order, equal priorities in arrival order', () => {
    const q = createFairQueue()
    const tasks = [task(0, 'a'), task(2, 'a'), task(1, 'b'), task(2, 'a'), task(3, 'b'), task(0, 'a')]
    for (const t of tasks) q.push(t)
    const out = drain(q)
    for (const key of ['a', 'b']) {
      const own = tasks.filter((t) => t.key === key).sort((x, y) => y.priority - x.priority)
      expect(ids(out.filter((t) => t.key === key))).toEqual(ids(own))
    }
  })

  it('drops a key as soon as it has nothing queued, so memory follows the active keys', () => {
    const q = createFairQueue()
    const tasks = Array.from({ length: 1_000 }, (_, i) => task(1, `tenant-${i}`))
    for (const t of tasks) q.push(t)
    expect(q.activeKeys).toBe(1_000)
    expect(q.sizeOf('tenant-7')).toBe(1)
    q.remove(tasks[7]!)
    expect(q.activeKeys).toBe(999)
    expect(q.sizeOf('tenant-7')).toBe(0)
    for (let i = 0; i < 500; i++) q.shift()
    expect(q.activeKeys).toBe(499)
    q.evict!()
    expect(q.activeKeys).toBe(498)
    q.clear()
    expect(q.activeKeys).toBe(0)
    expect(q.size).toBe(0)
  })

  it('a key that empties and comes back joins the end of the round with no credit left over', () => {
    const q = createFairQueue()
    const a1 = task(1, 'a')
    q.push(a1)
    for (let i = 0; i < 3; i++) q.push(task(1, 'b'))
    expect(q.shift()).toBe(a1) // a empties and leaves the round
    const a2 = task(1, 'a')
    q.push(a2)
    expect(drain(q).map((t) => t.key)).toEqual(['b', 'a', 'b', 'b'])
  })

  it('unshift() puts a task back first in its key, and a key that had emptied back in turn, so the task runs next', () => {
    const q = createFairQueue()
    const a1 = task(1, 'a')
    const [b1, b2, b3] = [task(1, 'b'), task(1, 'b'), task(1, 'b')]
    for (const t of [a1, b1, b2, b3]) q.push(t)
    expect(q.shift()).toBe(a1) // a empties and leaves the round; b's turn
    q.unshift!(a1) // a's task never ran: it goes first again
    expect(q.activeKeys).toBe(2)
    expect(q.peek!()).toBe(a1)
    expect(drain(q)).toEqual([a1, b1, b2, b3])
    for (const t of [b1, b2]) q.push(t)
    expect(q.shift()).toBe(b1)
    q.unshift!(b1)
    expect(drain(q)).toEqual([b1, b2])
  })

  it('gives the first turn after the queue emptied to a key other than the one that had the last turn, however the tasks come back', () => {
    // A breaker's held tasks come back together each time a permit frees up, and all but one are held again:
    // the queue empties between two releases, and the key served last must not be served first every time.
    const q = createFairQueue()
    const n1 = task(1, 'noisy')
    q.push(n1)
    expect(q.shift()).toBe(n1) // the queue empties with noisy's task the last to leave
    const [n2, q1] = [task(1, 'noisy'), task(1, 'quiet')]
    q.push(n2)
    q.push(q1)
    expect(drain(q)).toEqual([q1, n2])
    // Put back (unshift, youngest first, as the pool releases held tasks), in either order of keys.
    const [n3, q2] = [task(1, 'noisy'), task(1, 'quiet')]
    q.unshift!(q2)
    q.unshift!(n3)
    expect(drain(q)).toEqual([q2, n3]) // noisy (n2) had the last turn
    const [q3, n4] = [task(1, 'quiet'), task(1, 'noisy')]
    q.unshift!(q3)
    q.unshift!(n4)
    expect(drain(q)).toEqual([q3, n4]) // noisy (n3) had the last turn again
    // Once the queue has handed something out, the round goes on as before.
    const [a1, b1, b2] = [task(1, 'a'), task(1, 'b'), task(1, 'b')]
    for (const t of [b1, b2, a1]) q.push(t)
    expect(drain(q)).toEqual([b1, a1, b2])
  })

  it('unshift() is never refused by maxPerKey', () => {
    const q = createFairQueue({ maxPerKey: 1 })
    const a = task(1, 'a')
    q.push(a)
    q.unshift!(task(1, 'a'))
    expect(q.sizeOf('a')).toBe(2)
  })

  it('groups tasks without a key under one key of the default weight', () => {
    const q = createFairQueue({ defaultWeight: 1 })
    for (let i = 0; i < 4; i++) q.push(task(1, undefined))
    for (let i = 0; i < 4; i++) q.push(task(1, 'k'))
    expect(q.activeKeys).toBe(2)
    expect(q.sizeOf(undefined)).toBe(4)
    expect(drain(q).map((t) => t.key ?? '-')).toEqual(['-', 'k', '-', 'k', '-', 'k', '-', 'k'])
  })

  describe('maxPerKey', () => {
    it('refuses a push over the key limit with QueueFullError naming the key, and still admits other keys', () => {
      const q = createFairQueue({ maxPerKey: 2 })
      q.push(task(1, 'a'))
      q.push(task(1, 'a'))
      let error: unknown
      try {
        q.push(task(1, 'a'))
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(QueueFullError)
      expect(error).toMatchObject({ code: 'ERR_POOL_QUEUE_FULL', key: 'a', limit: 2, message: 'The queue for key "a" is full (2 tasks waiting)' })
      q.push(task(1, 'b'))
      expect(q.sizeOf('a')).toBe(2)
      expect(q.sizeOf('b')).toBe(1)
      q.shift()
      q.push(task(1, 'a')) // room again
      expect(q.sizeOf('a')).toBe(2)
    })

    it('names tasks without a key in the refusal', () => {
      const q = createFairQueue({ maxPerKey: 1 })
      q.push(task(1, undefined))
      expect(() => q.push(task(1, undefined))).toThrow(new QueueFullError(1, { message: 'The queue for tasks without a key is full (1 tasks waiting)' }))
    })

    it('lets a task that started before (a retry) back in past the limit', () => {
      const q = createFairQueue({ maxPerKey: 1 })
      q.push(task(1, 'a'))
      const retried = task(1, 'a', { attempt: 2, startedAt: 5 })
      q.push(retried)
      expect(q.sizeOf('a')).toBe(2)
    })
  })

  it('keeps each key in priority order when a key holds many distinct priorities (its sub-queue becomes a heap)', () => {
    const q = createFairQueue()
    // 2,000 distinct fractional priorities under one key: past the levels' limit, so that key's sub-queue is a heap.
    const many = Array.from({ length: 2_000 }, (_, i) => task(((i * 7919) % 2_000) / 3, 'many'))
    const few = Array.from({ length: 10 }, (_, i) => task(i % 2, 'few'))
    for (let i = 0; i < many.length; i++) {
      q.push(many[i]!)
      if (i < few.length) q.push(few[i]!)
    }
    expect(q.remove(many[5]!)).toBe(true)
    expect(q.remove(many[5]!)).toBe(false)
    expect(q.sizeOf('many')).toBe(1_999)
    const out = drain(q)
    const byPriority = (ts: TaskInfo[]): TaskInfo[] => ts.slice().sort((a, b) => b.priority - a.priority || a.id - b.id)
    expect(ids(out.filter((t) => t.key === 'many'))).toEqual(ids(byPriority(many.filter((_, i) => i !== 5))))
    expect(ids(out.filter((t) => t.key === 'few'))).toEqual(ids(byPriority(few)))
    // Turns alternate while both keys have tasks.
    expect(out.slice(0, 20).map((t) => t.key)).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'many' : 'few')))
  })

  it('evict() takes the task queued longest across keys, whether a key holds levels or a heap', () => {
    const q = createFairQueue()
    const heapKey = Array.from({ length: 1_100 }, (_, i) => task(i + 0.5, 'h'))
    const a = task(1, 'a')
    const b = task(2, 'b')
    q.push(a)
    for (const t of heapKey) q.push(t)
    q.push(b)
    expect(q.evict!()).toBe(a)
    expect(q.evict!()).toBe(heapKey[0])
    expect(q.evict!()).toBe(heapKey[1])
    expect(q.shift()).toBe(heapKey[1_099]) // highest priority of key h
    q.unshift!(heapKey[1_099]!) // put back: counts as queued longest
    expect(q.evict!()).toBe(heapKey[1_099])
    expect(q.size).toBe(1_098)
    expect(q.sizeOf('b')).toBe(1)
  })

  describe('a key with one task (held inline, no sub-queue)', () => {
    /** Counts the calls that put a task into a key's LevelQueue while `body` runs. */
    function levelQueueWrites(body: () => void): number {
      const proto = LevelQueue.prototype as { append(t: TaskInfo, seq: number): void; prepend(t: TaskInfo, seq: number): void }
      const { append, prepend } = proto
      let writes = 0
      proto.append = function (this: LevelQueue<TaskInfo>, t, seq) {
        writes++
        append.call(this, t, seq)
      }
      proto.prepend = function (this: LevelQueue<TaskInfo>, t, seq) {
        writes++
        prepend.call(this, t, seq)
      }
      try {
        body()
      } finally {
        proto.append = append
        proto.prepend = prepend
      }
      return writes
    }

    it('keys of one task each never make a sub-queue: 20,000 keys pushed, evicted, removed and shifted', () => {
      const q = createFairQueue()
      const tasks = Array.from({ length: 20_000 }, (_, i) => task(i % 5, `k-${i}`))
      const writes = levelQueueWrites(() => {
        for (const t of tasks) q.push(t)
        expect(q.activeKeys).toBe(20_000)
        expect(q.sizeOf('k-3')).toBe(1)
        expect(q.peek!()).toBe(tasks[0])
        expect(q.evict!()).toBe(tasks[0])
        expect(q.remove(tasks[1]!)).toBe(true)
        expect(q.remove(tasks[1]!)).toBe(false)
        expect(q.sizeOf('k-1')).toBe(0)
        expect(ids(drain(q))).toEqual(ids(tasks.slice(2)))
      })
      expect(writes).toBe(0)
      expect(q.activeKeys).toBe(0)
    })

    it('a key going 0, 1, 2, 1, 0 tasks (mixed priorities) keeps priority then arrival order, and comes back inline', () => {
      const q = createFairQueue()
      const low = task(0, 'a')
      const high = task(2, 'a')
      const low2 = task(0, 'a')
      expect(q.sizeOf('a')).toBe(0)
      q.push(low) // 1: inline
      expect([q.size, q.sizeOf('a'), q.activeKeys]).toEqual([1, 1, 1])
      expect(q.peek!()).toBe(low)
      q.push(high) // 2: both move into a sub-queue; the higher priority goes first
      expect([q.size, q.sizeOf('a')]).toEqual([2, 2])
      expect(q.peek!()).toBe(high)
      expect(q.shift()).toBe(high) // 1
      expect(q.sizeOf('a')).toBe(1)
      q.push(low2) // 2 again: same priority as the one left, behind it
      expect(q.shift()).toBe(low)
      expect(q.shift()).toBe(low2) // 0: the key is gone
      expect([q.size, q.sizeOf('a'), q.activeKeys]).toEqual([0, 0, 0])
      expect(q.shift()).toBeUndefined()
      // Back inline: one task again makes no sub-queue.
      const again = task(5, 'a')
      expect(levelQueueWrites(() => q.push(again))).toBe(0)
      expect(q.peek!()).toBe(again)
      // A second task of a lower priority after a first of a higher one, and one of the same.
      const same = task(5, 'a')
      const lower = task(-1, 'a')
      q.push(lower)
      q.push(same)
      expect(drain(q)).toEqual([again, same, lower])
    })

    it('unshift() into a key holding one task goes ahead of it at its priority, and behind a higher one', () => {
      const q = createFairQueue()
      const first = task(1, 'a')
      q.push(first)
      const back = task(1, 'a')
      q.unshift!(back)
      expect(q.sizeOf('a')).toBe(2)
      expect(drain(q)).toEqual([back, first])

      const high = task(3, 'b')
      q.push(high)
      const lowBack = task(1, 'b')
      q.unshift!(lowBack) // ahead of its priority only: the higher task still goes first
      expect(drain(q)).toEqual([high, lowBack])

      // unshift() opening a key holds the task inline too, and a push joins behind it.
      const opened = task(1, 'c')
      q.unshift!(opened)
      const next = task(1, 'c')
      q.push(next)
      expect(drain(q)).toEqual([opened, next])
    })

    it('remove() and evict() of an inline task close its key, and leave other keys alone', () => {
      const q = createFairQueue()
      const a = task(1, 'a')
      const b = task(1, 'b')
      const c = [task(1, 'c'), task(1, 'c')]
      for (const t of [a, b, ...c]) q.push(t)
      expect(q.remove(task(1, 'a'))).toBe(false) // another task under the same key
      expect(q.remove(c[0]!)).toBe(true) // a full key back to one task
      expect(q.remove(a)).toBe(true)
      expect([q.size, q.activeKeys, q.sizeOf('a')]).toEqual([2, 2, 0])
      expect(q.evict!()).toBe(b)
      expect([q.size, q.activeKeys, q.sizeOf('b')]).toEqual([1, 1, 0])
      expect(q.evict!()).toBe(c[1])
      expect([q.size, q.activeKeys]).toEqual([0, 0])
      expect(q.evict!()).toBeUndefined()
    })

    it('evict() takes the oldest task across inline and full keys, unshifted tasks first', () => {
      const q = new FairQueueImpl<TaskInfo>(() => 1, Infinity)
      const one = task(1, 'one') // inline
      const full = [task(0, 'full'), task(2, 'full'), task(1, 'full')] // a sub-queue
      const late = task(1, 'late') // inline
      q.push(one)
      for (const t of full) q.push(t)
      q.push(late)
      expect(q.evict()).toBe(one)
      expect(q.keysByAge).toBe(2) // indexed by the first evict, less the key it emptied
      const back = task(1, 'back')
      q.unshift(back) // a new inline key, put back: queued longest now
      expect(q.keysByAge).toBe(3)
      expect(q.evict()).toBe(back)
      expect(q.evict()).toBe(full[0]) // pushed before `late`, though of the lowest priority
      expect(q.shift()).toBe(full[1])
      const again = task(1, 'one') // a key that came back, inline, newest
      q.push(again)
      expect(q.keysByAge).toBe(3)
      expect(q.evict()).toBe(full[2])
      expect(q.evict()).toBe(late)
      expect(q.evict()).toBe(again)
      expect([q.size, q.activeKeys, q.keysByAge]).toEqual([0, 0, 0])
    })
  })

  describe('many keys (hostile or not)', () => {
    it('keeps no state for drained keys: 100,000 tasks over 100,000 distinct keys, pushed and shifted, leave no key behind', () => {
      const q = new FairQueueImpl<TaskInfo>(() => 1, Infinity)
      // One at a time: each key comes and goes.
      let served = 0
      for (let i = 0; i < 100_000; i++) {
        q.push(task(1, `one-${i}`))
        if (q.shift()!.key === `one-${i}`) served++
      }
      expect(served).toBe(100_000)
      expect(q.activeKeys).toBe(0)
      expect(q.size).toBe(0)
      // All at once, then drained; with evict() in use, its heap of keys empties too.
      for (let i = 0; i < 100_000; i++) q.push(task(1, `all-${i}`))
      expect(q.activeKeys).toBe(100_000)
      expect(q.evict()!.key).toBe('all-0')
      expect(q.keysByAge).toBe(99_999)
      for (let i = 0; i < 50_000; i++) q.shift()
      expect(q.activeKeys).toBe(49_999)
      expect(q.keysByAge).toBe(49_999)
      expect(drain(q)).toHaveLength(49_999)
      expect(q.activeKeys).toBe(0)
      expect(q.keysByAge).toBe(0)
      expect(q.sizeOf('all-7')).toBe(0)
    })

    it('evict() looks at a few keys per call, not at every active key (5,000 keys, 2,000 evictions as a drop-oldest pool makes them)', () => {
      const q = createFairQueue()
      const keys = 5_000
      const model: TaskInfo[] = []
      const push = (t: TaskInfo): void => {
        q.push(t)
        model.push(t)
      }
      for (let i = 0; i < keys; i++) push(task(1 + (i % 3), `tenant-${i}`))
      expect(q.evict!()).toBe(model.shift()) // the first evict() indexes the keys: once, O(keys)
      // Every look at a key's oldest task, whether the key holds it inline or in a LevelQueue.
      const proto = KeyNode.prototype as { oldestSeq(): number }
      const original = proto.oldestSeq
      let looks = 0
      proto.oldestSeq = function (this: KeyNode<TaskInfo>) {
        looks++
        return original.call(this)
      }
      try {
        for (let i = 0; i < 2_000; i++) {
          // A full queue: each new task pushes out the oldest; shifts and removals go on beside it.
          push(task(1 + (i % 3), `tenant-${(i * 7) % keys}`))
          expect(q.evict!()).toBe(model.shift())
          if (i % 4 === 0) {
            const t = q.shift()!
            model.splice(model.indexOf(t), 1)
          }
          if (i % 5 === 0) {
            const t = model.splice(model.length >> 1, 1)[0]!
            expect(q.remove(t)).toBe(true)
          }
        }
      } finally {
        proto.oldestSeq = original
      }
      // Before: every evict() looked at every key (about 10,000,000 looks here).
      expect(looks).toBeLessThan(2_000 * 4)
      expect(q.size).toBe(model.length)
    })

    it('weights given as a plain object accept keys named __proto__, constructor and toString, and errors name them', () => {
      const weights = JSON.parse('{"__proto__": 3, "constructor": 2, "toString": 1}') as Record<string, number>
      expect(Object.keys(weights)).toEqual(['__proto__', 'constructor', 'toString'])
      const q = createFairQueue({ weights })
      for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) for (let i = 0; i < 600; i++) q.push(task(1, key))
      expect(q.activeKeys).toBe(4)
      expect(q.sizeOf('__proto__')).toBe(600)
      expect(q.sizeOf('valueOf')).toBe(0)
      const counts = shares(q, 700)
      // Weights 3, 2, 1 and the default 1: turns of 3, 2, 1 and 1 tasks.
      expect([...counts.entries()]).toEqual([
        ['__proto__', 300],
        ['constructor', 200],
        ['toString', 100],
        ['hasOwnProperty', 100],
      ])
      const own = (key: string, value: unknown): Record<string, number> => {
        const o: Record<string, number> = {}
        Object.defineProperty(o, key, { value, enumerable: true })
        return o
      }
      expect(() => createFairQueue({ weights: own('__proto__', 0) })).toThrow(new TypeError('options.weights["__proto__"] must be a finite number above 0, got 0'))
      expect(() => createFairQueue({ weights: own('constructor', -1) })).toThrow(new TypeError('options.weights["constructor"] must be a finite number above 0, got -1'))
      expect(() => createFairQueue({ weights: own('toString', 'x') })).toThrow(new TypeError('options.weights["toString"] must be a finite number above 0, got "x"'))
      // Keys inherited from Object.prototype are not weights.
      expect(() => createFairQueue({ weights: {} })).not.toThrow()
    })

    it('a key named __proto__ or constructor is a key like any other, through maxPerKey too', () => {
      const q = createFairQueue({ maxPerKey: 1 })
      q.push(task(1, '__proto__'))
      q.push(task(1, 'constructor'))
      expect(() => q.push(task(1, '__proto__'))).toThrow(expect.objectContaining({ key: '__proto__', message: 'The queue for key "__proto__" is full (1 tasks waiting)' }))
      expect(drain(q).map((t) => t.key)).toEqual(['__proto__', 'constructor'])
      expect(q.activeKeys).toBe(0)
    })
  })

  describe('key: a key function', () => {
    const tenant = (t: TaskInfo): string | undefined => t.labels?.tenant
    /** A task of `provider` (its own key) for `tenant` (a label). */
    const job = (tenantName: string | undefined, provider = 'openai', priority = 1): TaskInfo => task(priority, provider, { labels: tenantName === undefined ? {} : { tenant: tenantName } })

    it('shares by the function (labels.tenant) while every task has the same key, with weights by tenant', () => {
      const q = createFairQueue({ key: tenant, weights: { paid: 3 } })
      for (let i = 0; i < 10_000; i++) q.push(job('free'))
      for (let i = 0; i < 1_000; i++) q.push(job('paid'))
      expect(q.activeKeys).toBe(2)
      expect(q.sizeOf('free')).toBe(10_000)
      expect(q.sizeOf('paid')).toBe(1_000)
      // The task's own key is not a key of the queue.
      expect(q.sizeOf('openai')).toBe(0)
      const window = 400
      const counts = new Map<string | undefined, number>()
      for (let i = 0; i < window; i++) {
        const t = q.shift()!
        expect(t.key).toBe('openai')
        counts.set(tenant(t), (counts.get(tenant(t)) ?? 0) + 1)
      }
      expect(counts.get('paid')).toBe(300)
      expect(counts.get('free')).toBe(100)
    })

    it('maxPerKey counts by the function: a tenant over its limit is refused with QueueFullError naming the tenant, other tenants of the same key are admitted', () => {
      const q = createFairQueue({ key: tenant, maxPerKey: 2 })
      q.push(job('acme', 'openai'))
      q.push(job('acme', 'anthropic'))
      const refused = job('acme', 'mistral')
      expect(() => q.push(refused)).toThrow(expect.objectContaining({ code: 'ERR_POOL_QUEUE_FULL', key: 'acme', limit: 2 }))
      expect(() => q.push(refused)).toThrow(QueueFullError)
      q.push(job('globex', 'openai'))
      expect(q.sizeOf('acme')).toBe(2)
      expect(q.sizeOf('globex')).toBe(1)
      expect(q.size).toBe(3)
      // A refused push leaves nothing behind: removing it finds nothing.
      expect(q.remove(refused)).toBe(false)
      expect(q.size).toBe(3)
    })

    it('tasks for which the function gives undefined share the group without a key, whatever their own key', () => {
      const q = createFairQueue({ key: tenant })
      q.push(job(undefined, 'openai'))
      q.push(job(undefined, 'anthropic'))
      q.push(job('acme', undefined))
      expect(q.sizeOf(undefined)).toBe(2)
      expect(q.sizeOf('acme')).toBe(1)
      expect(q.activeKeys).toBe(2)
    })

    it('calls the function once per push and once per unshift, never on shift, remove, evict or clear', () => {
      let calls = 0
      const q = createFairQueue({
        key: (t) => {
          calls++
          return t.labels?.tenant
        },
      })
      const tasks = Array.from({ length: 6 }, (_, i) => job(`t${i % 3}`))
      for (const t of tasks) q.push(t)
      expect(calls).toBe(6)
      const first = q.shift()!
      q.unshift!(first)
      expect(calls).toBe(7)
      expect(q.remove(tasks[4]!)).toBe(true)
      expect(q.evict!()).toBe(tasks[0])
      q.shift()
      q.clear()
      expect(q.size).toBe(0)
      expect(calls).toBe(7)
    })

    it('remove() and evict() find a task under the key it was pushed with, even if the function would now say otherwise', () => {
      // The function must be stable; this one is not, to show that the queue remembers the key it got.
      const assigned = new Map<number, string>()
      const q = createFairQueue({ key: (t) => assigned.get(t.id) })
      const a = task(1, 'same')
      const b = task(1, 'same')
      const c = task(1, 'same')
      assigned.set(a.id, 'x').set(b.id, 'y').set(c.id, 'y')
      q.push(a)
      q.push(b)
      q.push(c)
      assigned.set(a.id, 'y').set(b.id, 'x').set(c.id, 'x')
      expect(q.remove(b)).toBe(true)
      expect(q.sizeOf('y')).toBe(1)
      expect(q.remove(b)).toBe(false)
      expect(q.evict!()).toBe(a)
      expect(q.sizeOf('x')).toBe(0)
      expect(q.activeKeys).toBe(1)
      expect(drain(q)).toEqual([c])
      expect(q.activeKeys).toBe(0)
    })

    it("unshift() puts a task back under the key the function gives it, ahead of that key's other tasks", () => {
      const q = createFairQueue({ key: tenant })
      const tasks = [job('acme', 'openai', 1), job('acme', 'anthropic', 1), job('globex', 'openai', 1)]
      for (const t of tasks) q.push(t)
      const first = q.shift()!
      expect(first).toBe(tasks[0])
      q.unshift!(first)
      expect(q.sizeOf('acme')).toBe(2)
      // acme used its turn; globex's comes first, then acme's, with the task put back ahead of the other.
      expect(ids(drain(q))).toEqual(ids([tasks[2]!, tasks[0]!, tasks[1]!]))
    })

    it('a function that returns anything but a string or undefined fails the push with a TypeError naming options.key and the value, and queues nothing', () => {
      const q = createFairQueue({ key: (t) => t.id as never })
      const t = task(1, 'a')
      expect(() => q.push(t)).toThrow(new TypeError(`options.key must return a string or undefined, got ${t.id} for task ${t.id}`))
      expect(() => q.unshift!(t)).toThrow(TypeError)
      expect(q.size).toBe(0)
      expect(q.activeKeys).toBe(0)
    })

    it('rejects a key option that is not a function with a TypeError naming options.key and the value', () => {
      expect(() => createFairQueue({ key: 'tenant' as never })).toThrow(new TypeError('options.key must be a function, got "tenant"'))
      expect(() => createFairQueue({ key: null as never })).toThrow(new TypeError('options.key must be a function, got null'))
      expect(() => createFairQueue({ key: { tenant: 1 } as never })).toThrow(new TypeError('options.key must be a function, got an object'))
      expect(() => createFairQueue({ key: undefined })).not.toThrow()
    })
  })

  it('validates its options, naming the option path and the value', () => {
    expect(() => createFairQueue({ maxPerKey: 0 })).toThrow(new TypeError('options.maxPerKey must be a positive integer or Infinity, got 0'))
    expect(() => createFairQueue({ maxPerKey: 1.5 })).toThrow(new TypeError('options.maxPerKey must be a positive integer or Infinity, got 1.5'))
    expect(() => createFairQueue({ defaultWeight: -1 })).toThrow(new TypeError('options.defaultWeight must be a finite number above 0, got -1'))
    expect(() => createFairQueue({ defaultWeight: Infinity })).toThrow(TypeError)
    expect(() => createFairQueue({ weights: { 'tenant-a': 0 } })).toThrow(new TypeError('options.weights["tenant-a"] must be a finite number above 0, got 0'))
    expect(() => createFairQueue({ weights: new Map([['b', Number.NaN]]) })).toThrow(new TypeError('options.weights["b"] must be a finite number above 0, got NaN'))
    expect(() => createFairQueue({ weights: 3 as never })).toThrow(new TypeError('options.weights must be an object or a Map of key to weight, got 3'))
    expect(() => createFairQueue({ weights: new Map([[1, 2]]) as never })).toThrow(new TypeError('options.weights keys must be strings, got 1'))
    expect(() => createFairQueue(null as never)).toThrow(new TypeError('options must be an object, got null'))
    expect(() => createFairQueue({ weights: new Map([['a', 2]]), defaultWeight: 0.5, maxPerKey: Infinity })).not.toThrow()
  })

  describe('through createPool', () => {
    it('a flooded key does not starve another: the small key runs within its first turns', async () => {
      const order: string[] = []
      const pool = createPool({ handler: async (key: string) => void order.push(key), concurrency: 1, queue: createFairQueue(), paused: true })
      const all: Promise<void>[] = []
      for (let i = 0; i < 2_000; i++) all.push(pool.run('bulk', { key: 'bulk' }))
      for (let i = 0; i < 10; i++) all.push(pool.run('small', { key: 'small' }))
      pool.resume()
      await Promise.all(all)
      expect(order.slice(0, 20).filter((k) => k === 'small')).toHaveLength(10)
      await pool.close()
    })

    it('gives weighted shares of starts within 10% while both keys have work', async () => {
      const order: string[] = []
      const pool = createPool({
        handler: async (key: string) => void order.push(key),
        concurrency: 2,
        queue: createFairQueue({ weights: { paid: 3, free: 1 } }),
        paused: true,
      })
      const all: Promise<void>[] = []
      for (let i = 0; i < 10_000; i++) all.push(pool.run('free', { key: 'free' }))
      for (let i = 0; i < 1_000; i++) all.push(pool.run('paid', { key: 'paid' }))
      pool.resume()
      await Promise.all(all)
      const window = order.slice(0, 1_000)
      const paid = window.filter((k) => k === 'paid').length / window.length
      expect(Math.abs(paid - 0.75) / 0.75).toBeLessThanOrEqual(0.1)
      await pool.close()
    })

    it('rejects a task over maxPerKey with QueueFullError naming the key while other keys run', async () => {
      const pool = createPool({ handler: async (n: number) => n, concurrency: 1, queue: createFairQueue({ maxPerKey: 2 }), paused: true })
      const ok = [pool.run(1, { key: 'a' }), pool.run(2, { key: 'a' }), pool.run(4, { key: 'b' })]
      const refused = pool.run(3, { key: 'a' })
      await expect(refused).rejects.toBeInstanceOf(QueueFullError)
      await expect(refused).rejects.toMatchObject({ key: 'a', limit: 2 })
      pool.resume()
      await expect(Promise.all(ok)).resolves.toEqual([1, 2, 4])
      expect(pool.stats().counters.rejected).toBe(1)
      await pool.close()
    })

    it('with key: (task) => task.labels?.tenant, a flooded tenant does not starve another although every task has the same key', async () => {
      const order: string[] = []
      const queue = createFairQueue({ key: (task) => task.labels?.tenant })
      const pool = createPool({ handler: async (tenant: string) => void order.push(tenant), concurrency: 1, queue, paused: true })
      const all: Promise<void>[] = []
      for (let i = 0; i < 2_000; i++) all.push(pool.run('bulk', { key: 'openai', labels: { tenant: 'bulk' } }))
      for (let i = 0; i < 10; i++) all.push(pool.run('small', { key: 'openai', labels: { tenant: 'small' } }))
      expect(queue.sizeOf('small')).toBe(10)
      expect(queue.sizeOf('openai')).toBe(0)
      pool.resume()
      await Promise.all(all)
      expect(order.slice(0, 20).filter((k) => k === 'small')).toHaveLength(10)
      await pool.close()
    })

    it('with a key function, maxPerKey rejects by tenant with QueueFullError naming the tenant, and a cancelled queued task leaves its tenant', async () => {
      const queue = createFairQueue({ key: (task) => task.labels?.tenant, maxPerKey: 1 })
      const pool = createPool({ handler: async (n: number) => n, concurrency: 1, queue, paused: true })
      const controller = new AbortController()
      const cancelled = pool.run(1, { key: 'openai', labels: { tenant: 'acme' }, signal: controller.signal })
      const refused = pool.run(2, { key: 'anthropic', labels: { tenant: 'acme' } })
      await expect(refused).rejects.toMatchObject({ code: 'ERR_POOL_QUEUE_FULL', key: 'acme', limit: 1 })
      const other = pool.run(3, { key: 'openai', labels: { tenant: 'globex' } })
      expect(queue.activeKeys).toBe(2)
      controller.abort()
      await expect(cancelled).rejects.toBe(controller.signal.reason)
      expect(queue.sizeOf('acme')).toBe(0)
      expect(queue.activeKeys).toBe(1)
      // Its place is free again: acme is admitted.
      const again = pool.run(4, { key: 'openai', labels: { tenant: 'acme' } })
      pool.resume()
      await expect(Promise.all([other, again])).resolves.toEqual([3, 4])
      expect(queue.size).toBe(0)
      await pool.close()
    })

    it('takes a cancelled task out of its key and drops the key when it empties', async () => {
      const queue = createFairQueue()
      const pool = createPool({ handler: async (n: number) => n, concurrency: 1, queue, paused: true })
      const controller = new AbortController()
      const cancelled = pool.run(1, { key: 'gone', signal: controller.signal })
      const kept = pool.run(2, { key: 'stays', priority: Priority.High })
      expect(queue.activeKeys).toBe(2)
      controller.abort()
      await expect(cancelled).rejects.toBeDefined()
      expect(queue.activeKeys).toBe(1)
      pool.resume()
      await expect(kept).resolves.toBe(2)
      await pool.close()
    })
  })
})
