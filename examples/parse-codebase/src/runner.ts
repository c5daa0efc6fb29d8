// Where to parse a job: on the pool or on the main thread alone. A pool only
// pays when the work outweighs starting it and the slower parse of two
// threads sharing a machine; this estimates both from the files' sizes.
import { largestFirst, type Sized } from './schedule.js'

/** The machine's figures the estimate uses. */
export interface RunnerCosts {
  /** Bytes one thread parses per millisecond (read, decode, parse and count). */
  bytesPerMs: number
  /** Milliseconds a pool's start costs beyond what the main thread alone pays: starting the threads, each loading the parser and warming it up. */
  poolStartMs: number
  /** How much slower each thread parses when several run side by side than one alone (1.4: 40% slower). */
  contention: number
}

/**
 * Figures measured on the shared 2-core machine this demo was tuned on (see
 * the README's "Small jobs"): one thread parsed the repository's `packages/`
 * and playwright-core's `lib` at about 3 MB/s (node_modules as a whole goes
 * faster, 7 to 10 MB/s, its many `.d.ts` files being cheap per byte, but it is
 * far above the line); two processes side by side used 1.3 times the CPU time
 * of one for the same files; and a pool of 2 workers took 0.4 to 0.6 s longer
 * to start than one thread on an idle machine, up to 2 s at a load average of
 * 5 to 7. With these, a job needs about 2.9 s of one thread's work (8.6 MB)
 * before the pool is expected to win.
 */
export const DEFAULT_COSTS: RunnerCosts = { bytesPerMs: 3000, poolStartMs: 1000, contention: 1.3 }

/** The decision of {@link chooseRunner}, with the estimates it compared. */
export interface RunnerChoice {
  /** `main`: parse on the main thread alone; `pool`: on `workers` worker threads. */
  where: 'main' | 'pool'
  /** Worker threads to use (0 on the main thread). */
  workers: number
  /** Estimated milliseconds on the main thread alone. */
  mainMs: number
  /** Estimated milliseconds on the chosen pool (or on the fastest pool, when the main thread won). */
  poolMs: number
  /** Why, in a few words, for the summary. */
  reason: string
}

/**
 * The bytes of the fullest of `n` workers when the files are dealt largest
 * first, each to the worker with the fewest bytes so far: a pool's parse ends
 * when its fullest worker's does.
 */
export function fullestShare(files: readonly Sized[], n: number): number {
  const loads = new Array<number>(n).fill(0)
  for (const file of largestFirst(files)) {
    let least = 0
    for (let i = 1; i < n; i++) if (loads[i]! < loads[least]!) least = i
    loads[least]! += file.size
  }
  return Math.max(...loads)
}

/**
 * Picks where to parse `files`: the main thread, or the fewest workers (up to
 * `maxWorkers`) whose estimate is within 5% of the best pool's. The pool is
 * chosen only when its estimate is below the main thread's, so a job too
 * small (or too dominated by a few large files) for the pool to win runs on
 * the main thread.
 * @param maxWorkers - the most worker threads allowed (`--workers`)
 */
export function chooseRunner(files: readonly Sized[], maxWorkers: number, costs: RunnerCosts = DEFAULT_COSTS): RunnerChoice {
  const bytes = files.reduce((sum, f) => sum + f.size, 0)
  const mainMs = bytes / costs.bytesPerMs
  const estimate = (n: number): number => costs.poolStartMs + (costs.contention * fullestShare(files, n)) / costs.bytesPerMs
  // One worker does the main thread's work plus a start: never better. From 2 up.
  const candidates = Array.from({ length: Math.max(0, maxWorkers - 1) }, (_, i) => i + 2).map((n) => ({ n, ms: estimate(n) }))
  if (candidates.length === 0) return { where: 'main', workers: 0, mainMs, poolMs: estimate(1), reason: 'one worker cannot beat the main thread' }
  const best = Math.min(...candidates.map((c) => c.ms))
  const chosen = candidates.find((c) => c.ms <= best * 1.05)!
  if (chosen.ms >= mainMs) {
    return { where: 'main', workers: 0, mainMs, poolMs: chosen.ms, reason: 'too little work for a pool to win' }
  }
  return { where: 'pool', workers: chosen.n, mainMs, poolMs: chosen.ms, reason: 'enough work for a pool' }
}

/**
 * The bytes found so far past which a pool is expected to win, assuming an
 * even split over `workers` (more files only add work): the pool can then
 * start while the walk goes on. {@link chooseRunner} on the whole walk still
 * has the last word (a few huge files can make the split uneven).
 */
export function poolWorthBytes(workers: number, costs: RunnerCosts = DEFAULT_COSTS): number {
  if (workers < 2) return Infinity
  // start + contention * bytes / (workers * rate) < bytes / rate
  const gain = 1 - costs.contention / workers
  return gain <= 0 ? Infinity : (costs.poolStartMs * costs.bytesPerMs) / gain
}

/**
 * The workers worth starting on a machine that others are using: `workers`,
 * or 1 (the main thread: one worker never beats it) where the 1-minute load
 * average is at least twice the cores. On the shared 2-core machine, at load
 * averages of 5 to 8, two processes parsing side by side were 0.65x to 1.15x
 * as fast as one (slower on most jobs) and a pool took 2 to 4 s to start
 * instead of 0.5; at 2 to 3 (much of it this program's own measuring), two
 * processes were 1.2x faster than one on the default job and the pool within
 * 2% of them (see the README). The load average
 * lags by a minute and counts every runnable thread, ours included, so it only
 * tells a saturated machine from the rest; the line between was not measured
 * more finely.
 * @param cores - `os.availableParallelism()`
 * @param load - the 1-minute load average (`os.loadavg()[0]`; 0 where the platform has none)
 */
export function usableWorkers(workers: number, cores: number, load: number): number {
  return load >= 2 * cores ? 1 : workers
}
