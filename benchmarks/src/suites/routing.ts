import { fileURLToPath } from 'node:url'
import { quick, settings } from '../config.js'
import { BURST_LINES, CACHE_LINE_NAMES, DEFAULT_LINE, POOLIFIER_STRATEGIES, type SelectorLine } from '../routing-lines.js'
import { fmtPct, fmtRate, fmtRatio, median, printTable, relativeMad } from '../stats.js'
import { ordered, reportOthers, runChild, untilIdle } from '../thread-harness.js'
import { CACHE_SIZE, KEY_COUNT } from '../workers/validators.js'

/** What the routing suite measured. */
export interface RoutingResult {
  /** R1: median tasks/s of the threads burst, by poolkit line. */
  readonly threads: Map<string, number>
  /** R1: median tasks/s of the same burst through poolifier, by `poolifier <STRATEGY>`. */
  readonly poolifier: Map<string, number>
  /** R2: median ns per task in-process, by line. */
  readonly inProcess: Map<string, number>
  /** R3: median tasks/s and hit rate (0 to 1) of the cached-validator burst, by line. */
  readonly cache: Map<string, { rate: number; hitRate: number }>
}

const CHILD = fileURLToPath(new URL('../routing-child.js', import.meta.url))

interface ChildReport {
  readonly hung: readonly string[]
  readonly othersCores?: number
}

/** One measurement in a fresh process (see routing-child.ts); notes how busy the rest of the machine was. */
async function measure<R extends ChildReport>(args: readonly (string | number)[], busy: number[]): Promise<R> {
  await untilIdle()
  const report = await runChild<R>(args.map(String), { script: CHILD })
  if (report.othersCores !== undefined) busy.push(report.othersCores)
  process.stderr.write('.')
  return report
}

const judged = (line: SelectorLine, ratio: number): string =>
  line.name === DEFAULT_LINE || line.reference === true || line.targeted === false ? '-' : quick ? 'not judged in quick mode' : ratio >= 0.9 ? 'met' : 'NOT met'

// ---------------------------------------------------------------- R1 threads

async function threadsBurst(): Promise<{ rates: Map<string, number>; poolifier: Map<string, number> }> {
  const s = settings.routing
  console.log(
    `\n### R1. Threads: ${s.tasks.toLocaleString('en-US')} no-op tasks (returning their input; poolkit's with 16 keys) submitted at once, ${s.workers} workers; ` +
      `a fresh process and pool per line and round, ${s.bursts} bursts each after ${s.warmupTasks.toLocaleString('en-US')} tasks of warm-up, ${s.rounds} rounds`,
  )
  const names = [...BURST_LINES.map((l) => l.name), ...POOLIFIER_STRATEGIES.map((p) => `poolifier ${p}`)]
  const samples = new Map(names.map((name) => [name, [] as number[]]))
  const busy: number[] = []
  for (let round = 0; round < s.rounds; round++) {
    for (const name of ordered(names, round)) {
      const report = await measure<ChildReport & { ms: number[] }>(['threads', name, s.workers, s.warmupTasks, s.tasks, s.bursts], busy)
      samples.get(name)!.push(...report.ms)
    }
  }
  process.stderr.write('\n')
  const rate = (name: string): number => (s.tasks * 1000) / median(samples.get(name)!)
  const base = rate(DEFAULT_LINE)
  printTable(
    ['line', 'tasks/s (median)', 'MAD', 'vs default', 'target >= 0.90x', 'poolifier, same burst', 'poolkit / poolifier'],
    BURST_LINES.map((line) => [
      line.name,
      fmtRate(rate(line.name)),
      fmtPct(relativeMad(samples.get(line.name)!)),
      fmtRatio(rate(line.name) / base),
      judged(line, rate(line.name) / base),
      (line.poolifier ?? []).map((p) => `${p} ${fmtRate(rate(`poolifier ${p}`))}`).join(', ') || '-',
      (line.poolifier ?? []).map((p) => fmtRatio(rate(line.name) / rate(`poolifier ${p}`))).join(', ') || '-',
    ]),
  )
  console.log('("vs default": tasks/s over the pool with no selector on the same burst; poolifier\'s FixedThreadPool runs its default function, an echo as poolkit\'s)')
  reportOthers(median(busy))
  return {
    rates: new Map(BURST_LINES.map((l) => [l.name, rate(l.name)])),
    poolifier: new Map(POOLIFIER_STRATEGIES.map((p) => [`poolifier ${p}`, rate(`poolifier ${p}`)])),
  }
}

// ---------------------------------------------------------------- R2 in-process

async function inProcessBatches(): Promise<Map<string, number>> {
  const s = settings.routing.inProcess
  console.log(
    `\n### R2. In-process: batches of ${s.batch.toLocaleString('en-US')} tasks (async x => x, 16 keys) at concurrency ${s.concurrency}; ` +
      `a fresh process per line and round, ${s.batches} batches each after ${s.warmup} of warm-up, ${s.rounds} rounds`,
  )
  const samples = new Map(BURST_LINES.map((l) => [l.name, [] as number[]]))
  const busy: number[] = []
  for (let round = 0; round < s.rounds; round++) {
    for (const line of ordered(BURST_LINES, round)) {
      const report = await measure<ChildReport & { ns: number[] }>(['in-process', line.name, s.concurrency, s.batch, s.warmup, s.batches], busy)
      samples.get(line.name)!.push(...report.ns)
    }
  }
  process.stderr.write('\n')
  const ns = new Map(BURST_LINES.map((l) => [l.name, median(samples.get(l.name)!)]))
  const base = ns.get(DEFAULT_LINE)!
  printTable(
    ['line', 'ns/task (median)', 'MAD', 'vs default (rate)', 'target >= 0.90x'],
    BURST_LINES.map((line) => {
      const kept = base / ns.get(line.name)!
      return [line.name, ns.get(line.name)!.toFixed(0), fmtPct(relativeMad(samples.get(line.name)!)), fmtRatio(kept), judged(line, kept)]
    }),
  )
  reportOthers(median(busy))
  return ns
}

// ---------------------------------------------------------------- R3 affinity and a worker-side cache

async function cachedValidators(): Promise<Map<string, { rate: number; hitRate: number }>> {
  const s = settings.routing
  console.log(
    `\n### R3. Affinity and a worker-side cache: ${s.cacheTasks.toLocaleString('en-US')} tasks over ${KEY_COUNT} keys (uniform, seeded: the same keys for every line of a round) submitted at once, ` +
      `${s.workers} workers each caching ${CACHE_SIZE} validators (a schema parsed from JSON and a regular expression, about 0.8 ms to build, microseconds to use); a fresh process and pool per line and round, ${s.rounds} rounds`,
  )
  const samples = new Map(CACHE_LINE_NAMES.map((name) => [name, [] as { ms: number; hits: number }[]]))
  const busy: number[] = []
  for (let round = 0; round < s.rounds; round++) {
    for (const name of ordered(CACHE_LINE_NAMES, round)) {
      samples.get(name)!.push(await measure<ChildReport & { ms: number; hits: number }>(['cache', name, s.workers, s.cacheTasks, round + 1], busy))
    }
  }
  process.stderr.write('\n')
  const result = new Map(
    CACHE_LINE_NAMES.map((name) => {
      const runs = samples.get(name)!
      return [name, { rate: (s.cacheTasks * 1000) / median(runs.map((r) => r.ms)), hitRate: median(runs.map((r) => r.hits)) / s.cacheTasks }] as const
    }),
  )
  const rr = result.get('roundRobin()')!
  printTable(
    ['line', 'tasks/s (median)', 'hit rate', 'misses', 'vs roundRobin()'],
    CACHE_LINE_NAMES.map((name) => {
      const r = result.get(name)!
      return [name, fmtRate(r.rate), `${(r.hitRate * 100).toFixed(1)}%`, Math.round((1 - r.hitRate) * s.cacheTasks).toLocaleString('en-US'), fmtRatio(r.rate / rr.rate)]
    }),
  )
  console.log("(hit rate: tasks whose worker had the key's validator cached; a miss builds it, about 0.8 ms of the worker's time)")
  reportOthers(median(busy))
  return result
}

/**
 * The routing suite: what each selector of `@poolkit/routing` costs against the
 * pool with no selector (on threads and in-process), against poolifier's
 * matching strategies on the same burst, and what affinity buys when workers
 * cache something per key. Every measurement runs in a fresh process
 * (`routing-child.ts`), the lines taking turns round by round.
 */
export async function routing(): Promise<RoutingResult> {
  console.log("\n## Routing: @poolkit/routing's selectors against the pool's default and poolifier's worker choice strategies")
  const { rates, poolifier } = await threadsBurst()
  const inProcess = await inProcessBatches()
  const cache = await cachedValidators()
  return { threads: rates, poolifier, inProcess, cache }
}
