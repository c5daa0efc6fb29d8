// Spawned once per library by the memory suite (`node --expose-gc dist/rss-child.js <library> <tasks>`),
// so each library's heap starts empty and nothing else in the process allocates.
import { createPool } from '@poolkit/core'
import pLimit from 'p-limit'
import PQueue from 'p-queue'
import { createMiniLimiter } from './mini-limiter.js'
import { MEMORY_LIBRARIES, type MemoryLibrary, type MemoryReport } from './memory-report.js'

interface Held {
  submit(i: number): Promise<unknown>
  start(): void
  pending(): number
}

const noop = async (): Promise<void> => {}

function open(library: MemoryLibrary): Held {
  switch (library) {
    case 'poolkit': {
      const pool = createPool<number, void>({ handler: noop, concurrency: 1, paused: true })
      return { submit: (i) => pool.run(i), start: () => pool.resume(), pending: () => pool.stats().queued }
    }
    case 'poolkit submit()': {
      // A callback per task instead of a promise: what a queued task costs without the caller's promise.
      const pool = createPool<number, void>({ handler: noop, concurrency: 1, paused: true })
      let left = 0
      let done!: () => void
      const all = new Promise<void>((resolve) => (done = resolve))
      const callback = (): void => {
        if (--left === 0) done()
      }
      return {
        submit: (i) => {
          left++
          pool.submit(i, callback)
          return all
        },
        start: () => pool.resume(),
        pending: () => pool.stats().queued,
      }
    }
    case 'p-queue': {
      const queue = new PQueue({ concurrency: 1, autoStart: false })
      return { submit: () => queue.add(noop), start: () => void queue.start(), pending: () => queue.size }
    }
    // No pause in these two: one task holds the only slot until start(), the rest queue behind it.
    case 'p-limit': {
      const limit = pLimit(1)
      let open!: () => void
      const gate = new Promise<void>((resolve) => (open = resolve))
      void limit(() => gate)
      return { submit: () => limit(noop), start: () => open(), pending: () => limit.pendingCount }
    }
    case 'minimal limiter': {
      const limit = createMiniLimiter(1)
      let open!: () => void
      let queued = 0
      const gate = new Promise<void>((resolve) => (open = resolve))
      void limit(() => gate)
      return { submit: () => (queued++, limit(noop)), start: () => open(), pending: () => queued }
    }
  }
}

async function main(): Promise<void> {
  const library = process.argv[2] as MemoryLibrary
  const tasks = Number(process.argv[3])
  if (!MEMORY_LIBRARIES.includes(library)) throw new Error(`unknown library ${JSON.stringify(library)}`)
  if (!Number.isInteger(tasks) || tasks < 1) throw new Error(`tasks must be a positive integer, got ${process.argv[3]}`)
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error('run with node --expose-gc')

  const held = open(library)
  gc()
  const base = process.memoryUsage()
  const t0 = performance.now()
  // Callers keep each task's promise, as they would to await the results.
  const all = new Array<Promise<unknown>>(tasks)
  for (let i = 0; i < tasks; i++) all[i] = held.submit(i)
  const queueMs = performance.now() - t0
  if (held.pending() < tasks) throw new Error(`${library}: only ${held.pending()} of ${tasks} tasks are queued`)
  gc()
  const queued = process.memoryUsage()
  const t1 = performance.now()
  held.start()
  const results = await Promise.all(all)
  const drainMs = performance.now() - t1
  const report: MemoryReport = {
    library,
    tasks,
    baseRss: base.rss,
    baseHeap: base.heapUsed,
    queuedRss: queued.rss,
    queuedHeap: queued.heapUsed,
    maxRss: process.resourceUsage().maxRSS * 1024,
    queueMs,
    drainMs,
    completed: results.length,
  }
  process.stdout.write(JSON.stringify(report) + '\n')
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
