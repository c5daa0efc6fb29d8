// The routing suite's lines and workloads, shared by the suite (suites/routing.ts), which
// orders and reports them, and the child process that measures each (routing-child.ts).
import { createPool } from '@poolkit/core'
import type { Pool, WorkerSelector } from '@poolkit/core'
import { seededRandom } from '@poolkit/core/testing'
import { threads } from '@poolkit/node-adapter'
import { affinity, capabilities, fairShare, leastBusy, leastEventLoopUtilization, predictive, roundRobin, weightedRoundRobin } from '@poolkit/routing'
import type { WorkerChoiceStrategy } from 'poolifier'
import { poolifierWith } from './thread-pools.js'
import { KEY_COUNT, keyName } from './workers/validators.js'

/** The pool with no selector: every other line is read against it. */
export const DEFAULT_LINE = 'default (no selector)'

/**
 * One poolkit line of the suite: a selector (or none), the poolifier
 * strategies that do what it does, and whether it is a reference rather than a
 * selector of `@poolkit/routing`.
 */
export interface SelectorLine {
  readonly name: string
  make(): WorkerSelector | undefined
  /** Not a selector users pick: the cost of having any selector at all (the pool's paths for plain tasks are off). */
  readonly reference?: boolean
  /** poolifier's strategies that match it, measured on the same burst. */
  readonly poolifier?: readonly WorkerChoiceStrategy[]
  /** False where issue 22's target (within 10% of the default) does not apply: `predictive()` computes an estimate per candidate. */
  readonly targeted?: boolean
}

export const SELECTOR_LINES: readonly SelectorLine[] = [
  { name: DEFAULT_LINE, make: () => undefined },
  { name: 'any selector (candidates[0])', reference: true, make: () => ({ select: (candidates) => candidates[0] }) },
  { name: 'roundRobin()', make: roundRobin, poolifier: ['ROUND_ROBIN'] },
  { name: 'leastBusy()', make: leastBusy, poolifier: ['LEAST_USED'] },
  { name: 'leastEventLoopUtilization()', make: leastEventLoopUtilization, poolifier: ['LEAST_ELU'] },
  { name: 'fairShare()', make: fairShare, poolifier: ['FAIR_SHARE', 'LEAST_BUSY'] },
  { name: 'weightedRoundRobin({ 1: 2 })', make: () => weightedRoundRobin({ 1: 2 }), poolifier: ['WEIGHTED_ROUND_ROBIN'] },
  { name: 'affinity()', make: () => affinity() },
  // Without waiting for a full home: the selector's own cost, where affinity() also pays for the tasks it holds back.
  { name: 'affinity({ maxImbalance: 0 })', make: () => affinity({ maxImbalance: 0 }) },
  // No task requires anything here: what the selector costs when every worker may run every task.
  { name: 'capabilities()', make: () => capabilities() },
  { name: 'predictive()', make: () => predictive(), targeted: false },
  // Never moving a key while its home lives: the most hits, and a task waits for its home whatever the others do.
  { name: 'affinity({ maxImbalance: Infinity })', make: () => affinity({ maxImbalance: Infinity }) },
]

/** poolifier's strategies measured, each matched by a line above. */
export const POOLIFIER_STRATEGIES: readonly WorkerChoiceStrategy[] = [...new Set(SELECTOR_LINES.flatMap((l) => l.poolifier ?? []))]

/** The lines of R1 and R2 (affinity with an infinite bound is R3's alone). */
export const BURST_LINES: readonly SelectorLine[] = SELECTOR_LINES.filter((l) => l.name !== 'affinity({ maxImbalance: Infinity })')

/** The lines of R3, where a worker's cache of per-key validators pays off. */
export const CACHE_LINE_NAMES: readonly string[] = [DEFAULT_LINE, 'roundRobin()', 'affinity()', 'affinity({ maxImbalance: 0 })', 'affinity({ maxImbalance: Infinity })']

export function selectorLine(name: string): SelectorLine {
  const line = SELECTOR_LINES.find((l) => l.name === name)
  if (line === undefined) throw new Error(`unknown routing line ${JSON.stringify(name)}`)
  return line
}

const workerUrl = new URL('./workers/routing.worker.js', import.meta.url)
/** The keys of the no-op tasks (every poolkit line gets the same tasks). */
const BURST_KEYS = Array.from({ length: 16 }, (_, i) => `k${i}`)

/** A pool under test: `burst(n)` submits n no-op tasks at once and resolves to the ms they took. */
export interface BurstRunner {
  burst(n: number): Promise<number>
  close(): Promise<unknown>
}

/** A threads() pool of `workers` with `selector`, ready. */
async function openThreads<O>(selector: WorkerSelector | undefined, workers: number): Promise<Pool<unknown, O>> {
  const pool = createPool<unknown, O>({ executor: threads<unknown, O>(workerUrl), concurrency: workers, ...(selector === undefined ? {} : { selector }) })
  await pool.ready()
  return pool
}

/** R1, a poolkit line: no-op tasks with keys on threads(). */
export async function poolkitThreads(line: SelectorLine, workers: number): Promise<BurstRunner> {
  const pool = await openThreads<unknown>(line.make(), workers)
  return {
    async burst(n) {
      const t0 = performance.now()
      const all = new Array<Promise<unknown>>(n)
      for (let i = 0; i < n; i++) all[i] = pool.run(i, { key: BURST_KEYS[i & 15]! })
      const out = await Promise.all(all)
      const ms = performance.now() - t0
      if (out[n - 1] !== n - 1) throw new Error(`routing: ${line.name} returned wrong results`)
      return ms
    },
    close: () => pool.close(),
  }
}

/** R1, poolifier with `strategy` on the same burst (its own worker file, the same echo). */
export function poolifierThreads(strategy: WorkerChoiceStrategy, workers: number): BurstRunner {
  const runner = poolifierWith(strategy).open(workers)
  return {
    async burst(n) {
      const t0 = performance.now()
      const all = new Array<PromiseLike<unknown>>(n)
      for (let i = 0; i < n; i++) all[i] = runner.echo(i)
      const out = await Promise.all(all)
      const ms = performance.now() - t0
      if (out[n - 1] !== n - 1) throw new Error(`routing: poolifier ${strategy} returned wrong results`)
      return ms
    },
    close: () => runner.close(),
  }
}

/** R2, in-process: a pool with the line's selector; `batch(n)` runs n async no-op tasks with keys and resolves to ns per task. */
export function inProcessPool(line: SelectorLine, concurrency: number): { batch(n: number): Promise<number>; close(): Promise<unknown> } {
  const selector = line.make()
  const pool = createPool<number, number>({ handler: async (x: number) => x, concurrency, ...(selector === undefined ? {} : { selector }) })
  return {
    async batch(n) {
      const t0 = performance.now()
      const all = new Array<Promise<number>>(n)
      for (let k = 0; k < n; k++) all[k] = pool.run(k, { key: BURST_KEYS[k & 15]! })
      await Promise.all(all)
      return ((performance.now() - t0) * 1e6) / n
    },
    close: () => pool.close(),
  }
}

/**
 * R3: `tasks` validations over the keys (uniform, from `seed`) submitted at
 * once to a threads() pool with the line's selector; the ms they took and how
 * many found their validator cached in their worker.
 */
export async function cachedValidators(line: SelectorLine, workers: number, tasks: number, seed: number): Promise<{ ms: number; hits: number }> {
  const random = seededRandom(seed)
  const keys = Array.from({ length: tasks }, () => keyName(Math.floor(random() * KEY_COUNT)))
  const pool = await openThreads<number>(line.make(), workers)
  // Start both workers' paths before the clock runs (no-op tasks: the caches stay cold).
  await Promise.all(Array.from({ length: 200 }, (_, i) => pool.run(i)))
  const t0 = performance.now()
  const all = keys.map((key, i) => pool.run({ key, value: `${key}_field_${i % 200}_0` }, { key, name: 'validate' }))
  const hits = (await Promise.all(all)).reduce((a, b) => a + b, 0)
  const ms = performance.now() - t0
  await pool.close()
  return { ms, hits }
}
