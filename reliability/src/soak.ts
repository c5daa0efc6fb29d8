// The soak run: a long steady load through a thread pool, sampling memory and
// latency as it goes, to show that nothing accumulates.
//
//   node --expose-gc dist/soak.js [--short] [--out DIR] [--workers W]
//
// Two phases, each with a fixed number of tasks in flight (a new task is
// submitted as each one settles): 1,000,000 no-op tasks, then 100,000 CPU tasks
// (16 sha256 digests of 64 KiB, about 0.8 ms). `--short` runs 200,000 and
// 10,000 (the CI form). Forty times per phase it collects garbage and samples
// the heap and RSS, and the p99 of the tasks that ended since the last sample.
// It prints one JSON line (SoakReport) and writes it with an SVG plot of the
// samples to DIR (default results/): soak[-short].json and soak[-short].svg.
import { writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { availableParallelism, cpus } from 'node:os'
import { createPool } from '@poolkit/core'
import { createHistogram, createMetrics } from '@poolkit/metrics'
import { threads } from '@poolkit/node-adapter'
import { judge } from './trend.js'
import type { Verdict } from './trend.js'
import { plotSoak } from './plot.js'

/** One sample of a phase. */
export interface SoakSample {
  /** Tasks settled when it was taken. */
  readonly tasks: number
  /** Seconds since the phase began. */
  readonly seconds: number
  /** Heap in use after a full collection, MB. */
  readonly heapMB: number
  /** Resident set size, MB. */
  readonly rssMB: number
  /** p50 and p99 of submit-to-settle latency of the tasks that ended since the previous sample, ms. */
  readonly p50Ms: number
  readonly p99Ms: number
  /** Tasks per second since the previous sample. */
  readonly rate: number
}

export interface SoakPhase {
  readonly name: string
  readonly task: 'noop' | 'sha'
  readonly tasks: number
  readonly inFlight: number
  readonly seconds: number
  readonly failed: number
  readonly samples: readonly SoakSample[]
  /** Heap, RSS and p99 over the second half of the samples: each must level off. */
  readonly verdicts: { readonly heap: Verdict; readonly rss: Verdict; readonly p99: Verdict }
}

export interface SoakReport {
  readonly date: string
  readonly node: string
  readonly machine: string
  readonly short: boolean
  readonly workers: number
  readonly gc: boolean
  readonly phases: readonly SoakPhase[]
  /** The pool's counters at the end: every task completed. */
  readonly counters: { readonly submitted: number; readonly completed: number; readonly failed: number }
  readonly ok: boolean
}

const SAMPLES = 40

function flag(argv: readonly string[], name: string): string | undefined {
  const at = argv.indexOf(`--${name}`)
  return at < 0 ? undefined : argv[at + 1]
}

const gc = (globalThis as { gc?: () => void }).gc

async function phase(pool: ReturnType<typeof createPool<number, number>>, name: string, task: 'noop' | 'sha', tasks: number, inFlight: number): Promise<SoakPhase> {
  const samples: SoakSample[] = []
  let histogram = createHistogram()
  const every = Math.ceil(tasks / SAMPLES)
  let submitted = 0
  let settled = 0
  let failed = 0
  const began = performance.now()
  let lastAt = began
  let lastSettled = 0
  let sampling = false
  let nextAt = every

  const sample = (): void => {
    // A full collection first, so the heap figure is what is kept, not garbage not yet collected.
    gc?.()
    const now = performance.now()
    const memory = process.memoryUsage()
    samples.push({
      tasks: settled,
      seconds: (now - began) / 1000,
      heapMB: memory.heapUsed / 2 ** 20,
      rssMB: memory.rss / 2 ** 20,
      p50Ms: histogram.quantile(0.5),
      p99Ms: histogram.quantile(0.99),
      rate: ((settled - lastSettled) * 1000) / (now - lastAt),
    })
    histogram = createHistogram()
    lastAt = performance.now()
    lastSettled = settled
  }

  await new Promise<void>((resolve) => {
    const next = (): void => {
      const submittedAt = performance.now()
      const input = submitted++
      pool.submit(
        input,
        (result) => {
          histogram.record(performance.now() - submittedAt)
          if (!result.ok || result.value !== input) failed++
          settled++
          // A sample per `every` tasks; one due while the previous is being taken waits for it, not skipped.
          if (!sampling && (settled >= nextAt || settled === tasks)) {
            sampling = true
            nextAt += every
            // Sample outside the callback: the collection should not sit inside the pool's settle path.
            setImmediate(() => {
              sample()
              sampling = false
              if (settled === tasks) resolve()
            })
          }
          if (submitted < tasks) next()
        },
        { name: task },
      )
    }
    for (let i = 0; i < inFlight && submitted < tasks; i++) next()
  })

  const half = samples.slice(Math.floor(samples.length / 2))
  return {
    name,
    task,
    tasks,
    inFlight,
    seconds: (performance.now() - began) / 1000,
    failed,
    samples,
    verdicts: {
      heap: judge(
        half.map((s) => s.tasks),
        half.map((s) => s.heapMB),
        { relative: 0.05, absolute: 2 },
      ),
      rss: judge(
        half.map((s) => s.tasks),
        half.map((s) => s.rssMB),
        { relative: 0.1, absolute: 16 },
      ),
      p99: judge(
        half.map((s) => s.tasks),
        half.map((s) => s.p99Ms),
        { relative: 0.5, absolute: 1, robust: true },
      ),
    },
  }
}

export async function soak(options: { short: boolean; workers: number }): Promise<SoakReport> {
  const { short, workers } = options
  const metrics = createMetrics()
  const pool = createPool<number, number>({
    name: 'soak',
    executor: threads<number, number>(new URL('../fixtures/faults.worker.mjs', import.meta.url)),
    concurrency: workers,
    observers: [metrics],
  })
  await pool.ready()
  const phases = [
    await phase(pool, short ? '200,000 no-op tasks' : '1,000,000 no-op tasks', 'noop', short ? 200_000 : 1_000_000, 1_000),
    await phase(pool, short ? '10,000 CPU tasks' : '100,000 CPU tasks', 'sha', short ? 10_000 : 100_000, workers * 8),
  ]
  const counters = pool.stats().counters
  await pool.close()
  const ok = phases.every((p) => p.failed === 0 && p.verdicts.heap.ok && p.verdicts.rss.ok && p.verdicts.p99.ok) && counters.completed === counters.submitted
  return {
    date: new Date().toISOString(),
    node: process.version,
    machine: `${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'})`,
    short,
    workers,
    gc: gc !== undefined,
    phases,
    counters: { submitted: counters.submitted, completed: counters.completed, failed: counters.failed },
    ok,
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2)
  const short = argv.includes('--short')
  const out = flag(argv, 'out') ?? fileURLToPath(new URL('../results', import.meta.url))
  const workers = Number(flag(argv, 'workers') ?? 2)
  if (gc === undefined) console.error('soak: run with node --expose-gc, or the heap samples include garbage not yet collected')
  soak({ short, workers }).then(
    (report) => {
      mkdirSync(out, { recursive: true })
      const base = join(out, short ? 'soak-short' : 'soak')
      writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`)
      writeFileSync(`${base}.svg`, plotSoak(report))
      console.log(JSON.stringify(report))
      if (!report.ok) process.exitCode = 1
    },
    (error: unknown) => {
      console.error(error)
      process.exitCode = 1
    },
  )
}
