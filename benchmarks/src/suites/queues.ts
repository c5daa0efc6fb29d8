import { PriorityQueue as DsPriorityQueue } from '@datastructures-js/priority-queue'
import { seededRandom } from '@poolkit/core/testing'
import { createDefaultQueue, createPool } from '@poolkit/core'
import type { RunOptions, TaskInfo, TaskQueue } from '@poolkit/core'
import { createFairQueue, createFifoQueue, createPriorityQueue } from '@poolkit/queue'
import Denque from 'denque'
import { Heap } from 'heap-js'
import TinyQueue from 'tinyqueue'
import YoctoQueue from 'yocto-queue'
import { settings } from '../config.js'
import type { Contender, Runner } from '../contenders.js'
import { type Case, measure } from '../harness.js'
import { fmtPct, fmtRate, fmtRatio, median, printTable, relativeMad } from '../stats.js'

export interface QueuesResult {
  /** Items (or tasks) per second from the median batch time, by case id. */
  readonly rates: Map<string, number>
}

/** A task object shaped as the pool pushes it (TaskInfo's fields), so every queue holds the same thing. */
function makeTasks(n: number, priorityOf: (i: number) => number): TaskInfo[] {
  const out = new Array<TaskInfo>(n)
  for (let i = 0; i < n; i++) {
    out[i] = { id: i + 1, priority: priorityOf(i), key: undefined, name: undefined, attempt: 1, submittedAt: i, enqueuedAt: i, startedAt: -1, waitMs: 0, runMs: 0 }
  }
  return out
}

const done = Promise.resolve()

// ---------------------------------------------------------------- FIFO

/** A FIFO under test: push `count` items (cycling through `items`) into a new queue, then shift them all out. */
interface Fifo {
  readonly name: string
  run(items: readonly TaskInfo[], count: number): number
}

/**
 * Two ways to feed them. `distinct`: a million task objects made beforehand, so
 * each push reads a task that is no longer in the CPU cache; our FIFO reads every
 * task's priority (it refuses other priorities), the peers never look inside.
 * `cached`: the same thousand tasks pushed a thousand times each, in cache as a
 * pool's tasks are when it queues them (it has just made them).
 */
const FIFO_CASES = [
  { label: 'distinct', title: (n: string) => `${n} distinct tasks made beforehand (cold in cache)`, distinct: (count: number) => count },
  { label: 'cached', title: (n: string) => `${n} pushes cycling through 1,000 tasks (in cache, as a pool's new tasks are)`, distinct: () => 1_000 },
] as const

const fifos: readonly Fifo[] = [
  {
    name: '@poolkit/queue fifo',
    run(items, count) {
      const q = createFifoQueue()
      for (let i = 0, j = 0; i < count; i++, j = j + 1 === items.length ? 0 : j + 1) q.push(items[j]!)
      let out = 0
      while (q.shift() !== undefined) out++
      return out
    },
  },
  {
    name: 'denque',
    run(items, count) {
      const q = new Denque<TaskInfo>()
      for (let i = 0, j = 0; i < count; i++, j = j + 1 === items.length ? 0 : j + 1) q.push(items[j]!)
      let out = 0
      while (q.shift() !== undefined) out++
      return out
    },
  },
  {
    name: 'yocto-queue',
    run(items, count) {
      const q = new YoctoQueue<TaskInfo>()
      for (let i = 0, j = 0; i < count; i++, j = j + 1 === items.length ? 0 : j + 1) q.enqueue(items[j]!)
      let out = 0
      while (q.dequeue() !== undefined) out++
      return out
    },
  },
]

// ---------------------------------------------------------------- heaps

/** A priority queue under test: highest `priority` first. Only ours is stable (equal priorities in arrival order). */
interface PriorityContender {
  readonly name: string
  run(tasks: readonly TaskInfo[]): number
}

const higherFirst = (a: TaskInfo, b: TaskInfo): number => b.priority - a.priority

// Each library's loop is written out, as a caller would write it, so no shared helper's calls turn
// megamorphic. Every loop reads each popped task's priority to check the order (and a caller uses the
// task it pops; ours never touches the task objects while sifting, so this read is where it pays for them).
const heaps: readonly PriorityContender[] = [
  {
    name: '@poolkit/queue priority',
    run(tasks) {
      const q = createPriorityQueue()
      for (let i = 0; i < tasks.length; i++) q.push(tasks[i]!)
      let last = Infinity
      let out = 0
      for (let t = q.shift(); t !== undefined; t = q.shift()) {
        if (t.priority > last) throw new Error('out of priority order')
        last = t.priority
        out++
      }
      return out
    },
  },
  {
    name: 'heap-js',
    run(tasks) {
      const q = new Heap<TaskInfo>(higherFirst)
      for (let i = 0; i < tasks.length; i++) q.add(tasks[i]!)
      let last = Infinity
      let out = 0
      for (let t = q.pop(); t !== undefined; t = q.pop()) {
        if (t.priority > last) throw new Error('out of priority order')
        last = t.priority
        out++
      }
      return out
    },
  },
  {
    name: 'tinyqueue',
    run(tasks) {
      const q = new TinyQueue<TaskInfo>([], higherFirst)
      for (let i = 0; i < tasks.length; i++) q.push(tasks[i]!)
      let last = Infinity
      let out = 0
      for (let t = q.pop(); t !== undefined; t = q.pop()) {
        if (t.priority > last) throw new Error('out of priority order')
        last = t.priority
        out++
      }
      return out
    },
  },
  {
    name: '@datastructures-js/priority-queue',
    run(tasks) {
      const q = new DsPriorityQueue<TaskInfo>(higherFirst)
      for (let i = 0; i < tasks.length; i++) q.enqueue(tasks[i]!)
      let last = Infinity
      let out = 0
      // dequeue() gives null when empty.
      for (let t = q.dequeue(); t != null; t = q.dequeue()) {
        if (t.priority > last) throw new Error('out of priority order')
        last = t.priority
        out++
      }
      return out
    },
  },
]

const PRIORITY_CASES = [
  { label: 'random', title: 'random priorities 0-999', priorityOf: (random: () => number) => () => Math.floor(random() * 1000) },
  { label: 'levels', title: 'four levels (i % 4), as pools mostly use', priorityOf: () => (i: number) => i % 4 },
  // Nearly every task has a priority of its own, as with deadlines or timestamps: our queue runs as its stable heap.
  { label: 'distinct', title: 'distinct fractional priorities in [0, 1000), as deadlines give', priorityOf: (random: () => number) => () => random() * 1000 },
] as const

// ---------------------------------------------------------------- pool

const POOL_QUEUES: readonly { name: string; make: () => TaskQueue }[] = [
  { name: 'core default queue', make: () => createDefaultQueue() },
  { name: '@poolkit/queue fifo', make: () => createFifoQueue() },
  { name: '@poolkit/queue priority', make: () => createPriorityQueue() },
  { name: '@poolkit/queue fair', make: () => createFairQueue() },
]

// Four keys in turn for every pool (only the fair queue reads them), so option handling costs the same everywhere.
const KEYED: readonly RunOptions[] = [{ key: 'k0' }, { key: 'k1' }, { key: 'k2' }, { key: 'k3' }]
const noop = async (): Promise<void> => {}

function poolContender(name: string, make: () => TaskQueue): Contender {
  return {
    name,
    priorities: true,
    open(concurrency) {
      const pool = createPool<number, void>({ handler: noop, concurrency, queue: make() })
      return {
        batch(n) {
          const all = new Array<Promise<void>>(n)
          for (let i = 0; i < n; i++) all[i] = pool.run(i, KEYED[i & 3])
          return Promise.all(all)
        },
        close: () => pool.close(),
      }
    },
  }
}

/** A synchronous data-structure run as a harness contender: one batch is one whole run. `prepare` runs at open, untimed. */
function syncContender(name: string, prepare: () => () => number): Contender {
  return {
    name,
    priorities: false,
    open(): Runner {
      let run: (() => number) | undefined = prepare()
      return {
        batch(n) {
          const out = run!()
          if (out !== n) throw new Error(`${name}: ${out} of ${n} items came out`)
          return done
        },
        close() {
          run = undefined
        },
      }
    },
  }
}

/** Suite 4: the queues of @poolkit/queue against the data structures a user would pick instead, and inside a pool. */
export async function queues(): Promise<QueuesResult> {
  const s = settings.queues
  const rates = new Map<string, number>()
  const runSettings = { rounds: s.rounds, timeMs: 0, iterations: s.iterations, warmupMs: 0, warmupIterations: s.warmupIterations }
  const rateOf = (samples: Map<string, number[]>, id: string, items: number): number => (items * 1000) / median(samples.get(id)!)

  // FIFO
  console.log('\n## 4. Queues')
  const n = s.fifoItems.toLocaleString('en-US')
  for (const c of FIFO_CASES) {
    console.log(`\n### FIFO: ${c.title(n)}, pushed into a new queue, then shifted out`)
    const items = makeTasks(c.distinct(s.fifoItems), () => 1)
    const cases: Case[] = fifos.map((f) => ({
      id: `${c.label} ${f.name}`,
      contender: syncContender(f.name, () => () => f.run(items, s.fifoItems)),
      concurrency: 1,
      tasks: s.fifoItems,
    }))
    const samples = await measure(`queues: fifo ${c.label}`, cases, runSettings)
    process.stderr.write('\n')
    for (const f of fifos) rates.set(`fifo ${c.label} ${f.name}`, rateOf(samples, `${c.label} ${f.name}`, s.fifoItems))
    const own = rates.get(`fifo ${c.label} ${fifos[0]!.name}`)!
    printTable(
      ['library', 'ms/batch', 'MAD', 'push+shift/s', 'samples', 'ours vs this'],
      fifos.map((f) => {
        const ms = samples.get(`${c.label} ${f.name}`)!
        const rate = rates.get(`fifo ${c.label} ${f.name}`)!
        return [f.name, `${median(ms).toFixed(2)} ms`, fmtPct(relativeMad(ms)), fmtRate(rate), String(ms.length), fmtRatio(own / rate)]
      }),
    )
  }

  // Priority queues
  for (const c of PRIORITY_CASES) {
    const count = s.heapTasks.toLocaleString('en-US')
    console.log(`\n### Priority: push ${count} tasks (${c.title}) into a new queue, then pop them all in order`)
    const priorities = makeTasks(s.heapTasks, c.priorityOf(seededRandom(42))).map((t) => t.priority)
    const cases: Case[] = heaps.map((h) => ({
      id: `${c.label} ${h.name}`,
      // Each library gets its own task objects (ours writes a slot on each task it holds).
      contender: syncContender(h.name, () => {
        const tasks = makeTasks(s.heapTasks, (i) => priorities[i]!)
        return () => h.run(tasks)
      }),
      concurrency: 1,
      tasks: s.heapTasks,
    }))
    const samples = await measure(`queues: priority ${c.label}`, cases, runSettings)
    process.stderr.write('\n')
    for (const h of heaps) rates.set(`${c.label} ${h.name}`, rateOf(samples, `${c.label} ${h.name}`, s.heapTasks))
    const own = rates.get(`${c.label} ${heaps[0]!.name}`)!
    printTable(
      ['library', 'ms/batch', 'MAD', 'push+pop/s', 'samples', 'ours vs this'],
      heaps.map((h) => {
        const ms = samples.get(`${c.label} ${h.name}`)!
        const rate = rates.get(`${c.label} ${h.name}`)!
        return [h.name, `${median(ms).toFixed(2)} ms`, fmtPct(relativeMad(ms)), fmtRate(rate), String(ms.length), fmtRatio(own / rate)]
      }),
    )
  }

  // In a pool
  const batch = s.poolBatch.toLocaleString('en-US')
  console.log(`\n### In a pool: batches of ${batch} no-op tasks (keys k0-k3 in turn) at concurrency ${s.poolConcurrency}, one pool per queue`)
  const poolCases: Case[] = POOL_QUEUES.map((q) => ({ id: `pool ${q.name}`, contender: poolContender(q.name, q.make), concurrency: s.poolConcurrency, tasks: s.poolBatch }))
  const poolSamples = await measure('queues: pool', poolCases, { ...runSettings, timeMs: s.poolTimeMs, iterations: s.poolIterations })
  process.stderr.write('\n')
  for (const q of POOL_QUEUES) rates.set(`pool ${q.name}`, rateOf(poolSamples, `pool ${q.name}`, s.poolBatch))
  const base = rates.get(`pool ${POOL_QUEUES[0]!.name}`)!
  printTable(
    ['queue', 'tasks/s (median)', 'ms/batch', 'MAD', 'samples', 'vs core default'],
    POOL_QUEUES.map((q) => {
      const ms = poolSamples.get(`pool ${q.name}`)!
      const rate = rates.get(`pool ${q.name}`)!
      return [q.name, fmtRate(rate), `${median(ms).toFixed(2)} ms`, fmtPct(relativeMad(ms)), String(ms.length), fmtRatio(rate / base)]
    }),
  )
  return { rates }
}

export const QUEUE_NAMES = {
  fifo: fifos.map((f) => f.name),
  fifoCases: FIFO_CASES.map((c) => c.label),
  heaps: heaps.map((h) => h.name),
  priorityCases: PRIORITY_CASES.map((c) => c.label),
  pool: POOL_QUEUES.map((q) => q.name),
}
