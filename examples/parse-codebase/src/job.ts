// One run of the job: find the files, decide where to parse them, parse them.
// The pool starts as soon as the walk has found enough work for it, so its
// workers load the compiler while the walk goes on.
import { availableParallelism, loadavg } from 'node:os'
import type { Metrics } from '@poolkit/metrics'
import { runOnMain } from './main-run.js'
import type { OnOutcome } from './outcome.js'
import { feedPool, startParsePool, type ParsePool } from './pool-run.js'
import { chooseRunner, poolWorthBytes, usableWorkers, type RunnerChoice } from './runner.js'
import { largestFirst } from './schedule.js'
import { findSourceFiles, type WalkResult } from './walk.js'

/** How to run the job. */
export interface JobOptions {
  dir: string
  maxBytes: number
  /** The most worker threads. */
  workers: number
  /** `auto`: where {@link chooseRunner} expects it fastest; `pool` or `main` to force one. */
  mode: 'auto' | 'pool' | 'main'
  /** Who reads the files: each worker its own (`worker`), or the main thread ahead of them (`main`). */
  read: 'worker' | 'main'
  /** `largest`: largest first through a FIFO queue; `fair`: the fair queue by package (largest first within each). */
  queue: 'largest' | 'fair'
  metrics: Metrics
  /** Called once the pool exists (to serve the dashboard, to stop it on Ctrl-C). */
  onPool?: (pool: ParsePool) => void
  /** Called once the walk is done, before any file is parsed. */
  onWalk?: (walk: WalkResult) => void
  onOutcome: OnOutcome
}

/** What a run did, beyond each file's outcome. */
export interface JobRun {
  walk: WalkResult
  /** Where it ran; `forced` when `--mode` chose, not the estimate; the load average and the workers it left usable. */
  runner: RunnerChoice & { forced: boolean; loadAverage: number; usableWorkers: number }
  /** Milliseconds finding the files. */
  walkMs: number
  /** Milliseconds from the start of the walk to the last file's outcome: walk, start-up and parse. */
  wallMs: number
  /** Whether the pool's workers started during the walk. */
  startedInWalk: boolean
  /** Most worker threads seen at once. */
  peakWorkers: number
  /** Queue wait percentiles from the metrics (ms); null on the main thread. */
  queueWaitMs: { p50: number; p99: number } | null
}

/** Runs the job once. With no files found, parses nothing and returns the empty walk. */
export async function runJob(options: JobOptions): Promise<JobRun> {
  const start = performance.now()
  let pool: ParsePool | undefined
  let poolSize = 0
  const begin = (workers: number): ParsePool => {
    poolSize = workers
    pool = startParsePool({ workers, queue: options.queue, metrics: options.metrics })
    options.onPool?.(pool)
    return pool
  }
  // Auto mode keeps off the pool on a saturated machine.
  const load = loadavg()[0] ?? 0
  const usable = options.mode === 'auto' ? usableWorkers(options.workers, availableParallelism(), load) : options.workers
  const early = options.mode === 'main' ? Infinity : options.mode === 'pool' ? 0 : poolWorthBytes(usable)
  let found = 0
  const walk = findSourceFiles(options.dir, options.maxBytes, (file) => {
    found += file.size
    if (pool === undefined && found >= early) begin(usable)
  })
  const walkMs = performance.now() - start
  const startedInWalk = pool !== undefined
  options.onWalk?.(walk)

  const unloaded = chooseRunner(walk.files, options.workers)
  // On a busy machine a job the pool would win runs on the main thread: say so, with the pool's estimate.
  const estimate =
    usable < options.workers && unloaded.where === 'pool'
      ? { ...chooseRunner(walk.files, usable), poolMs: unloaded.poolMs, reason: `the machine is busy (load average ${load.toFixed(1)} on ${availableParallelism()} cores)` }
      : unloaded
  const seen = { loadAverage: load, usableWorkers: usable }
  const runner =
    options.mode === 'auto'
      ? { ...estimate, ...seen, forced: false }
      : options.mode === 'main'
        ? { ...estimate, ...seen, where: 'main' as const, workers: 0, forced: true }
        : { ...estimate, ...seen, where: 'pool' as const, workers: options.workers, forced: true }
  let peakWorkers = 0
  if (walk.files.length > 0 && runner.where === 'pool') {
    const running = pool ?? begin(runner.workers)
    if (runner.workers < poolSize) running.resize(runner.workers)
    const order = largestFirst(walk.files)
    await feedPool(running, order, options.read, (outcome) => {
      peakWorkers = Math.max(peakWorkers, running.stats().workers.total)
      options.onOutcome(outcome)
    })
  } else {
    // The estimate changed its mind at the end of the walk (or there is nothing to do): stop the workers at once.
    if (pool !== undefined) await pool.destroy()
    pool = undefined
    await runOnMain(walk.files, options.onOutcome)
  }
  const wallMs = performance.now() - start
  // Read before closing: a closed pool leaves the metrics.
  const wait = pool === undefined ? undefined : options.metrics.snapshot().pools[0]?.wait.total
  await pool?.close()
  const queueWaitMs = wait === undefined ? null : { p50: wait.p50, p99: wait.p99 }
  return { walk, runner, walkMs, wallMs, startedInWalk, peakWorkers, queueWaitMs }
}
