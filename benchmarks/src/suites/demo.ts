import { fileURLToPath } from 'node:url'
import { createPool } from '@poolkit/core'
import { threads } from '@poolkit/node-adapter'
import { referenceFiles } from '@poolkit/example-parse-codebase/references'
import { largestFirst } from '@poolkit/example-parse-codebase/schedule'
import { findSourceFiles } from '@poolkit/example-parse-codebase/walk'
import { Piscina } from 'piscina'
import Tinypool from 'tinypool'
import { quick, settings } from '../config.js'
import { fmtRatio, median, printTable, relativeMad } from '../stats.js'
import { closeWithin, ordered, reportOthers, watchOthers } from '../thread-harness.js'

/** What a parse task returns (the demo's `ParsedFile`, or null for a binary file); the suite sums the functions. */
type Parsed = { functions: number } | null

/** One pool under test: runs one file's parse by path, and closes. */
interface ParseRunner {
  parse(path: string): Promise<Parsed>
  close(): Promise<unknown>
}

interface ParseLibrary {
  readonly name: string
  open(workers: number): ParseRunner
}

const workerFile = (name: string): URL => new URL(`../workers/parse-${name}.worker.js`, import.meta.url)

/** The pools, each with `workers` threads started at once, each worker reading and parsing its files by path as the demo's do. */
const LIBRARIES: readonly ParseLibrary[] = [
  {
    name: 'poolkit threads()',
    open(workers) {
      const pool = createPool<string, Parsed>({ executor: threads(workerFile('poolkit')), concurrency: workers })
      return { parse: (path) => pool.run(path), close: () => pool.close() }
    },
  },
  {
    // As the demo configures it (examples/parse-codebase/src/pool-run.ts): 50 ms of work waiting in each worker, not 3.
    name: 'poolkit threads() prefetchMs 50',
    open(workers) {
      const pool = createPool<string, Parsed>({ executor: threads(workerFile('poolkit'), { prefetchMs: 50 }), concurrency: workers })
      return { parse: (path) => pool.run(path), close: () => pool.close() }
    },
  },
  {
    name: 'piscina',
    open(workers) {
      const pool = new Piscina<string, Parsed>({ filename: workerFile('piscina').href, minThreads: workers, maxThreads: workers })
      return { parse: (path) => pool.run(path), close: () => pool.destroy() }
    },
  },
  {
    name: 'tinypool',
    open(workers) {
      const pool = new Tinypool({ filename: workerFile('tinypool').href, minThreads: workers, maxThreads: workers })
      return { parse: (path) => pool.run(path) as Promise<Parsed>, close: () => pool.destroy() }
    },
  },
]

/** What the demo suite measured. */
export interface DemoResult {
  readonly files: number
  readonly bytes: number
  readonly workers: number
  readonly rounds: number
  /** Median wall time (ms) by library: pool start, every file parsed. */
  readonly ms: Map<string, number>
  /** Median CPU time (ms) by library, its threads included. */
  readonly cpuMs: Map<string, number>
}

/**
 * Opens the pool, submits every file at once (largest first), awaits them all;
 * returns the wall time, the CPU time of this process (its worker threads
 * included: on a shared machine the steadier figure) and the functions counted.
 */
async function timeJob(library: ParseLibrary, workers: number, paths: readonly string[]): Promise<{ ms: number; cpuMs: number; functions: number }> {
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  const runner = library.open(workers)
  const results = await Promise.all(paths.map((path) => runner.parse(path)))
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  await closeWithin(library.name, runner)
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, functions: results.reduce((sum, r) => sum + (r?.functions ?? 0), 0) }
}

/**
 * Suite `demo`: the parse-codebase demo's job (every k-th source file of the
 * repository's node_modules, about `sampleMb` MB, largest first) through
 * poolkit's `threads()`, piscina and tinypool, each worker reading and parsing
 * files by path with the demo's own `parsePath`. Each round opens a fresh pool
 * per library (start-up included in the time, as a user's run has it), the
 * order of the libraries reversed every other round; medians over the rounds.
 */
export async function demo(): Promise<DemoResult> {
  const { sampleMb, rounds, workers } = settings.demo
  const root = fileURLToPath(new URL('../../../node_modules', import.meta.url))
  const walk = findSourceFiles(root, 2e6)
  const job = referenceFiles(walk.files, sampleMb * 1e6)
  const paths = largestFirst(job.files).map((f) => f.path)
  console.log(`\n## Demo: the parse-codebase job on ${workers} workers (${paths.length.toLocaleString('en-US')} files, ${(job.bytes / 1e6).toFixed(1)} MB of ${root}, largest first)`)
  console.log(`Each line: a fresh pool, every file submitted at once, until the last result (worker start-up included); ${rounds} round${rounds === 1 ? '' : 's'}, alternating order.`)
  console.log('CPU: the CPU time of this process (worker threads included) over the same span, steadier than the wall time on a shared machine.')

  const samples = new Map<string, number[]>(LIBRARIES.map((l) => [l.name, []]))
  const cpuSamples = new Map<string, number[]>(LIBRARIES.map((l) => [l.name, []]))
  const functions = new Set<number>()
  const others = watchOthers()
  for (let round = 0; round < rounds; round++) {
    for (const library of ordered(LIBRARIES, round)) {
      const { ms, cpuMs, functions: counted } = await timeJob(library, workers, paths)
      samples.get(library.name)!.push(ms)
      cpuSamples.get(library.name)!.push(cpuMs)
      functions.add(counted)
    }
  }
  if (functions.size !== 1) throw new Error(`the libraries counted different totals: ${[...functions].join(', ')}`)

  const ms = new Map([...samples].map(([name, s]) => [name, median(s)]))
  const cpuMs = new Map([...cpuSamples].map(([name, s]) => [name, median(s)]))
  const own = ms.get(LIBRARIES[0]!.name)!
  const ownCpu = cpuMs.get(LIBRARIES[0]!.name)!
  printTable(
    ['line', 'median', 'MAD', 'MB/s', 'time / poolkit', 'CPU', 'CPU / poolkit'],
    [...samples].map(([name, s]) => [
      name,
      `${(median(s) / 1000).toFixed(2)} s`,
      `${(relativeMad(s) * 100).toFixed(1)}%`,
      (job.bytes / 1e6 / (median(s) / 1000)).toFixed(1),
      fmtRatio(median(s) / own),
      `${(cpuMs.get(name)! / 1000).toFixed(2)} s`,
      fmtRatio(cpuMs.get(name)! / ownCpu),
    ]),
  )
  reportOthers(others)
  const judge = (ok: boolean): string => (quick ? 'not judged in quick mode' : ok ? 'met' : 'NOT met')
  for (const ours of LIBRARIES.slice(0, 2)) {
    for (const peer of LIBRARIES.slice(2)) {
      const ratio = ms.get(peer.name)! / ms.get(ours.name)!
      console.log(`demo        ${ours.name} / ${peer.name}: ${fmtRatio(ratio)}   target >= 1x: ${judge(ratio >= 1)}`)
    }
  }
  return { files: paths.length, bytes: job.bytes, workers, rounds, ms, cpuMs }
}
