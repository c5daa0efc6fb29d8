import { createPool, Priority } from '@poolkit/core'
import type { TaskInfo } from '@poolkit/core'
import { describe, expect, it } from 'vitest'
import { seededRandom } from '@poolkit/core/testing'
import { createPriorityQueue } from '../src/index.js'
import { LevelQueue } from '../src/internal/level-queue.js'
import { NumericHeap } from '../src/internal/task-heap.js'
import { drain, ids, task } from './helpers.js'

describe('createPriorityQueue', () => {
  it('serves any finite priority, highest first, and equal priorities in arrival order', () => {
    const q = createPriorityQueue()
    const prios = [1, -5, 2.5, 1, 1e9, -5, 0, 2.5, -1e9, 1, Number.MAX_VALUE, -Number.MAX_VALUE]
    const tasks = prios.map((p) => task(p))
    for (const t of tasks) q.push(t)
    const expected = tasks.slice().sort((a, b) => b.priority - a.priority) // Array#sort is stable
    expect(ids(drain(q))).toEqual(ids(expected))
  })

  it('stays stable across many equal priorities pushed and shifted in turns', () => {
    const q = createPriorityQueue()
    const out: TaskInfo[] = []
    const pushed: TaskInfo[] = []
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 7; i++) {
        const t = task(i % 2)
        pushed.push(t)
        q.push(t)
      }
      for (let i = 0; i < 3; i++) out.push(q.shift()!)
    }
    out.push(...drain(q))
    // Within each priority, arrival order.
    for (const p of [0, 1]) expect(ids(out.filter((t) => t.priority === p))).toEqual(ids(pushed.filter((t) => t.priority === p)))
  })

  it('remove() takes out any task at any heap position and leaves the order of the rest intact', () => {
    for (let victim = 0; victim < 64; victim++) {
      const q = createPriorityQueue()
      const tasks = Array.from({ length: 64 }, (_, i) => task((i * 7) % 5))
      for (const t of tasks) q.push(t)
      expect(q.remove(tasks[victim]!)).toBe(true)
      expect(q.remove(tasks[victim]!)).toBe(false)
      const rest = tasks.filter((_, i) => i !== victim).sort((a, b) => b.priority - a.priority)
      expect(ids(drain(q))).toEqual(ids(rest))
    }
  })

  it('remove() by handle makes O(log n) comparisons (counted through a comparator, no timing)', () => {
    let comparisons = 0
    const q = createPriorityQueue({
      compare: (a, b) => {
        comparisons++
        return b.priority - a.priority
      },
    })
    const n = 1 << 16
    const tasks = Array.from({ length: n }, (_, i) => task((i * 7919) % 1000))
    for (const t of tasks) q.push(t)
    let worst = 0
    for (let i = 0; i < 200; i++) {
      comparisons = 0
      expect(q.remove(tasks[(i * 331) % n]!)).toBe(true)
      worst = Math.max(worst, comparisons)
    }
    // Sifting one entry up or down a heap of 2^16 costs at most about 2 x 16 comparisons; a scan would cost thousands.
    expect(worst).toBeLessThanOrEqual(2 * 16 + 2)
  })

  it('a comparator gives earliest deadline first, with ties in arrival order', () => {
    interface Job extends TaskInfo {
      readonly deadline: number
    }
    const q = createPriorityQueue<Job>({ compare: (a, b) => a.deadline - b.deadline })
    const jobs = [50, 10, 30, 10, 20, 50].map((deadline) => ({ ...task(), deadline }))
    for (const j of jobs) q.push(j)
    expect(drain(q).map((j) => j.deadline)).toEqual([10, 10, 20, 30, 50, 50])
    for (const j of jobs) q.push(j)
    expect(ids(drain(q))).toEqual(ids(jobs.slice().sort((a, b) => a.deadline - b.deadline)))
  })

  it('a push whose comparator throws throws, and leaves the queue as it was', () => {
    let fail = false
    const q = createPriorityQueue({
      compare: (a, b) => {
        if (fail) throw new Error('bad comparator')
        return b.priority - a.priority
      },
    })
    const tasks = Array.from({ length: 20 }, (_, i) => task(i % 3))
    for (const t of tasks) q.push(t)
    fail = true
    const refused = task(5)
    expect(() => q.push(refused)).toThrow('bad comparator')
    expect(q.size).toBe(20)
    expect(q.remove(refused)).toBe(false)
    fail = false
    const out = drain(q)
    expect(out).not.toContain(refused)
    expect(ids(out)).toEqual(ids(tasks.slice().sort((a, b) => b.priority - a.priority)))
  })

  it('unshift() puts a task back ahead of the others of its priority and behind higher ones', () => {
    const q = createPriorityQueue()
    const [high, a, b, low] = [task(3), task(1), task(1), task(0)]
    for (const t of [high, a, b, low]) q.push(t)
    expect(q.shift()).toBe(high)
    expect(q.shift()).toBe(a)
    q.unshift!(a)
    q.unshift!(high)
    const later = task(1)
    q.push(later)
    expect(ids(drain(q))).toEqual(ids([high, a, b, later, low]))
    const fractional = [task(1.5), task(1.5)]
    for (const t of fractional) q.push(t)
    const first = q.shift()!
    q.unshift!(first)
    expect(ids(drain(q))).toEqual(ids(fractional))
  })

  it('evict() removes the task pushed first, whatever its priority', () => {
    const q = createPriorityQueue()
    const [low, high, mid] = [task(0), task(3), task(2)]
    for (const t of [low, high, mid]) q.push(t)
    expect(q.evict!()).toBe(low)
    expect(q.evict!()).toBe(high)
    expect(ids(drain(q))).toEqual([mid.id])
    expect(q.evict!()).toBeUndefined()
  })

  it('clear() returns the tasks in shift order and the queue keeps working after it', () => {
    const q = createPriorityQueue()
    const tasks = Array.from({ length: 100 }, (_, i) => task((i * 13) % 7))
    for (const t of tasks) q.push(t)
    expect(ids(q.clear())).toEqual(ids(tasks.slice().sort((a, b) => b.priority - a.priority)))
    expect(q.size).toBe(0)
    const again = task(1)
    q.push(again)
    expect(q.peek!()).toBe(again)
    expect(q.remove(again)).toBe(true)
    expect(q.size).toBe(0)
  })

  it('a task shifted and pushed again is removable and never confused with the task that reused its slot', () => {
    const q = createPriorityQueue()
    const a = task(1)
    const b = task(1)
    q.push(a)
    expect(q.shift()).toBe(a)
    q.push(b) // takes the slot a had
    expect(q.remove(a)).toBe(false)
    expect(q.peek!()).toBe(b)
    q.push(a)
    expect(q.remove(a)).toBe(true)
    expect(drain(q)).toEqual([b])
  })

  it('validates its options, naming the option and the value', () => {
    expect(() => createPriorityQueue({ compare: 3 as never })).toThrow(new TypeError('options.compare must be a function, got 3'))
    expect(() => createPriorityQueue('x' as never)).toThrow(new TypeError('options must be an object, got "x"'))
    expect(() => createPriorityQueue({})).not.toThrow()
  })

  describe('through createPool', () => {
    it('starts queued tasks by priority, equal priorities in submission order', async () => {
      const order: string[] = []
      const pool = createPool({ handler: async (s: string) => void order.push(s), concurrency: 1, queue: createPriorityQueue(), paused: true })
      const all = [
        pool.run('low-1', { priority: Priority.Low }),
        pool.run('normal-1'),
        pool.run('critical', { priority: Priority.Critical }),
        pool.run('low-2', { priority: Priority.Low }),
        pool.run('normal-2'),
        pool.run('fraction', { priority: 1.5 }),
      ]
      pool.resume()
      await Promise.all(all)
      expect(order).toEqual(['critical', 'fraction', 'normal-1', 'normal-2', 'low-1', 'low-2'])
      await pool.close()
    })

    it('takes a cancelled task out at once, whatever its place, so it never runs', async () => {
      const ran: number[] = []
      const pool = createPool({ handler: async (n: number) => void ran.push(n), concurrency: 1, queue: createPriorityQueue(), paused: true })
      const controllers = Array.from({ length: 50 }, () => new AbortController())
      const all = controllers.map((c, i) => pool.run(i, { signal: c.signal, priority: i % 5 }).catch(() => 'cancelled'))
      for (let i = 0; i < 50; i += 3) controllers[i]!.abort()
      expect(pool.stats().queued).toBe(50 - 17)
      pool.resume()
      const results = await Promise.all(all)
      expect(results.filter((r) => r === 'cancelled')).toHaveLength(17)
      expect(ran.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i).filter((i) => i % 3 !== 0))
      await pool.close()
    })

    it('orders retries like any other push: a retried task goes back by its priority', async () => {
      const order: string[] = []
      let failOnce = true
      const pool = createPool({
        handler: async (s: string) => {
          order.push(s)
          if (s === 'flaky' && failOnce) {
            failOnce = false
            throw new Error('try again')
          }
        },
        concurrency: 1,
        queue: createPriorityQueue(),
        paused: true,
        retry: { attempts: 2, backoff: { initialMs: 0, jitter: 0 } },
      })
      const all = [pool.run('flaky', { priority: Priority.High }), pool.run('a'), pool.run('b')]
      pool.resume()
      await Promise.all(all)
      expect(order).toEqual(['flaky', 'flaky', 'a', 'b'])
      await pool.close()
    })
  })
})

describe('createPriorityQueue internals, seen from outside', () => {
  it('stays exact when integer priorities meet fractional or huge ones mid-stream', () => {
    const q = createPriorityQueue()
    const tasks = [3, 1, 2, 1, 3].map((p) => task(p))
    for (const t of tasks.slice(0, 3)) q.push(t)
    const odd = [task(1.5), task(2 ** 40), task(-(2 ** 21)), task(2.5)]
    for (const t of odd) q.push(t)
    for (const t of tasks.slice(3)) q.push(t)
    const all = [...tasks.slice(0, 3), ...odd, ...tasks.slice(3)]
    expect(ids(drain(q))).toEqual(ids(all.slice().sort((a, b) => b.priority - a.priority)))
    // Emptied, it starts over with integers only.
    const again = [task(0), task(2), task(0)]
    for (const t of again) q.push(t)
    expect(ids(drain(q))).toEqual(ids([again[1]!, again[0]!, again[2]!]))
  })

  it('remove() stays right while the queue goes from scanning to an index and back', () => {
    const q = createPriorityQueue()
    let live: TaskInfo[] = []
    const push = (n: number): void => {
      for (let i = 0; i < n; i++) {
        const t = task((i * 37) % 11)
        live.push(t)
        q.push(t)
      }
    }
    const removeEvery = (step: number): void => {
      for (let i = 0; i < live.length; i += step) expect(q.remove(live[i]!)).toBe(true)
      live = live.filter((_, i) => i % step !== 0)
    }
    push(2_000)
    removeEvery(7) // one removal after many pushes: scans
    removeEvery(2) // removals in a row: an index
    push(5_000) // a long calm: the index goes
    for (let i = 0; i < 1_000; i++) live.splice(live.indexOf(q.shift()!), 1)
    removeEvery(3) // and comes back
    expect(q.size).toBe(live.length)
    expect(ids(drain(q))).toEqual(ids(live.slice().sort((a, b) => b.priority - a.priority || a.id - b.id)))
  })
})

describe('createPriorityQueue levels and heap mode (LevelQueue)', () => {
  const byPriority = (tasks: readonly TaskInfo[]): TaskInfo[] => tasks.slice().sort((a, b) => b.priority - a.priority || a.id - b.id)

  it('keeps few priorities as levels through push, shift, unshift, remove by handle and evict', () => {
    const q = new LevelQueue()
    const tasks = Array.from({ length: 400 }, (_, i) => task(i % 4))
    for (const t of tasks) q.push(t)
    expect(q.shift()).toBe(tasks[3])
    q.unshift(tasks[3]!)
    // Oldest, newest and middle entries of several levels, found by handle.
    const victims = [tasks[0]!, tasks[399]!, tasks[201]!, tasks[2]!, tasks[398]!, tasks[150]!]
    for (const v of victims) expect(q.remove(v)).toBe(true)
    for (const v of victims) expect(q.remove(v)).toBe(false)
    expect(q.remove(task(2))).toBe(false) // never queued, its level exists
    expect(q.remove(task(7))).toBe(false) // never queued, no such level
    expect(q.evict()).toBe(tasks[3]) // put back last: counts as queued longest
    expect(q.evict()).toBe(tasks[1]) // then the task pushed first (tasks[0] was removed)
    const live = tasks.filter((t, i) => !victims.includes(t) && i !== 3 && i !== 1)
    expect(q.heapMode).toBe(false)
    expect(q.size).toBe(live.length)
    expect(q.peek()).toBe(byPriority(live)[0])
    expect(ids(drain(q))).toEqual(ids(byPriority(live)))
    expect(q.heapMode).toBe(false)
  })

  it('evict() takes the task unshifted last before any pushed task, across levels', () => {
    const q = new LevelQueue()
    const [a, b, c] = [task(0), task(5), task(3)]
    for (const t of [a, b, c]) q.push(t)
    expect(q.shift()).toBe(b)
    q.unshift(b)
    expect(q.evict()).toBe(b)
    expect(q.evict()).toBe(a)
    expect(q.evict()).toBe(c)
    expect(q.evict()).toBeUndefined()
  })

  it('becomes a heap when nearly every task has its own priority, stays right across the switch, and goes back to levels once empty', () => {
    const q = new LevelQueue(8)
    const tasks = Array.from({ length: 40 }, (_, i) => task(((i * 7919) % 97) / 3))
    for (const t of tasks.slice(0, 8)) q.push(t)
    expect(q.heapMode).toBe(false)
    const first = q.shift()!
    q.unshift(first)
    for (const t of tasks.slice(8)) q.push(t)
    expect(q.heapMode).toBe(true)
    // Remove by handle and evict in heap mode.
    expect(q.remove(tasks[20]!)).toBe(true)
    expect(q.remove(tasks[20]!)).toBe(false)
    expect(q.evict()).toBe(first) // unshifted before the switch: still counts as the oldest
    const live = tasks.filter((t) => t !== tasks[20] && t !== first)
    expect(ids(drain(q))).toEqual(ids(byPriority(live)))
    expect(q.heapMode).toBe(false)
    // Levels again: equal priorities keep arrival order.
    const again = [task(1), task(2), task(1)]
    for (const t of again) q.push(t)
    expect(q.heapMode).toBe(false)
    expect(ids(q.clear())).toEqual(ids([again[1]!, again[0]!, again[2]!]))
  })

  it('keeps levels past the judging point while many tasks share each priority', () => {
    const q = new LevelQueue(8)
    const tasks = Array.from({ length: 2_000 }, (_, i) => task(Math.floor(i / 40)))
    for (const t of tasks) q.push(t)
    // 50 levels made, but 40 tasks share each: levels pay.
    expect(q.heapMode).toBe(false)
    expect(ids(drain(q))).toEqual(ids(byPriority(tasks)))
  })

  it('becomes a heap when cancellations outrun what pushes and shifts paid for, and removes by handle in both modes', () => {
    const q = new LevelQueue()
    const tasks = Array.from({ length: 3_000 }, (_, i) => task(i % 2))
    for (const t of tasks) q.push(t)
    const removed = new Set<TaskInfo>()
    let sawLevels = false
    // From the middle of each level: the most expensive place to find.
    for (let i = 1_500; i < 2_700; i++) {
      if (!q.heapMode) sawLevels = true
      expect(q.remove(tasks[i]!)).toBe(true)
      removed.add(tasks[i]!)
    }
    expect(sawLevels).toBe(true)
    expect(q.heapMode).toBe(true)
    expect(q.remove(tasks[1_600]!)).toBe(false)
    const live = tasks.filter((t) => !removed.has(t))
    expect(q.size).toBe(live.length)
    expect(ids(drain(q))).toEqual(ids(byPriority(live)))
    expect(q.heapMode).toBe(false)
  })

  it('takes a NaN priority into heap mode rather than into the levels', () => {
    const q = new LevelQueue()
    const a = task(1)
    q.push(a)
    q.push(task(Number.NaN))
    expect(q.heapMode).toBe(true)
    expect(q.size).toBe(2)
    expect(q.remove(a)).toBe(true)
    expect(q.clear()).toHaveLength(1)
    expect(q.heapMode).toBe(false)
  })
})

describe('the stable heap (NumericHeap): the form of many distinct priorities', () => {
  const byPriority = (tasks: readonly TaskInfo[]): TaskInfo[] => tasks.slice().sort((a, b) => b.priority - a.priority || a.id - b.id)

  it('removes the head, the tail or any middle entry, at every position and every size up to 70, keeping size and order', () => {
    for (const fractional of [false, true]) {
      for (let n = 1; n <= 70; n++) {
        for (let victim = 0; victim < n; victim++) {
          const q = new NumericHeap()
          // Ties in groups of three, so stability is checked too.
          const tasks = Array.from({ length: n }, (_, i) => task((((i * 7) % Math.max(1, n / 3)) | 0) + (fractional ? 0.25 : 0)))
          for (const t of tasks) q.push(t)
          expect(q.remove(tasks[victim]!)).toBe(true)
          expect(q.remove(tasks[victim]!)).toBe(false)
          expect(q.size).toBe(n - 1)
          const rest = byPriority(tasks.filter((_, i) => i !== victim))
          expect(q.peek()).toBe(rest[0])
          expect(ids(drain(q))).toEqual(ids(rest))
          expect(q.size).toBe(0)
          expect(q.peek()).toBeUndefined()
        }
      }
    }
  })

  it('keeps equal fractional priorities in arrival order while removals come between shifts', () => {
    const q = new NumericHeap()
    const tasks = Array.from({ length: 600 }, (_, i) => task([0.5, 1.5, 2.5][i % 3]!))
    for (const t of tasks) q.push(t)
    const removed = new Set(tasks.filter((_, i) => i % 5 === 0))
    const out: TaskInfo[] = []
    let k = 0
    for (const v of removed) {
      expect(q.remove(v)).toBe(true)
      if (k++ % 2 === 0) out.push(q.shift()!)
    }
    out.push(...drain(q))
    expect(ids(out)).toEqual(ids(byPriority(tasks.filter((t) => !removed.has(t)))))
  })

  it('stays right when removals come faster than scans pay for (the index) on a large heap with distinct priorities', () => {
    const random = seededRandom(7)
    const q = new NumericHeap()
    const live: TaskInfo[] = []
    for (let i = 0; i < 3_000; i++) {
      // Distinct fractional priorities with some exact repeats.
      const t = task(i % 10 === 0 ? 500 : random() * 1_000)
      live.push(t)
      q.push(t)
    }
    // A burst of removals at random places (an index is built), then shifts and removals in turns.
    for (let i = 0; i < 4_000; i++) {
      if (live.length === 0) break
      if (i % 3 === 2) {
        const expected = byPriority(live)[0]!
        expect(q.shift()).toBe(expected)
        live.splice(live.indexOf(expected), 1)
      } else {
        const victim = live.splice(Math.floor(random() * live.length), 1)[0]!
        expect(q.remove(victim)).toBe(true)
      }
      if (i % 500 === 0)
        for (let j = 0; j < 50; j++) {
          const t = task(random() * 1_000)
          live.push(t)
          q.push(t)
        }
      expect(q.size).toBe(live.length)
    }
    expect(ids(drain(q))).toEqual(ids(byPriority(live)))
  })

  it('switches from one combined key to priority and sequence apart mid-stream, with removals, and back once empty', () => {
    const q = new NumericHeap()
    const ints = Array.from({ length: 100 }, (_, i) => task(i % 5))
    for (const t of ints) q.push(t)
    for (const t of ints.slice(0, 10)) expect(q.remove(t)).toBe(true)
    const odd = [task(2.5), task(2 ** 40), task(-(2 ** 21)), task(2), task(4)]
    for (const t of odd) q.push(t)
    expect(q.remove(odd[3]!)).toBe(true)
    const live = [...ints.slice(10), ...odd.filter((t) => t !== odd[3])]
    expect(q.size).toBe(live.length)
    expect(ids(drain(q))).toEqual(ids(byPriority(live)))
    // Emptied: integers again, still stable, and a put-back task goes first among its priority.
    const again = [task(1), task(1), task(0)]
    for (const t of again) q.push(t)
    expect(q.shift()).toBe(again[0])
    q.unshift(again[0]!)
    expect(ids(drain(q))).toEqual(ids(again))
  })

  it('grows past its first arrays and gives them back once empty, with sentinels never returned', () => {
    const q = new NumericHeap()
    for (let round = 0; round < 3; round++) {
      const tasks = Array.from({ length: 1_000 }, (_, i) => task(((i * 7919) % 1_000) / 7))
      for (const t of tasks) q.push(t)
      expect(q.size).toBe(1_000)
      const out = drain(q)
      expect(out).toHaveLength(1_000)
      expect(out.every((t) => t !== undefined)).toBe(true)
      expect(ids(out)).toEqual(ids(byPriority(tasks)))
      expect(q.shift()).toBeUndefined()
    }
  })
})
