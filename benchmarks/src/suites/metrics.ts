import { createHistogram } from '@poolkit/metrics'
import { seededRandom } from '@poolkit/core/testing'
import type { Histogram } from '@poolkit/metrics'
import { build as buildHdr } from 'hdr-histogram-js'
import type { Histogram as HdrHistogram } from 'hdr-histogram-js'
import { Histogram as PromHistogram } from 'prom-client'
import { settings } from '../config.js'
import type { Contender } from '../contenders.js'
import { type Case, measure } from '../harness.js'
import { fmtPct, fmtRatio, median, printTable, relativeMad } from '../stats.js'
import { metricsOverhead, type MetricsOverheadResult } from './metrics-overhead.js'

/**
 * What the metrics suite measured. One field per table, so a later table (pool
 * throughput with and without metrics) adds a field without touching these.
 */
export interface MetricsResult {
  /** M1: ns per `record()` (median over batches), by library. */
  readonly recordNs: Map<string, number>
  /** M2: relative error of each library's p50, p99 and p99.9 against the exact ones, by library. */
  readonly accuracy: Map<string, { readonly p50: number; readonly p99: number; readonly p999: number }>
  /** M3: the core pool's no-op throughput with and without metrics attached. */
  readonly overhead: MetricsOverheadResult
}

/** prom-client's default buckets (s): 5 ms to 10 s, 11 bounds. */
const PROM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** The same values in each library's unit: ms (ours), whole µs (hdr-histogram-js, integers only), s (prom-client). */
interface Values {
  readonly ms: Float64Array
  readonly us: Float64Array
  readonly s: Float64Array
}

/** `n` latencies spread evenly on a log scale from 1 µs to 10 s. */
function latencies(n: number): Values {
  const random = seededRandom(7)
  const from = Math.log(0.001)
  const to = Math.log(10_000)
  const ms = new Float64Array(n)
  const us = new Float64Array(n)
  const s = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    ms[i] = Math.exp(from + (to - from) * random())
    us[i] = Math.max(1, Math.round(ms[i]! * 1000))
    s[i] = ms[i]! / 1000
  }
  return { ms, us, s }
}

// Each library's histogram and loop are written out, as a caller would write them, so
// no shared helper's call site turns megamorphic.
const makeOurs = (): Histogram => createHistogram()
const makeHdr = (): HdrHistogram => buildHdr({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 2 })
let promSerial = 0
const makeProm = (): PromHistogram => new PromHistogram({ name: `bench_latency_seconds_${promSerial++}`, help: 'latency', buckets: PROM_BUCKETS, registers: [] })

interface Library {
  readonly name: string
  readonly records: string
  /** Records every value once into a new histogram of this library; returns the closure a batch calls. */
  prepare(values: Values): () => void
}

const LIBRARIES: readonly Library[] = [
  {
    name: '@poolkit/metrics',
    records: 'ms (float)',
    prepare({ ms }) {
      const h = makeOurs()
      return () => {
        for (let i = 0; i < ms.length; i++) h.record(ms[i]!)
      }
    },
  },
  {
    name: 'hdr-histogram-js',
    records: 'µs (integer)',
    prepare({ us }) {
      const h = makeHdr()
      return () => {
        for (let i = 0; i < us.length; i++) h.recordValue(us[i]!)
      }
    },
  },
  {
    name: 'prom-client',
    records: 's (float)',
    prepare({ s }) {
      const h = makeProm()
      return () => {
        for (let i = 0; i < s.length; i++) h.observe(s[i]!)
      }
    },
  },
]

const done = Promise.resolve()

/** A harness contender whose batch records every value once; the histogram is made at open, untimed. */
function recordContender(library: Library, values: Values): Contender {
  return {
    name: library.name,
    priorities: false,
    open() {
      let batch: (() => void) | undefined = library.prepare(values)
      return {
        batch() {
          batch!()
          return done
        },
        close() {
          batch = undefined
        },
      }
    },
  }
}

/** The smallest value with at least `q` of the values at or below it. */
function exactQuantile(sorted: Float64Array, q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length * (1 - 2 ** -40))) - 1]!
}

/** Prometheus' `histogram_quantile`: linear between bucket bounds; the highest finite bound when it falls in `+Inf`. */
async function promQuantiles(h: PromHistogram, qs: readonly number[]): Promise<number[]> {
  const metric = await h.get()
  const buckets = metric.values
    .filter((v) => v.labels.le !== undefined)
    .map((v) => ({ le: v.labels.le === '+Inf' ? Infinity : Number(v.labels.le), count: v.value }))
    .sort((a, b) => a.le - b.le)
  const total = buckets.at(-1)!.count
  return qs.map((q) => {
    const rank = q * total
    let lower = 0
    let below = 0
    for (const b of buckets) {
      if (b.count >= rank) {
        if (b.le === Infinity) return lower
        return lower + ((b.le - lower) * (rank - below)) / Math.max(1, b.count - below)
      }
      lower = b.le
      below = b.count
    }
    return lower
  })
}

/** M2: each library's p50, p99 and p99.9 of the same values (in ms), against the exact ones. */
async function accuracy(values: Values): Promise<MetricsResult['accuracy']> {
  const qs = [0.5, 0.99, 0.999] as const
  const n = values.ms.length
  const sorted = values.ms.slice().sort()
  const exact = qs.map((q) => exactQuantile(sorted, q))

  const ours = makeOurs()
  for (let i = 0; i < n; i++) ours.record(values.ms[i]!)
  const hdr = makeHdr()
  for (let i = 0; i < n; i++) hdr.recordValue(values.us[i]!)
  const prom = makeProm()
  for (let i = 0; i < n; i++) prom.observe(values.s[i]!)
  // The same values went in everywhere (and the record loops were not optimised away).
  const promCount = (await prom.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value
  if (ours.count !== n || hdr.totalCount !== n || promCount !== n) throw new Error(`counts differ: ${ours.count}, ${hdr.totalCount}, ${promCount} of ${n}`)

  const got = new Map<string, number[]>([
    ['@poolkit/metrics', qs.map((q) => ours.quantile(q))],
    ['hdr-histogram-js', qs.map((q) => hdr.getValueAtPercentile(q * 100) / 1000)],
    ['prom-client', (await promQuantiles(prom, qs)).map((sec) => sec * 1000)],
  ])
  const out: MetricsResult['accuracy'] = new Map()
  const pct = (e: number): string => `${(e * 100).toFixed(2)}%`
  const rows = [...got].map(([name, v]) => {
    const err = v.map((x, i) => Math.abs(x - exact[i]!) / exact[i]!)
    out.set(name, { p50: err[0]!, p99: err[1]!, p999: err[2]! })
    return [name, ...v.flatMap((x, i) => [`${x.toFixed(3)} ms`, pct(err[i]!)])]
  })
  printTable(['library', 'p50', 'error', 'p99', 'error', 'p99.9', 'error'], [['exact', ...exact.flatMap((x) => [`${x.toFixed(3)} ms`, ''])], ...rows])
  hdr.destroy()
  return out
}

/** Suite 6: `@poolkit/metrics`' histogram against hdr-histogram-js and prom-client's histogram. */
export async function metrics(): Promise<MetricsResult> {
  const s = settings.metrics
  const values = latencies(s.values)
  const count = s.values.toLocaleString('en-US')
  console.log('\n## 6. Metrics')

  // M1: record cost
  console.log(`\n### M1. Histogram record cost: ${count} values (the same seeded ones, log-uniform from 1 µs to 10 s) recorded per batch`)
  const cases: Case[] = LIBRARIES.map((l) => ({ id: l.name, contender: recordContender(l, values), concurrency: 1, tasks: s.values }))
  const samples = await measure('metrics: record', cases, { rounds: s.rounds, timeMs: 0, iterations: s.iterations, warmupMs: 0, warmupIterations: s.warmupIterations })
  process.stderr.write('\n')
  const recordNs = new Map(LIBRARIES.map((l) => [l.name, (median(samples.get(l.name)!) * 1e6) / s.values]))
  const own = recordNs.get(LIBRARIES[0]!.name)!
  printTable(
    ['library', 'records', 'ns/record', 'MAD', 'batches', 'ours vs this'],
    LIBRARIES.map((l) => {
      const ms = samples.get(l.name)!
      return [l.name, l.records, recordNs.get(l.name)!.toFixed(2), fmtPct(relativeMad(ms)), String(ms.length), fmtRatio(recordNs.get(l.name)! / own)]
    }),
    2,
  )
  console.log(
    'ours: createHistogram() defaults (1 µs to 1 h, 2^-7 relative error, 4,098 Float64 slots); ' +
      'hdr-histogram-js: build({ lowestDiscernibleValue: 1, highestTrackableValue: 3.6e9, numberOfSignificantValueDigits: 2 }), ' +
      'the default JS Int32 buckets (no WebAssembly, not packed); prom-client: new Histogram({ buckets: its 11 defaults, registers: [] }), ' +
      'fixed buckets only: it keeps no percentiles, only counts per bucket. "ours vs this" = its ns / ours.',
  )

  // M2: accuracy
  console.log(`\n### M2. Quantile accuracy: the same ${count} values, each library's p50, p99 and p99.9 against the exact ones`)
  const acc = await accuracy(values)
  console.log("prom-client's percentiles are Prometheus' histogram_quantile (linear within a bucket) over its 11 default buckets.")

  // M3: what attaching metrics costs a pool
  const overhead = await metricsOverhead()
  return { recordNs, accuracy: acc, overhead }
}
