#!/usr/bin/env node
// The poolkit demo: parses every .js, .mjs, .cjs and .ts file under a directory
// with the TypeScript compiler API on one pool composed from the packages as a
// user would (node-adapter threads, a fair queue keyed by package, metrics, an
// idle scaler), then compares it with a single-threaded parse of the same files.
import { readFileSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createPool, type TaskResult } from '@poolkit/core'
import { createMetrics } from '@poolkit/metrics'
import { serveMetrics } from '@poolkit/metrics/http'
import { threads } from '@poolkit/node-adapter'
import { createFairQueue } from '@poolkit/queue'
import { idleScaler } from '@poolkit/scaler'
import { countFile, type FileCounts, type ParsedFile } from './parse.js'
import type { ParseTask } from './parse.worker.js'
import { createProgress, formatDuration } from './progress.js'
import { findSourceFiles, looksBinary, type SourceFile } from './walk.js'

const USAGE = `Usage: pnpm demo -- [directory] [options]
       node examples/parse-codebase/dist/main.js [directory] [options]

Parses every .js, .mjs, .cjs and .ts file under the directory (default: the
repository's node_modules) on a pool of worker threads, then reports the counts,
the throughput and the speedup over a single-threaded parse.

Options:
  --workers N       worker threads (default: available parallelism, here ${availableParallelism()})
  --json            print only the summary, as JSON (no progress)
  --per-file        with --json, add each file's counts
  --dashboard       serve the metrics dashboard while it runs (http://127.0.0.1:PORT/)
  --port N          the dashboard's port (default 9464; 0 picks a free one)
  --max-size MB     skip files larger than this (default 2)
  --sample-mb MB    bytes of the single-threaded baseline sample (default 8; all files if less)
  --no-baseline     skip the single-threaded baseline (no speedup)
  -h, --help        this text`

const MB = 1e6
/** Bytes read ahead of the workers: enough for the fair queue to hold many packages, bounded memory. */
const WINDOW_BYTES = 64 * MB
/** Files read from disk at once. */
const READS_AT_ONCE = 8

/** A mistake in the command line or the directory: printed as `error: …`, exit code 2. */
class UsageError extends Error {}

interface Options {
  dir: string
  workers: number
  json: boolean
  perFile: boolean
  dashboard: boolean
  port: number
  maxBytes: number
  sampleBytes: number
  baseline: boolean
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
  walkMs: number
  wallMs: number
  filesPerSecond: number
  megabytesPerSecond: number
  workers: number
  peakWorkers: number
  perFileMs: { p50: number; p99: number; max: number }
  queueWaitMs: { p50: number; p99: number }
  baseline: null | {
    mode: 'all' | 'sample'
    files: number
    bytes: number
    ms: number
    estimatedMs: number
  }
  speedup: number | null
  totals: FileCounts
  perFile?: Array<FileCounts & { path: string }>
}

function positiveNumber(name: string, value: string | undefined, fallback: number, integer: boolean): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(value)}`)
  }
  return n
}

function readOptions(argv: string[]): Options | 'help' {
  let parsed
  try {
    parsed = parseArgs({
      // `pnpm demo -- <dir>` passes its `--` on, which parseArgs would take as
      // the end of the options: drop a leading one.
      args: argv[0] === '--' ? argv.slice(1) : argv,
      allowPositionals: true,
      options: {
        workers: { type: 'string' },
        json: { type: 'boolean' },
        'per-file': { type: 'boolean' },
        dashboard: { type: 'boolean' },
        port: { type: 'string' },
        'max-size': { type: 'string' },
        'sample-mb': { type: 'string' },
        'no-baseline': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  const { values, positionals } = parsed
  if (values.help) return 'help'
  const dirs = positionals
  if (dirs.length > 1) throw new UsageError(`expected one directory, got ${dirs.length}: ${dirs.join(' ')}`)
  const port = values.port === undefined ? 9464 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be an integer from 0 to 65535, got ${JSON.stringify(values.port)}`)
  }
  return {
    // Default: this repository's own installed dependencies (examples/parse-codebase/dist -> root).
    dir: resolve(dirs[0] ?? fileURLToPath(new URL('../../../node_modules', import.meta.url))),
    workers: positiveNumber('--workers', values.workers, availableParallelism(), true),
    json: values.json === true,
    perFile: values['per-file'] === true,
    dashboard: values.dashboard === true,
    port,
    maxBytes: positiveNumber('--max-size', values['max-size'], 2, false) * MB,
    sampleBytes: positiveNumber('--sample-mb', values['sample-mb'], 8, false) * MB,
    baseline: values['no-baseline'] !== true,
  }
}

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

/** The file's bytes as an ArrayBuffer of its own, so it can be transferred without moving a shared pool slab. */
function ownBuffer(bytes: Buffer): ArrayBuffer {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
  return (whole ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) as ArrayBuffer
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

/**
 * The single-threaded baseline: read, decode and parse on this thread, one file
 * after another, the same `countFile` the workers run. All the files when they
 * come to at most `sampleBytes`, else every k-th file (a sample spread over the
 * whole tree) and the time scaled by bytes, since parse time follows size.
 */
function runBaseline(files: SourceFile[], totalBytes: number, sampleBytes: number): NonNullable<Summary['baseline']> {
  const step = totalBytes <= sampleBytes ? 1 : Math.ceil(totalBytes / sampleBytes)
  const decoder = new TextDecoder('utf-8')
  let bytes = 0
  let count = 0
  const start = performance.now()
  for (let i = 0; i < files.length; i += step) {
    const file = files[i]!
    const data = readFileSync(file.path)
    countFile(file.path, decoder.decode(data))
    bytes += data.byteLength
    count++
  }
  const ms = performance.now() - start
  return {
    mode: step === 1 ? 'all' : 'sample',
    files: count,
    bytes,
    ms,
    estimatedMs: bytes > 0 ? (ms * totalBytes) / bytes : ms,
  }
}

async function run(options: Options): Promise<Summary> {
  await checkDirectory(options.dir)
  const walkStart = performance.now()
  const walk = await findSourceFiles(options.dir, options.maxBytes)
  const walkMs = performance.now() - walkStart
  if (walk.files.length === 0) {
    const huge = walk.skippedHuge > 0 ? ` (${walk.skippedHuge} larger than --max-size skipped)` : ''
    throw new UsageError(`no .js, .mjs, .cjs or .ts files under ${options.dir}${huge}`)
  }

  const metrics = createMetrics()
  const pool = createPool<ParseTask, ParsedFile>({
    name: 'parse-codebase',
    executor: threads(new URL('./parse.worker.js', import.meta.url)),
    concurrency: options.workers,
    // Round robin between packages: a giant package cannot hold back the small ones.
    queue: createFairQueue(),
    observers: [metrics],
    // Starts at `concurrency`; workers idle for a second (the tail of the run) retire.
    scaler: idleScaler({ min: 1, max: options.workers, idleTimeout: 1000 }),
  })
  const server = options.dashboard ? await serveMetrics({ metrics, port: options.port }) : undefined
  if (server) process.stderr.write(`dashboard: ${server.url}/\n`)
  const stopOnSignal = (): void => {
    void Promise.allSettled([pool.destroy(), server?.close()]).then(() => process.exit(130))
  }
  process.once('SIGINT', stopOnSignal)

  let totalFiles = walk.files.length
  let totalBytes = walk.files.reduce((sum, f) => sum + f.size, 0)
  const progress = options.json ? undefined : createProgress({ stream: process.stderr })
  const state = () => ({ files: done, totalFiles, bytes: doneBytes, totalBytes })
  const totals: FileCounts = { functions: 0, classes: 0, imports: 0, lines: 0 }
  const perFile: Array<FileCounts & { path: string }> = []
  const parseMs: number[] = []
  const errors: string[] = []
  const parsed: SourceFile[] = []
  const packages = new Set<string>()
  let failed = 0
  let binary = 0
  let done = 0
  let doneBytes = 0
  let next = 0
  let reading = 0
  let inFlightBytes = 0
  let peakWorkers = 0

  const wallStart = performance.now()
  await new Promise<void>((resolveAll) => {
    const finishOne = (file: SourceFile): void => {
      inFlightBytes -= file.size
      if (done === totalFiles) resolveAll()
      else pump()
    }
    const onResult = (file: SourceFile) => (result: TaskResult<ParsedFile>) => {
      done++
      doneBytes += file.size
      if (result.ok) {
        const r = result.value
        totals.functions += r.functions
        totals.classes += r.classes
        totals.imports += r.imports
        totals.lines += r.lines
        parseMs.push(r.ms)
        parsed.push(file)
        packages.add(file.key)
        if (options.perFile) {
          const { functions, classes, imports, lines } = r
          perFile.push({ path: relative(options.dir, file.path), functions, classes, imports, lines })
        }
      } else {
        failed++
        if (errors.length < 5) errors.push(`${relative(options.dir, file.path)}: ${String(result.error)}`)
      }
      const workers = pool.stats().workers.total
      if (workers > peakWorkers) peakWorkers = workers
      progress?.update(state())
      finishOne(file)
    }
    const onRead = (file: SourceFile) => (bytes: Buffer) => {
      reading--
      if (looksBinary(bytes)) {
        binary++
        totalFiles--
        totalBytes -= file.size
        finishOne(file)
        return
      }
      const data = ownBuffer(bytes)
      pool.submit({ name: file.path, data }, onResult(file), { key: file.key, transfer: [data] })
      pump()
    }
    const onReadError = (file: SourceFile) => (error: Error) => {
      reading--
      onResult(file)({ id: -1, ok: false, error, waitMs: 0, runMs: 0, attempts: 0 } as TaskResult<ParsedFile>)
    }
    function pump(): void {
      while (reading < READS_AT_ONCE && next < walk.files.length && inFlightBytes < WINDOW_BYTES) {
        const file = walk.files[next++]!
        reading++
        inFlightBytes += file.size
        readFile(file.path).then(onRead(file), onReadError(file))
      }
    }
    pump()
  })
  const wallMs = performance.now() - wallStart
  progress?.done(state())

  const snapshot = metrics.snapshot().pools[0]
  await pool.close()
  await server?.close()
  process.removeListener('SIGINT', stopOnSignal)

  // The sample is taken in walk order, not in the order the pool finished, so
  // every run of the same tree parses the same sample.
  const parsedSet = new Set(parsed)
  const inWalkOrder = walk.files.filter((f) => parsedSet.has(f))
  const baseline = options.baseline && parsed.length > 0 ? runBaseline(inWalkOrder, doneBytes, options.sampleBytes) : null
  const sorted = Float64Array.from(parseMs).sort()
  const parsedBytes = parsed.reduce((sum, f) => sum + f.size, 0)
  const round = (n: number, digits = 2): number => Number(n.toFixed(digits))
  perFile.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return {
    directory: options.dir,
    files: parsed.length,
    packages: packages.size,
    bytes: parsedBytes,
    megabytes: round(parsedBytes / MB),
    skipped: { huge: walk.skippedHuge, binary, maxBytes: options.maxBytes },
    failed,
    errors,
    walkMs: round(walkMs, 1),
    wallMs: round(wallMs, 1),
    filesPerSecond: round(parsed.length / (wallMs / 1000), 1),
    megabytesPerSecond: round(parsedBytes / MB / (wallMs / 1000)),
    workers: options.workers,
    peakWorkers,
    perFileMs: { p50: round(quantile(sorted, 0.5), 3), p99: round(quantile(sorted, 0.99), 3), max: round(quantile(sorted, 1), 3) },
    queueWaitMs: { p50: round(snapshot?.wait.total.p50 ?? 0, 1), p99: round(snapshot?.wait.total.p99 ?? 0, 1) },
    baseline: baseline && { ...baseline, ms: round(baseline.ms, 1), estimatedMs: round(baseline.estimatedMs, 1) },
    speedup: baseline ? round(baseline.estimatedMs / wallMs) : null,
    totals,
    ...(options.perFile ? { perFile } : {}),
  }
}

function printSummary(s: Summary): void {
  const n = (x: number): string => x.toLocaleString('en-US')
  const sec = (ms: number): string => (ms < 60_000 ? `${(ms / 1000).toFixed(2)} s` : formatDuration(ms / 1000))
  const skipped = [
    s.skipped.huge > 0 ? `${n(s.skipped.huge)} over ${s.skipped.maxBytes / MB} MB skipped` : '',
    s.skipped.binary > 0 ? `${n(s.skipped.binary)} binary skipped` : '',
    s.failed > 0 ? `${n(s.failed)} failed` : '',
  ].filter(Boolean)
  const lines = [
    `parsed ${s.directory}`,
    `  files       ${n(s.files)} in ${n(s.packages)} packages${skipped.length > 0 ? ` (${skipped.join(', ')})` : ''}`,
    `  size        ${s.megabytes.toFixed(1)} MB`,
    `  wall        ${sec(s.wallMs)} (workers started and files read included; finding the files took ${sec(s.walkMs)} more)`,
    `  rate        ${n(Math.round(s.filesPerSecond))} files/s, ${s.megabytesPerSecond.toFixed(1)} MB/s`,
    `  workers     ${s.workers} worker threads (peak ${s.peakWorkers}), fair queue by package, idle scaler`,
    `  per file    p50 ${s.perFileMs.p50.toFixed(2)} ms, p99 ${s.perFileMs.p99.toFixed(2)} ms, max ${s.perFileMs.max.toFixed(1)} ms (parse in the worker); queue wait p50 ${s.queueWaitMs.p50} ms, p99 ${s.queueWaitMs.p99} ms`,
  ]
  if (s.baseline) {
    const b = s.baseline
    lines.push(
      b.mode === 'all'
        ? `  1 thread    ${sec(b.ms)}, all ${n(b.files)} files parsed again on the main thread`
        : `  1 thread    ${sec(b.estimatedMs)} estimated: a sample of ${n(b.files)} files (${(b.bytes / MB).toFixed(1)} MB, 1 file in ${Math.round(s.files / b.files)}) parsed on the main thread in ${sec(b.ms)}, scaled by bytes`,
      `  speedup     ${s.speedup?.toFixed(2)}x over one thread`,
    )
  }
  lines.push(`  found       ${n(s.totals.functions)} functions, ${n(s.totals.classes)} classes, ${n(s.totals.imports)} imports, ${n(s.totals.lines)} lines`)
  for (const error of s.errors) lines.push(`  error       ${error}`)
  process.stdout.write(`${lines.join('\n')}\n`)
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
