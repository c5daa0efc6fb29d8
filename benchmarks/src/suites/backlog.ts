import { createPool } from '@poolkit/core'
import PQueue from 'p-queue'
import { settings } from '../config.js'
import { fmtRate, fmtRatio, median, printTable } from '../stats.js'

/**
 * The ways a backlog is submitted: poolkit's promise per task, its callback per
 * task, p-queue, and `promises alone`: no pool, only what any promise-per-task
 * API costs (a promise and its resolving functions made per task, held, then
 * resolved, awaited with `Promise.all`): the floor under run() and p-queue.
 */
export const BACKLOG_LIBRARIES = ['poolkit run()', 'poolkit submit()', 'p-queue', 'promises alone'] as const
export type BacklogLibrary = (typeof BACKLOG_LIBRARIES)[number]

export interface BacklogResult {
  /** Tasks/s (median of the rounds), by backlog size, then library. */
  readonly rates: Map<number, Map<BacklogLibrary, number>>
}

const handler = async (x: number): Promise<number> => x

/** Submits `n` no-op tasks at once to a fresh pool (or queue) at concurrency 2 and waits for all of them; returns tasks/s. */
async function once(library: BacklogLibrary, n: number): Promise<number> {
  switch (library) {
    case 'poolkit run()': {
      const pool = createPool<number, number>({ concurrency: 2, handler })
      const t0 = performance.now()
      const all = new Array<Promise<number>>(n)
      for (let i = 0; i < n; i++) all[i] = pool.run(i)
      await Promise.all(all)
      const ms = performance.now() - t0
      await pool.close()
      return (n * 1000) / ms
    }
    case 'poolkit submit()': {
      const pool = createPool<number, number>({ concurrency: 2, handler })
      const t0 = performance.now()
      let left = n
      let done!: () => void
      const all = new Promise<void>((resolve) => (done = resolve))
      const callback = (): void => {
        if (--left === 0) done()
      }
      for (let i = 0; i < n; i++) pool.submit(i, callback)
      await all
      const ms = performance.now() - t0
      await pool.close()
      return (n * 1000) / ms
    }
    case 'promises alone': {
      const t0 = performance.now()
      const all = new Array<Promise<number>>(n)
      const resolvers = new Array<(value: number) => void>(n)
      for (let i = 0; i < n; i++) all[i] = new Promise<number>((resolve) => (resolvers[i] = resolve))
      for (let i = 0; i < n; i++) resolvers[i]!(i)
      await Promise.all(all)
      return (n * 1000) / (performance.now() - t0)
    }
    case 'p-queue': {
      const queue = new PQueue({ concurrency: 2 })
      const t0 = performance.now()
      const all = new Array<Promise<number>>(n)
      for (let i = 0; i < n; i++) all[i] = queue.add(() => handler(i))
      await Promise.all(all)
      return (n * 1000) / (performance.now() - t0)
    }
  }
}

/**
 * Suite 1b: the cost per task as the backlog grows. Each size is submitted at
 * once to a fresh pool at concurrency 2 and awaited; libraries alternate within
 * each round (in reversed order on odd rounds), and the figure is the median of
 * the rounds. A small backlog is measured many more times, since one batch takes
 * a few milliseconds.
 */
export async function backlog(): Promise<BacklogResult> {
  const s = settings.backlog
  console.log(`\n## 1b. Backlog: ${s.sizes.map((n) => n.toLocaleString('en-US')).join(', ')} no-op tasks submitted at once, concurrency 2, fresh pool per batch`)
  for (let i = 0; i < s.warmupBatches; i++) for (const library of BACKLOG_LIBRARIES) await once(library, s.sizes[0]!)
  const rates = new Map<number, Map<BacklogLibrary, number>>()
  for (const n of s.sizes) {
    const samples = new Map<BacklogLibrary, number[]>(BACKLOG_LIBRARIES.map((l) => [l, []]))
    const rounds = n <= 10_000 ? s.rounds * 10 : s.rounds
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? BACKLOG_LIBRARIES : [...BACKLOG_LIBRARIES].reverse()
      for (const library of order) samples.get(library)!.push(await once(library, n))
    }
    rates.set(n, new Map([...samples].map(([library, values]) => [library, median(values)])))
    process.stderr.write('.')
  }
  process.stderr.write('\n')
  const smallest = rates.get(s.sizes[0]!)!
  const rows: string[][] = []
  for (const [n, byLib] of rates) {
    for (const library of BACKLOG_LIBRARIES) {
      const rate = byLib.get(library)!
      rows.push([n.toLocaleString('en-US'), library, fmtRate(rate), fmtRatio(rate / smallest.get(library)!), library.startsWith('poolkit') ? fmtRatio(rate / byLib.get('p-queue')!) : ''])
    }
  }
  printTable(['tasks', 'library', 'tasks/s (median)', `vs ${s.sizes[0]!.toLocaleString('en-US')}`, 'vs p-queue'], rows, 3)
  return { rates }
}
