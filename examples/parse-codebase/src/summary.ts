// The summary of a run: the JSON of `--json`, and the text printed otherwise.
import type { FileCounts } from './parse.js'
import { formatDuration } from './progress.js'

const MB = 1e6

/** A reference measured against the pool (medians over the rounds). */
export interface ReferenceSummary {
  /** `all`: every file parsed; `sample`: `--sample-mb`, scaled up by bytes. */
  mode: 'all' | 'sample'
  /** Files and bytes the reference parsed (the sample's, with `sample`). */
  files: number
  bytes: number
  /** Median measured wall time, start-up included (ms). */
  ms: number
  /** Median estimate for every file (`ms` itself with `all`). */
  estimatedMs: number
  /** Each round's `estimatedMs`. */
  roundsMs: number[]
  /** The slowest child's start-up: node's boot and loading the compiler (ms, median). */
  startMs: number
  /** Bytes each process parsed. */
  processBytes: number[]
}

/** The JSON summary (`--json`), and what the text summary prints. */
export interface Summary {
  directory: string
  files: number
  packages: number
  bytes: number
  megabytes: number
  skipped: { huge: number; binary: number; maxBytes: number }
  failed: number
  errors: string[]
  /** Finding the files (first round, ms); inside `wallMs`. */
  walkMs: number
  /** Median wall time of the run (walk, start-up and parse), ms. */
  wallMs: number
  /** Each round's wall time. */
  roundsMs: number[]
  filesPerSecond: number
  megabytesPerSecond: number
  /** Where the job ran and why. */
  runner: {
    where: 'main' | 'pool'
    /** Worker threads used (0 on the main thread). */
    workers: number
    /** `--mode` chose, not the estimate. */
    forced: boolean
    reason: string
    estimatedMainMs: number
    estimatedPoolMs: number
    /** Whether the workers started (loading the compiler) during the walk. */
    startedInWalk: boolean
    /** The machine's 1-minute load average when the run started. */
    loadAverage: number
    /** The workers auto mode would consider: the cores the load leaves free, at most `--workers`. */
    usableWorkers: number
    read: 'worker' | 'main'
    queue: 'largest' | 'fair'
  }
  /** `--workers`: the most worker threads. */
  workers: number
  peakWorkers: number
  perFileMs: { p50: number; p99: number; max: number }
  queueWaitMs: { p50: number; p99: number } | null
  /** One single-threaded process on the same files; null with `--no-baseline`. */
  baseline: ReferenceSummary | null
  /** Two processes side by side, each parsing half; null with `--no-baseline` or `--no-limit`. */
  limit: ReferenceSummary | null
  /** One thread over the run: above 1, the run was faster. */
  speedup: number | null
  /** One thread over two processes: the most this machine allows for this job. */
  limitSpeedup: number | null
  /** The two-process limit over the run: 1 means at the limit, 0.9 within 10% of it. */
  ofLimit: number | null
  rounds: number
  totals: FileCounts
  perFile?: Array<FileCounts & { path: string }>
}

/** Prints the text summary on stdout. */
export function printSummary(s: Summary): void {
  const n = (x: number): string => x.toLocaleString('en-US')
  const sec = (ms: number): string => (ms < 60_000 ? `${(ms / 1000).toFixed(2)} s` : formatDuration(ms / 1000))
  const each = (ms: number[]): string => (ms.length > 1 ? `, median of ${ms.length} rounds: ${ms.map((m) => (m / 1000).toFixed(2)).join(', ')} s` : '')
  const skipped = [
    s.skipped.huge > 0 ? `${n(s.skipped.huge)} over ${s.skipped.maxBytes / MB} MB skipped` : '',
    s.skipped.binary > 0 ? `${n(s.skipped.binary)} binary skipped` : '',
    s.failed > 0 ? `${n(s.failed)} failed` : '',
  ].filter(Boolean)
  const r = s.runner
  const where =
    r.where === 'pool'
      ? `${r.workers} worker threads (peak ${s.peakWorkers}), largest files first${r.queue === 'fair' ? ' within each package, fair queue by package' : ''}, read by ${r.read === 'worker' ? 'the workers' : 'the main thread'}; started ${r.startedInWalk ? 'during' : 'after'} the walk`
      : 'the main thread alone'
  const why = r.forced ? 'chosen by --mode' : `${r.reason}: estimated ${sec(r.estimatedPoolMs)} on a pool, ${sec(r.estimatedMainMs)} on one thread`
  const wait = s.queueWaitMs === null ? '' : `; queue wait p50 ${s.queueWaitMs.p50} ms, p99 ${s.queueWaitMs.p99} ms`
  const lines = [
    `parsed ${s.directory}`,
    `  files       ${n(s.files)} in ${n(s.packages)} packages${skipped.length > 0 ? ` (${skipped.join(', ')})` : ''}`,
    `  size        ${s.megabytes.toFixed(1)} MB`,
    `  ran on      ${where} (${why})`,
    `  wall        ${sec(s.wallMs)} (finding the files, ${sec(s.walkMs)}, and start-up included${each(s.roundsMs)})`,
    `  rate        ${n(Math.round(s.filesPerSecond))} files/s, ${s.megabytesPerSecond.toFixed(1)} MB/s`,
    `  per file    p50 ${s.perFileMs.p50.toFixed(2)} ms, p99 ${s.perFileMs.p99.toFixed(2)} ms, max ${s.perFileMs.max.toFixed(1)} ms (parse only)${wait}`,
  ]
  const ref = (label: string, x: ReferenceSummary, what: string): string =>
    x.mode === 'all'
      ? `  ${label} ${sec(x.ms)}, ${what} (start-up ${sec(x.startMs)} included${each(x.roundsMs)})`
      : `  ${label} ${sec(x.estimatedMs)} estimated, ${what}: a sample of ${n(x.files)} files (${(x.bytes / MB).toFixed(1)} MB) in ${sec(x.ms)}, scaled by bytes${each(x.roundsMs)}`
  if (s.baseline) lines.push(ref('1 thread   ', s.baseline, 'one process parsing every file'))
  if (s.limit) lines.push(ref('2 processes', s.limit, `two processes side by side, each parsing half (${s.limit.processBytes.map((b) => (b / MB).toFixed(1)).join(' + ')} MB)`))
  if (s.speedup !== null) {
    const limit = s.limitSpeedup === null ? '' : `; the two-process limit is ${s.limitSpeedup.toFixed(2)}x, and this run reached ${((s.ofLimit ?? 0) * 100).toFixed(0)}% of it`
    lines.push(`  speedup     ${s.speedup.toFixed(2)}x over one thread${limit}`)
  }
  lines.push(`  found       ${n(s.totals.functions)} functions, ${n(s.totals.classes)} classes, ${n(s.totals.imports)} imports, ${n(s.totals.lines)} lines`)
  for (const error of s.errors) lines.push(`  error       ${error}`)
  process.stdout.write(`${lines.join('\n')}\n`)
}
