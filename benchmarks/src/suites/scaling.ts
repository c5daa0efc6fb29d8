import { availableParallelism } from 'node:os'
import { settings } from '../config.js'
import { fmtRatio, median, printTable } from '../stats.js'
import { closeWithin, ordered, reportOthers, untilIdle, watchOthers } from '../thread-harness.js'
import { handRolled, poolkit, type ThreadLibrary, type ThreadRunner } from '../thread-pools.js'
import { DIGESTS, hash, HASHED_BYTES } from '../workers/work.js'

const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => {})

/** One worker count of the scaling suite; the figures are absent where the machine has fewer cores than workers. */
export interface ScalingRow {
  readonly workers: number
  /** False where `workers` exceeds `os.availableParallelism()`: not run, no figures. */
  readonly measured: boolean
  /** Median wall time (ms) of the whole batch through poolkit. */
  readonly poolkitMs?: number
  /** Sequential time / poolkit time (medians). */
  readonly speedup?: number
  /** speedup / workers: 1 is perfectly linear. */
  readonly efficiency?: number
  /** The hand-rolled pool's speedup at the same worker count: what the machine allows with almost no pool in between. */
  readonly referenceSpeedup?: number
}

/** What the scaling suite measured. */
export interface ScalingResult {
  /** `os.availableParallelism()` of the machine it ran on. */
  readonly cores: number
  /** CPU-bound tasks per batch (the same batch at every worker count). */
  readonly tasks: number
  readonly rounds: number
  /** Median time (ms) of the batch run one task after another on the main thread. */
  readonly sequentialMs: number
  readonly rows: readonly ScalingRow[]
  /** Cores other processes kept busy on average meanwhile (Linux only). */
  readonly othersCores?: number
}

const SEQUENTIAL = 'sequential'

async function timeBatch(library: ThreadLibrary, workers: number, expected: readonly string[]): Promise<number> {
  const runner: ThreadRunner = library.open(workers)
  await runner.ready?.()
  // A few tasks per worker first, so every thread has started and loaded the hash before the clock runs.
  await Promise.all(Array.from({ length: 4 * workers }, (_, i) => runner.hash!(i)))
  const n = expected.length
  const t0 = performance.now()
  const all = new Array<PromiseLike<unknown>>(n)
  for (let i = 0; i < n; i++) all[i] = runner.hash!(i)
  const results = await Promise.all(all)
  const ms = performance.now() - t0
  results.forEach((r, i) => {
    if (r !== expected[i]) throw new Error(`${library.name} at ${workers} workers: task ${i} returned ${String(r)}`)
  })
  await closeWithin(library.name, runner)
  return ms
}

/**
 * Suite `scaling`: the threads suite's CPU-bound task (T4) through poolkit's
 * `threads()` at 1, 2, 4, 8 and 16 workers, up to the machine's cores, with
 * speedup over the same batch run sequentially and efficiency = speedup / workers,
 * so "near-linear on all cores" can be checked where there are cores.
 */
export async function scaling(): Promise<ScalingResult> {
  const s = settings.scaling
  const cores = availableParallelism()
  const counts = s.workers.filter((w) => w <= cores)
  console.log(
    `\n## Scaling: ${s.tasks.toLocaleString('en-US')} CPU-bound tasks (${DIGESTS} sha256 digests of ${HASHED_BYTES / 1024} KiB each) submitted at once ` +
      `through poolkit threads() at ${s.workers.join(', ')} workers, vs the same run sequentially on the main thread; ${s.rounds} rounds, ${cores} cores here`,
  )
  const others = watchOthers()
  const expected = Array.from({ length: s.tasks }, (_, i) => hash(i))
  type Line = { library: ThreadLibrary; workers: number } | typeof SEQUENTIAL
  const lines: Line[] = [
    SEQUENTIAL,
    ...counts.flatMap((workers) => [
      { library: poolkit, workers },
      { library: handRolled, workers },
    ]),
  ]
  const key = (line: Line): string => (line === SEQUENTIAL ? SEQUENTIAL : `${line.library.name} x${line.workers}`)
  const times = new Map<string, number[]>()
  for (let round = 0; round < s.rounds; round++) {
    for (const line of ordered(lines, round)) {
      await untilIdle()
      gc()
      let ms: number
      if (line === SEQUENTIAL) {
        const t0 = performance.now()
        for (let i = 0; i < s.tasks; i++) if (hash(i) !== expected[i]) throw new Error('hash is not deterministic')
        ms = performance.now() - t0
      } else {
        ms = await timeBatch(line.library, line.workers, expected)
      }
      times.set(key(line), [...(times.get(key(line)) ?? []), ms])
      process.stderr.write('.')
    }
  }
  process.stderr.write('\n')
  const sequentialMs = median(times.get(SEQUENTIAL)!)
  const rows: ScalingRow[] = s.workers.map((workers) => {
    if (workers > cores) return { workers, measured: false }
    const poolkitMs = median(times.get(`${poolkit.name} x${workers}`)!)
    const speedup = sequentialMs / poolkitMs
    return { workers, measured: true, poolkitMs, speedup, efficiency: speedup / workers, referenceSpeedup: sequentialMs / median(times.get(`${handRolled.name} x${workers}`)!) }
  })
  printTable(
    ['workers', 'poolkit ms (median)', 'each round', 'speedup', 'efficiency', 'hand-rolled speedup'],
    [
      [
        `sequential`,
        sequentialMs.toFixed(0),
        times
          .get(SEQUENTIAL)!
          .map((t) => t.toFixed(0))
          .join(', '),
        '1.00x',
        '',
        '',
      ],
      ...rows.map((r) =>
        r.measured
          ? [
              String(r.workers),
              r.poolkitMs!.toFixed(0),
              times
                .get(`${poolkit.name} x${r.workers}`)!
                .map((t) => t.toFixed(0))
                .join(', '),
              fmtRatio(r.speedup!),
              `${(r.efficiency! * 100).toFixed(0)}%`,
              fmtRatio(r.referenceSpeedup!),
            ]
          : [String(r.workers), `not measured: ${cores} cores`, '', '', '', ''],
      ),
    ],
  )
  console.log('(speedup = sequential time / pool time; efficiency = speedup / workers; the hand-rolled pool (src/hand-rolled-pool.ts) shows what the machine allows with almost no pool in between)')
  const othersCores = others()
  reportOthers(othersCores)
  return { cores, tasks: s.tasks, rounds: s.rounds, sequentialMs, rows, ...(othersCores === undefined ? {} : { othersCores }) }
}
