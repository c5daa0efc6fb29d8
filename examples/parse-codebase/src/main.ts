#!/usr/bin/env node
// The poolkit demo: parses every .js, .mjs, .cjs and .ts file under a directory
// with the TypeScript compiler API, on one pool composed from the packages as a
// user would (or on the main thread when the job is too small for a pool to
// win), then measures the same files on one single-threaded process and on two
// side by side (the machine's limit), interleaved over --rounds.
import { stat } from 'node:fs/promises'
import { relative } from 'node:path'
import { createMetrics } from '@poolkit/metrics'
import { serveMetrics } from '@poolkit/metrics/http'
import { runJob, type JobRun } from './job.js'
import { readOptions, UsageError, USAGE, type Options } from './options.js'
import { rerunJob } from './rerun.js'
import type { FileOutcome } from './outcome.js'
import type { FileCounts } from './parse.js'
import type { ParsePool } from './pool-run.js'
import { createProgress } from './progress.js'
import { referenceFiles, timeOneThread, timeTwoProcesses, type Reference, type ReferenceFiles } from './references.js'
import { printSummary, type ReferenceSummary, type Summary } from './summary.js'

const MB = 1e6

async function checkDirectory(dir: string): Promise<void> {
  let info
  try {
    info = await stat(dir)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new UsageError(code === 'ENOENT' ? `no such directory: ${dir}` : `cannot read ${dir}: ${(error as Error).message}`)
  }
  if (!info.isDirectory()) throw new UsageError(`not a directory: ${dir}`)
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

const median = (values: readonly number[]): number => quantile(Float64Array.from(values).sort(), 0.5)

function summariseReference(ref: ReferenceFiles, runs: Reference[]): ReferenceSummary | null {
  if (runs.length === 0) return null
  return {
    mode: ref.mode,
    files: ref.files.length,
    bytes: ref.bytes,
    ms: median(runs.map((r) => r.ms)),
    estimatedMs: median(runs.map((r) => r.estimatedMs)),
    roundsMs: runs.map((r) => r.estimatedMs),
    startMs: median(runs.map((r) => r.startMs)),
    processBytes: runs[0]!.bytes,
  }
}

/** What the first run's outcomes add up to. */
class Tally {
  totals: FileCounts = { functions: 0, classes: 0, imports: 0, lines: 0 }
  perFile: Array<FileCounts & { path: string }> = []
  parseMs: number[] = []
  errors: string[] = []
  packages = new Set<string>()
  files = 0
  bytes = 0
  binary = 0
  failed = 0
  done = 0
  doneBytes = 0

  constructor(
    private readonly dir: string,
    private readonly keepPerFile: boolean,
  ) {}

  add(o: FileOutcome): void {
    this.done++
    this.doneBytes += o.file.size
    if ('parsed' in o) {
      const { functions, classes, imports, lines, ms } = o.parsed
      this.totals.functions += functions
      this.totals.classes += classes
      this.totals.imports += imports
      this.totals.lines += lines
      this.parseMs.push(ms)
      this.packages.add(o.file.key)
      this.files++
      this.bytes += o.file.size
      if (this.keepPerFile) this.perFile.push({ path: relative(this.dir, o.file.path), functions, classes, imports, lines })
    } else if ('binary' in o) {
      this.binary++
    } else {
      this.failed++
      if (this.errors.length < 5) this.errors.push(`${relative(this.dir, o.file.path)}: ${String(o.error)}`)
    }
  }
}

async function run(options: Options): Promise<Summary> {
  await checkDirectory(options.dir)
  const metrics = createMetrics()
  const server = options.dashboard ? await serveMetrics({ metrics, port: options.port }) : undefined
  if (server) process.stderr.write(`dashboard: ${server.url}/\n`)
  let current: ParsePool | undefined
  const stopOnSignal = (): void => {
    void Promise.allSettled([current?.destroy(), server?.close()]).then(() => process.exit(130))
  }
  process.once('SIGINT', stopOnSignal)
  const note = (text: string): void => {
    if (!options.json) process.stderr.write(`${text}\n`)
  }

  const tally = new Tally(options.dir, options.perFile)
  const progress = options.json ? undefined : createProgress({ stream: process.stderr })
  let first: JobRun | undefined
  let totalFiles = 0
  let totalBytes = 0
  const state = () => ({ files: tally.done, totalFiles, bytes: tally.doneBytes, totalBytes })
  // The job's wall time each round: the first in this process, the others in fresh ones (rerun.ts).
  const runs: number[] = []
  const one: Reference[] = []
  const two: Reference[] = []
  let ref: ReferenceFiles | undefined

  const steps = ['run', ...(options.baseline ? ['one'] : []), ...(options.limit ? ['two'] : [])]
  for (let round = 0; round < options.rounds; round++) {
    // Rotated each round, so no measurement always goes first (the machine may be shared).
    const order = steps.map((_, i) => steps[(i + round) % steps.length]!)
    for (const step of order) {
      if (step === 'run' && first !== undefined) {
        const again = await rerunJob(options, first.runner)
        runs.push(again.wallMs)
        note(`round ${round + 1}: ${again.runner.where === 'pool' ? `pool of ${again.runner.workers}` : 'main thread'} ${(again.wallMs / 1000).toFixed(2)} s (a fresh process)`)
      } else if (step === 'run') {
        // The first round: counted, with progress, the dashboard and Ctrl-C on its pool.
        const job = await runJob({
          ...options,
          metrics,
          onPool: (pool) => (current = pool),
          onWalk: (walk) => {
            totalFiles = walk.files.length
            totalBytes = walk.files.reduce((sum, f) => sum + f.size, 0)
          },
          onOutcome: (o) => {
            tally.add(o)
            progress?.update(state())
          },
        })
        current = undefined
        if (job.walk.files.length === 0) {
          const huge = job.walk.skippedHuge > 0 ? ` (${job.walk.skippedHuge} larger than --max-size skipped)` : ''
          throw new UsageError(`no .js, .mjs, .cjs or .ts files under ${options.dir}${huge}`)
        }
        first = job
        progress?.done(state())
        ref = referenceFiles(job.walk.files, options.sampleBytes)
        runs.push(job.wallMs)
        note(`round ${round + 1}: ${job.runner.where === 'pool' ? `pool of ${job.runner.workers}` : 'main thread'} ${(job.wallMs / 1000).toFixed(2)} s`)
      } else if (step === 'one') {
        const r = await timeOneThread(ref!)
        one.push(r)
        note(`round ${round + 1}: one process ${(r.estimatedMs / 1000).toFixed(2)} s`)
      } else {
        const r = await timeTwoProcesses(ref!)
        two.push(r)
        note(`round ${round + 1}: two processes ${(r.estimatedMs / 1000).toFixed(2)} s`)
      }
    }
  }
  await server?.close()
  process.removeListener('SIGINT', stopOnSignal)

  const job = first!
  const wallMs = median(runs)
  const baseline = summariseReference(ref!, one)
  const limit = summariseReference(ref!, two)
  const sorted = Float64Array.from(tally.parseMs).sort()
  const round = (n: number, digits = 2): number => Number(n.toFixed(digits))
  const roundRef = (x: ReferenceSummary | null): ReferenceSummary | null =>
    x && { ...x, ms: round(x.ms, 1), estimatedMs: round(x.estimatedMs, 1), startMs: round(x.startMs, 1), roundsMs: x.roundsMs.map((m) => round(m, 1)) }
  tally.perFile.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return {
    directory: options.dir,
    files: tally.files,
    packages: tally.packages.size,
    bytes: tally.bytes,
    megabytes: round(tally.bytes / MB),
    skipped: { huge: job.walk.skippedHuge, binary: tally.binary, maxBytes: options.maxBytes },
    failed: tally.failed,
    errors: tally.errors,
    walkMs: round(job.walkMs, 1),
    wallMs: round(wallMs, 1),
    roundsMs: runs.map((ms) => round(ms, 1)),
    filesPerSecond: round(tally.files / (wallMs / 1000), 1),
    megabytesPerSecond: round(tally.bytes / MB / (wallMs / 1000)),
    runner: {
      where: job.runner.where,
      workers: job.runner.workers,
      forced: job.runner.forced,
      reason: job.runner.reason,
      estimatedMainMs: round(job.runner.mainMs, 1),
      estimatedPoolMs: round(job.runner.poolMs, 1),
      startedInWalk: job.startedInWalk,
      loadAverage: round(job.runner.loadAverage),
      usableWorkers: job.runner.usableWorkers,
      read: options.read,
      queue: options.queue,
    },
    workers: options.workers,
    peakWorkers: job.peakWorkers,
    perFileMs: { p50: round(quantile(sorted, 0.5), 3), p99: round(quantile(sorted, 0.99), 3), max: round(quantile(sorted, 1), 3) },
    queueWaitMs: job.queueWaitMs && { p50: round(job.queueWaitMs.p50, 1), p99: round(job.queueWaitMs.p99, 1) },
    baseline: roundRef(baseline),
    limit: roundRef(limit),
    speedup: baseline ? round(baseline.estimatedMs / wallMs) : null,
    limitSpeedup: baseline && limit ? round(baseline.estimatedMs / limit.estimatedMs) : null,
    ofLimit: limit ? round(limit.estimatedMs / wallMs) : null,
    rounds: options.rounds,
    totals: tally.totals,
    ...(options.perFile ? { perFile: tally.perFile } : {}),
  }
}

async function main(): Promise<void> {
  let options
  try {
    options = readOptions(process.argv.slice(2))
    if (options === 'help') {
      process.stdout.write(`${USAGE}\n`)
      return
    }
    const summary = await run(options)
    if (options.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`)
    else printSummary(summary)
    if (summary.files === 0 && summary.failed > 0) process.exitCode = 1
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`parse-codebase: error: ${error.message}\n`)
      process.exitCode = 2
      return
    }
    throw error
  }
}

await main()
