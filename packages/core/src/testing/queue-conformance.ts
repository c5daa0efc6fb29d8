import type { TaskInfo } from '../contracts/task.js'
import type { TaskQueue } from '../contracts/task-queue.js'
import type { TestApi } from './test-api.js'
import { equal, ok, seededRandom } from './test-api.js'

/**
 * The order a queue promises, for {@link runQueueConformance}.
 * - `'priority'`: higher priority first, FIFO within a priority (core's default queue).
 * - `'fifo'`: arrival order, whatever the priority.
 * - `'any'`: no order is checked (a fair queue, a custom comparator); every other
 *   property still is.
 * @public
 */
export type QueueOrder = 'priority' | 'fifo' | 'any'

/**
 * Options of {@link runQueueConformance}.
 * @public
 */
export interface QueueConformanceOptions {
  /** @defaultValue `'priority'` */
  order?: QueueOrder
  /** Whether the queue accepts priorities other than `Priority.Normal`. @defaultValue true */
  priorities?: boolean
  /** Keys to give tasks (fair queues group by key). @defaultValue no key */
  keys?: readonly (string | undefined)[]
  /** Random operation sequences to check against a model. @defaultValue 200 */
  runs?: number
}

let nextId = 1

/** Builds a minimal task as the pool would push it. */
function makeTask(priority: number, key: string | undefined, now: number): TaskInfo {
  return {
    id: nextId++,
    priority,
    key,
    name: undefined,
    attempt: 1,
    submittedAt: now,
    enqueuedAt: now,
    startedAt: -1,
    waitMs: 0,
    runMs: 0,
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** What the pool does to a task it retries: a later attempt, queued again now. */
function retry(task: TaskInfo, now: number): void {
  const t = task as Mutable<TaskInfo>
  t.attempt++
  t.enqueuedAt = now
  if (t.startedAt < 0) t.startedAt = now
}

function expectedOrder(tasks: readonly TaskInfo[], order: QueueOrder): TaskInfo[] {
  if (order === 'fifo') return tasks.slice()
  // Stable sort: equal priorities keep arrival order.
  return tasks.slice().sort((a, b) => b.priority - a.priority)
}

/**
 * The shared checks every `TaskQueue` implementation passes: size accounting,
 * push and shift, peek, remove by identity (of queued, shifted and retried
 * tasks), clear, evict, unshift, ordering, and random sequences of operations (retries
 * of the same task object included) against an array model. Call it inside a test file.
 * @example
 * ```ts
 * import { describe, it } from 'vitest'
 * import { runQueueConformance } from '@poolkit/core/testing'
 * runQueueConformance('createPriorityQueue', () => createPriorityQueue(), { describe, it })
 * ```
 * @public
 */
export function runQueueConformance(name: string, factory: () => TaskQueue, test: TestApi, options: QueueConformanceOptions = {}): void {
  const order = options.order ?? 'priority'
  const priorities = options.priorities !== false
  const keys = options.keys ?? [undefined]
  const runs = options.runs ?? 200
  const checked = (tasks: readonly TaskInfo[]): TaskInfo[] => (order === 'any' ? [] : expectedOrder(tasks, order))

  test.describe(`TaskQueue conformance: ${name}`, () => {
    test.it('starts empty: size 0, shift and peek give undefined, clear gives []', () => {
      const q = factory()
      equal(q.size, 0, 'size of a new queue')
      ok(q.shift() === undefined, 'shift() of an empty queue returns undefined')
      if (q.peek !== undefined) ok(q.peek() === undefined, 'peek() of an empty queue returns undefined')
      equal(q.clear().length, 0, 'clear() of an empty queue')
    })

    test.it('returns every pushed task exactly once and counts size on the way', () => {
      const q = factory()
      const tasks = Array.from({ length: 50 }, (_, i) => makeTask(priorities ? i % 4 : 1, keys[i % keys.length], i))
      tasks.forEach((t, i) => {
        q.push(t)
        equal(q.size, i + 1, 'size after push')
      })
      const out: TaskInfo[] = []
      for (let t = q.shift(); t !== undefined; t = q.shift()) out.push(t)
      equal(q.size, 0, 'size after shifting everything')
      equal(
        out.map((t) => t.id).sort((a, b) => a - b),
        tasks.map((t) => t.id),
        'the ids shifted',
      )
      if (order !== 'any')
        equal(
          out.map((t) => t.id),
          checked(tasks).map((t) => t.id),
          `${order} order`,
        )
    })

    if (order === 'priority' && priorities) {
      test.it('serves higher priorities first and equal priorities in arrival order, for any finite priority', () => {
        const q = factory()
        const prios = [1, 3, -2, 1, 0.5, 3, 100, -2, 1]
        const tasks = prios.map((p, i) => makeTask(p, keys[i % keys.length], i))
        for (const t of tasks) q.push(t)
        const out: number[] = []
        for (let t = q.shift(); t !== undefined; t = q.shift()) out.push(t.id)
        equal(
          out,
          expectedOrder(tasks, 'priority').map((t) => t.id),
          'priority order',
        )
      })
    }

    test.it('peek(), where implemented, returns what shift() returns next, without removing it', () => {
      const q = factory()
      if (q.peek === undefined) {
        ok(true, 'no peek()')
        return
      }
      for (let i = 0; i < 10; i++) q.push(makeTask(priorities ? i % 3 : 1, keys[i % keys.length], i))
      while (q.size > 0) {
        const size = q.size
        const peeked = q.peek()
        equal(q.size, size, 'size after peek')
        ok(q.shift() === peeked, 'shift() returns the peeked task')
      }
    })

    test.it('remove() takes a queued task out once, and refuses a task it does not hold', () => {
      const q = factory()
      const tasks = Array.from({ length: 10 }, (_, i) => makeTask(priorities ? i % 2 : 1, keys[i % keys.length], i))
      for (const t of tasks) q.push(t)
      ok(q.remove(tasks[3]!), 'remove() of a queued task returns true')
      ok(!q.remove(tasks[3]!), 'a second remove() of the same task returns false')
      ok(!q.remove(makeTask(1, undefined, 0)), 'remove() of a task never pushed returns false')
      equal(q.size, 9, 'size after remove')
      const out: TaskInfo[] = []
      for (let t = q.shift(); t !== undefined; t = q.shift()) out.push(t)
      ok(!out.includes(tasks[3]!), 'a removed task is never shifted')
      equal(out.length, 9, 'tasks left')
    })

    test.it('clear() returns what it held, in shift order, and empties the queue', () => {
      const q = factory()
      const tasks = Array.from({ length: 20 }, (_, i) => makeTask(priorities ? i % 4 : 1, keys[i % keys.length], i))
      for (const t of tasks) q.push(t)
      q.remove(tasks[0]!)
      const cleared = q.clear()
      equal(q.size, 0, 'size after clear')
      ok(q.shift() === undefined, 'shift() after clear')
      equal(cleared.length, 19, 'clear() returns the tasks still held')
      if (order !== 'any')
        equal(
          cleared.map((t) => t.id),
          checked(tasks.slice(1)).map((t) => t.id),
          'clear() order',
        )
    })

    test.it('evict(), where implemented, removes the task queued longest', () => {
      const q = factory()
      if (q.evict === undefined) {
        ok(true, 'no evict()')
        return
      }
      const tasks = Array.from({ length: 8 }, (_, i) => makeTask(priorities ? 3 - (i % 4) : 1, keys[i % keys.length], i))
      for (const t of tasks) q.push(t)
      ok(q.evict() === tasks[0], 'evict() returns the oldest task')
      ok(q.evict() === tasks[1], 'then the next oldest')
      equal(q.size, 6, 'size after evict')
      const emptied = factory()
      ok(emptied.evict!() === undefined, 'evict() of an empty queue returns undefined')
    })

    test.it('unshift(), where implemented, puts a task taken by shift() back ahead of the tasks of its priority', () => {
      const q = factory()
      if (q.unshift === undefined) {
        ok(true, 'no unshift()')
        return
      }
      const tasks = Array.from({ length: 8 }, (_, i) => makeTask(priorities ? i % 2 : 1, keys[i % keys.length], i))
      for (const t of tasks) q.push(t)
      const first = q.shift()!
      q.unshift(first)
      equal(q.size, 8, 'size after unshift')
      if (order !== 'any') ok(q.shift() === first, 'the task put back comes out next')
      else ok(q.remove(first), 'the task put back is held again')
      const rest: TaskInfo[] = []
      for (let t = q.shift(); t !== undefined; t = q.shift()) rest.push(t)
      equal(rest.length, 7, 'every other task is still there, once')
      ok(!rest.includes(first), 'the task put back comes out once')
      const empty = factory()
      const lone = makeTask(priorities ? 3 : 1, keys[0], 99)
      empty.unshift!(lone)
      equal(empty.size, 1, 'size after unshift() into an empty queue')
      ok(empty.shift() === lone, 'unshift() into an empty queue makes that task next')
    })

    test.it('remove() of a task already shifted returns false and takes nothing else; a shifted task pushed again (a retry) is held again', () => {
      const q = factory()
      const a = makeTask(1, keys[0], 0)
      const b = makeTask(1, keys[1 % keys.length], 1)
      q.push(a)
      ok(q.shift() === a, 'shift() returns the only task')
      q.push(b)
      ok(!q.remove(a), 'remove() of a task already shifted returns false')
      equal(q.size, 1, 'size after remove() of a shifted task')
      ok(q.shift() === b, 'the task queued after it is still there')
      // The pool pushes the same object again when it retries a task.
      retry(a, 2)
      q.push(a)
      q.push(b)
      ok(q.remove(a), 'remove() of a task pushed again after a shift returns true')
      equal(q.size, 1, 'size after removing the retried task')
      ok(q.shift() === b, 'the other task is still there')
      ok(q.shift() === undefined, 'nothing else is left')
    })

    test.it(`matches an array model over ${runs} random sequences of push, retry, shift, peek, remove, evict and clear`, () => {
      for (let run = 0; run < runs; run++) {
        const random = seededRandom(run + 1)
        const q = factory()
        // Queued tasks in push order (so model[0] is the one queued longest), and tasks shifted and not yet retried.
        let model: TaskInfo[] = []
        const shifted: TaskInfo[] = []
        let clock = 0
        for (let step = 0; step < 60; step++) {
          const where = `run ${run} step ${step}`
          const r = random()
          if (r < 0.5) {
            let t: TaskInfo
            if (r >= 0.44 && shifted.length > 0) {
              // A retry: the pool pushes the same task object again, as a later attempt.
              t = shifted.splice(Math.floor(random() * shifted.length), 1)[0]!
              retry(t, clock++)
            } else {
              t = makeTask(priorities ? Math.floor(random() * 4) : 1, keys[Math.floor(random() * keys.length)], clock++)
            }
            q.push(t)
            model.push(t)
          } else if (r < 0.72) {
            const t = q.shift()
            if (model.length === 0) ok(t === undefined, `${where}: shift() of an empty queue`)
            else {
              ok(t !== undefined && model.includes(t), `${where}: shift() returns a queued task`)
              if (order !== 'any') ok(t === checked(model)[0], `${where}: shift() follows ${order} order`)
              model = model.filter((m) => m !== t)
              ;(t as Mutable<TaskInfo>).startedAt = clock++
              shifted.push(t)
            }
          } else if (r < 0.82) {
            if (q.peek === undefined) continue
            const t = q.peek()
            if (order !== 'any') ok(t === checked(model)[0], `${where}: peek() follows ${order} order`)
            else ok(model.length === 0 ? t === undefined : model.includes(t!), `${where}: peek() gives a queued task`)
          } else if (r < 0.93) {
            if (model.length > 0) {
              const victim = model[Math.floor(random() * model.length)]!
              ok(q.remove(victim), `${where}: remove() of a queued task`)
              model = model.filter((m) => m !== victim)
            }
          } else if (r < 0.96) {
            if (shifted.length > 0) ok(!q.remove(shifted[Math.floor(random() * shifted.length)]!), `${where}: remove() of a task already shifted`)
          } else if (r < 0.985) {
            if (q.evict === undefined) continue
            const t = q.evict()
            ok(t === model[0], `${where}: evict() returns the task queued longest`)
            model = model.slice(1)
          } else {
            const cleared = q.clear()
            equal(
              cleared.map((t) => t.id).sort((a, b) => a - b),
              model.map((t) => t.id).sort((a, b) => a - b),
              `${where}: clear() returns what was queued`,
            )
            if (order !== 'any')
              equal(
                cleared.map((t) => t.id),
                checked(model).map((t) => t.id),
                `${where}: clear() follows ${order} order`,
              )
            model = []
          }
          equal(q.size, model.length, `${where}: size`)
        }
      }
    })
  })
}
