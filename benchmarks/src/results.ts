// One object with every suite's headline numbers, written as benchmarks/results/<date>.json (report.ts)
// and drawn as docs/bench.svg (chart.ts). Plain data only: no Maps, so JSON.stringify keeps everything.
import type { BrowserResult } from './browser.js'
import type { BreakerResult } from './suites/breaker.js'
import { BULLMQ_LINE, type BullmqResult } from './suites/bullmq.js'
import { LINE } from './suites/breaker.js'
import type { MemoryResult } from './suites/memory.js'
import type { MetricsResult } from './suites/metrics.js'
import type { PriorityResult } from './suites/priority.js'
import { RESOURCE_LINE, type ResourceResult } from './suites/resource.js'
import { QUEUE_NAMES, type QueuesResult } from './suites/queues.js'
import type { ScalingResult } from './suites/scaling.js'
import type { ThreadsResult } from './suites/threads.js'
import type { ThroughputResult } from './suites/throughput.js'
import { KEY_ROWS, type KeysResult } from './suites/keys.js'
import { SELECTOR_LINES } from './routing-lines.js'
import type { RoutingResult } from './suites/routing.js'
import type { GatewayResult } from './suites/gateway.js'
import { HTTP_LINE, type HttpResult } from './suites/http.js'

/** The results file's format; bump on a change that old readers would misread. */
export const RESULTS_SCHEMA = 'poolkit-bench/1'

/**
 * What a line is in its table: `ours` (a poolkit package), `peer` (a library a
 * user would pick instead) or `reference` (a floor or ceiling written for the
 * suite, such as the minimal limiter or the hand-rolled pool: never the "best peer").
 */
export type LineRole = 'ours' | 'peer' | 'reference'

export interface ResultLine {
  readonly name: string
  readonly role: LineRole
  /** In the table's `unit`. */
  readonly value: number
}

/** One comparison: every line measured in the same process run, under the same settings. */
export interface ResultTable {
  /** The suite that measured it (`throughput`, `threads`, ...). */
  readonly suite: string
  /** Unique within a results file, e.g. `throughput@64`. */
  readonly id: string
  readonly title: string
  /** `tasks/s`, `items/s`, `jobs/s`, `ns/call`, `ns/task`, `µs`, `ms`, `bytes`, `x` (a speedup) */
  readonly unit: string
  /** Whether a higher value is the better one (tasks/s) or a lower one (ns, µs, bytes). */
  readonly better: 'higher' | 'lower'
  /** Which panel of docs/bench.svg shows it, if any. */
  readonly chart?: 'throughput' | 'latency'
  readonly lines: readonly ResultLine[]
}

/** The whole run: where it ran, what it measured, and every table. */
export interface BenchResults {
  readonly schema: typeof RESULTS_SCHEMA
  /** ISO time the run started. */
  readonly date: string
  /** A smoke run (`--quick`): small counts, figures not for reporting. */
  readonly quick: boolean
  readonly node: string
  readonly platform: string
  readonly cpu: string
  readonly cores: number
  /** The version line printed in the header (core commit, peer versions). */
  readonly versions: string
  readonly suites: readonly string[]
  readonly durationS: number
  readonly settings: unknown
  readonly tables: readonly ResultTable[]
  /** The scaling suite's rows (not a comparison with peers, so not a table). */
  readonly scaling?: ScalingResult
}

/** What each suite returned in this run; absent where the suite did not run. */
export interface SuiteResults {
  throughput?: ThroughputResult
  priority?: PriorityResult
  memory?: MemoryResult
  queues?: QueuesResult
  threads?: ThreadsResult
  scaling?: ScalingResult
  metrics?: MetricsResult
  breaker?: BreakerResult
  browser?: BrowserResult
  resource?: ResourceResult
  bullmq?: BullmqResult
  keys?: KeysResult
  routing?: RoutingResult
  http?: HttpResult
  gateway?: GatewayResult
}

export type RunInfo = Omit<BenchResults, 'schema' | 'tables' | 'scaling'>

type Roles = (name: string) => LineRole

function table(base: Omit<ResultTable, 'lines'>, values: Iterable<readonly [string, number]>, roles: Roles, scale = 1): ResultTable {
  const lines = [...values].filter(([, v]) => Number.isFinite(v)).map(([name, v]) => ({ name, role: roles(name), value: v * scale }))
  return { ...base, lines }
}

const pick = (map: ReadonlyMap<string, number>, names: readonly string[]): [string, number][] => names.filter((n) => map.has(n)).map((n) => [n, map.get(n)!])

const rolesOf =
  (ours: readonly string[], references: readonly string[] = []): Roles =>
  (name) =>
    ours.includes(name) ? 'ours' : references.includes(name) ? 'reference' : 'peer'

const THREAD_REFERENCES = ['hand-rolled pool', 'bare echo', 'sequential (main thread)']
const threadRoles: Roles = (name) => (name.startsWith('poolkit') ? 'ours' : THREAD_REFERENCES.includes(name) ? 'reference' : 'peer')

/** Collects the headline numbers of every suite that ran into tables (one comparison each). */
export function collectResults(info: RunInfo, r: SuiteResults): BenchResults {
  const tables: ResultTable[] = []
  if (r.throughput !== undefined) {
    for (const [concurrency, byLib] of r.throughput.rates) {
      tables.push(
        table(
          { suite: 'throughput', id: `throughput@${concurrency}`, title: `No-op async tasks, batches at concurrency ${concurrency}`, unit: 'tasks/s', better: 'higher', chart: 'throughput' },
          byLib,
          rolesOf(['poolkit'], ['minimal limiter']),
        ),
      )
    }
  }
  if (r.priority !== undefined) {
    const roles = rolesOf(['poolkit'])
    tables.push(table({ suite: 'priority', id: 'priority-mixed', title: 'Backlog with priorities i % 4', unit: 'tasks/s', better: 'higher' }, r.priority.mixed, roles))
    tables.push(table({ suite: 'priority', id: 'priority-single', title: 'Backlog at one priority', unit: 'tasks/s', better: 'higher' }, r.priority.single, roles))
  }
  if (r.memory !== undefined) {
    const reports = [...r.memory.reports.values()]
    const roles = rolesOf(['poolkit'], ['minimal limiter'])
    const tasks = reports[0]?.tasks.toLocaleString('en-US') ?? '?'
    tables.push(
      table(
        { suite: 'memory', id: 'memory-queued-rss', title: `RSS with ${tasks} tasks queued`, unit: 'bytes', better: 'lower' },
        reports.map((m) => [m.library, m.queuedRss] as const),
        roles,
      ),
    )
    tables.push(
      table(
        { suite: 'memory', id: 'memory-max-rss', title: `Peak RSS, queuing and draining ${tasks} tasks`, unit: 'bytes', better: 'lower' },
        reports.map((m) => [m.library, m.maxRss] as const),
        roles,
      ),
    )
  }
  if (r.queues !== undefined) {
    const rates = r.queues.rates
    const [ownFifo, ...fifoPeers] = QUEUE_NAMES.fifo
    for (const c of QUEUE_NAMES.fifoCases) {
      const lines = [ownFifo!, ...fifoPeers].map((n) => [n, rates.get(`fifo ${c} ${n}`)!] as const)
      tables.push(table({ suite: 'queues', id: `queues-fifo-${c}`, title: `FIFO (${c}): push all, then shift all`, unit: 'items/s', better: 'higher' }, lines, rolesOf([ownFifo!])))
    }
    const [ownHeap, ...heapPeers] = QUEUE_NAMES.heaps
    for (const c of QUEUE_NAMES.priorityCases) {
      const lines = [ownHeap!, ...heapPeers].map((n) => [n, rates.get(`${c} ${n}`)!] as const)
      tables.push(table({ suite: 'queues', id: `queues-priority-${c}`, title: `Priority queue (${c}): push all, then pop in order`, unit: 'items/s', better: 'higher' }, lines, rolesOf([ownHeap!])))
    }
    const pool = QUEUE_NAMES.pool.map((n) => [n, rates.get(`pool ${n}`)!] as const)
    tables.push(table({ suite: 'queues', id: 'queues-in-pool', title: "Queues inside a core pool (no peers: ours against core's default)", unit: 'tasks/s', better: 'higher' }, pool, () => 'ours'))
  }
  if (r.threads !== undefined) {
    const t = r.threads
    tables.push(
      table({ suite: 'threads', id: 'threads-throughput', title: 'Thread pools: no-op tasks submitted at once', unit: 'tasks/s', better: 'higher', chart: 'throughput' }, t.rates, threadRoles),
    )
    tables.push(
      table({ suite: 'threads', id: 'threads-latency', title: 'Thread pools: median round trip, one task at a time', unit: 'µs', better: 'lower', chart: 'latency' }, t.latency, threadRoles, 1000),
    )
    tables.push(table({ suite: 'threads', id: 'threads-peak-rss', title: 'Thread pools: peak RSS of the burst', unit: 'bytes', better: 'lower' }, t.peakRss, threadRoles))
    tables.push(
      table(
        { suite: 'threads', id: 'threads-cpu-speedup', title: 'Thread pools: CPU-bound speedup over sequential', unit: 'x', better: 'higher' },
        [...t.speedup].filter(([n]) => n !== 'sequential (main thread)'),
        threadRoles,
      ),
    )
  }
  if (r.metrics !== undefined) {
    const mx = r.metrics
    tables.push(table({ suite: 'metrics', id: 'metrics-record', title: 'Histogram record()', unit: 'ns/call', better: 'lower' }, mx.recordNs, rolesOf(['@poolkit/metrics'])))
    for (const [concurrency, byLine] of mx.overhead.rates) {
      tables.push(
        table(
          { suite: 'metrics', id: `metrics-overhead@${concurrency}`, title: `Core pool with and without createMetrics(), concurrency ${concurrency} (no peers)`, unit: 'tasks/s', better: 'higher' },
          byLine,
          (name) => (name.startsWith('no metrics') ? 'reference' : 'ours'),
        ),
      )
    }
  }
  if (r.breaker !== undefined) {
    const b = r.breaker
    tables.push(
      table(
        { suite: 'breaker', id: 'breaker-closed', title: 'Circuit breaker, closed: a guarded no-op call', unit: 'ns/call', better: 'lower' },
        pick(b.closedNs, [LINE.oursExecute, LINE.oursKeyed, LINE.oursPoolPath, LINE.cockatiel, LINE.opossum, LINE.floor]),
        rolesOf([LINE.oursExecute, LINE.oursKeyed, LINE.oursPoolPath], [LINE.floor]),
      ),
    )
    tables.push(
      table(
        { suite: 'breaker', id: 'breaker-open', title: 'Circuit breaker, open: a refused call', unit: 'ns/call', better: 'lower' },
        pick(b.openNs, [LINE.oursExecute, LINE.oursAdmit, LINE.cockatiel, LINE.opossum]),
        rolesOf([LINE.oursExecute, LINE.oursAdmit]),
      ),
    )
    tables.push(
      table(
        { suite: 'breaker', id: 'breaker-limiter', title: 'Rate limiter decision', unit: 'ns/call', better: 'lower' },
        pick(b.limiterNs, [LINE.oursLimiter, LINE.bottleneck, LINE.pQueue]),
        rolesOf([LINE.oursLimiter]),
      ),
    )
    tables.push(
      table(
        { suite: 'breaker', id: 'breaker-limited-pool', title: 'No-op tasks through a rate limiter, concurrency 16', unit: 'tasks/s', better: 'higher' },
        pick(b.limiterRates, [LINE.poolLimited, LINE.bottleneckPool, LINE.pQueuePool, LINE.poolBare]),
        rolesOf([LINE.poolLimited], [LINE.poolBare]),
      ),
    )
  }
  if (r.browser !== undefined) {
    const w = r.browser
    const roles = rolesOf(['poolkit'], ['hand-rolled postMessage', 'bare echo worker'])
    tables.push(
      table({ suite: 'browser', id: 'browser-throughput', title: `Chromium ${w.version}: no-op tasks submitted at once`, unit: 'tasks/s', better: 'higher', chart: 'throughput' }, w.rates, roles),
    )
    tables.push(
      table({ suite: 'browser', id: 'browser-latency', title: `Chromium ${w.version}: median round trip, one task at a time`, unit: 'µs', better: 'lower', chart: 'latency' }, w.latency, roles, 1000),
    )
    tables.push(table({ suite: 'browser', id: 'browser-cpu-speedup', title: `Chromium ${w.version}: CPU-bound speedup over the main thread`, unit: 'x', better: 'higher' }, w.speedup, roles))
  }
  if (r.resource !== undefined) {
    const x = r.resource
    const names = [RESOURCE_LINE.ours, RESOURCE_LINE.genericPool, RESOURCE_LINE.genericPoolNoTimeout, RESOURCE_LINE.tarn]
    const roles = rolesOf([RESOURCE_LINE.ours])
    tables.push(table({ suite: 'resource', id: 'resource-sequential', title: 'Resource pool: acquire + release, one caller', unit: 'ns/call', better: 'lower' }, pick(x.sequentialNs, names), roles))
    tables.push(
      table(
        { suite: 'resource', id: 'resource-contended', title: `Resource pool: acquire + release, ${x.users} callers sharing ${x.max} resources`, unit: 'ns/call', better: 'lower' },
        pick(x.contendedNs, names),
        roles,
      ),
    )
    tables.push(
      table({ suite: 'resource', id: 'resource-use', title: `Resource pool: use(fn), ${x.users} callers sharing ${x.max} resources`, unit: 'ns/call', better: 'lower' }, pick(x.useNs, names), roles),
    )
  }
  if (r.bullmq !== undefined) {
    const x = r.bullmq
    const roles = rolesOf([BULLMQ_LINE.ours], [BULLMQ_LINE.mainThread])
    const at = (pick: 'p50' | 'p99', of: Map<string, { p50: number; p99: number }>): [string, number][] => [...of].map(([name, l]) => [name, l[pick]])
    tables.push(table({ suite: 'bullmq', id: 'bullmq-throughput', title: 'BullMQ: CPU-bound jobs queued at once, drained by 2 workers', unit: 'jobs/s', better: 'higher' }, x.rates, roles))
    tables.push(table({ suite: 'bullmq', id: 'bullmq-burst-p50', title: 'BullMQ: median latency of those jobs, from the start of the drain', unit: 'ms', better: 'lower' }, at('p50', x.burst), roles))
    tables.push(table({ suite: 'bullmq', id: 'bullmq-burst-p99', title: 'BullMQ: p99 latency of those jobs, from the start of the drain', unit: 'ms', better: 'lower' }, at('p99', x.burst), roles))
    tables.push(
      table({ suite: 'bullmq', id: 'bullmq-steady-p50', title: `BullMQ: median job latency, add to completed, ${x.steadyPerSecond} jobs/s`, unit: 'ms', better: 'lower' }, at('p50', x.steady), roles),
    )
    tables.push(
      table({ suite: 'bullmq', id: 'bullmq-steady-p99', title: `BullMQ: p99 job latency, add to completed, ${x.steadyPerSecond} jobs/s`, unit: 'ms', better: 'lower' }, at('p99', x.steady), roles),
    )
  }
  if (r.keys !== undefined) {
    const x = r.keys
    const roles: Roles = (name) => (KEY_ROWS.find((row) => row.name === name)?.reference === true ? 'reference' : 'ours')
    for (const k of x.keyCounts) {
      tables.push(
        table(
          {
            suite: 'keys',
            id: `keys@${k}`,
            title: `Keyed structures in a pool: ${k.toLocaleString('en-US')} distinct keys round-robin, concurrency ${x.concurrency}`,
            unit: 'ns/task',
            better: 'lower',
          },
          [...x.ns].map(([name, byKeys]) => [name, byKeys.get(k)!] as const),
          roles,
        ),
      )
    }
  }
  if (r.routing !== undefined) {
    const x = r.routing
    const roles: Roles = (name) => (name.startsWith('poolifier') ? 'peer' : SELECTOR_LINES.find((l) => l.name === name)?.reference === true ? 'reference' : 'ours')
    tables.push(
      table(
        { suite: 'routing', id: 'routing-threads', title: "Selectors on threads(): a burst of no-op tasks, 2 workers, against poolifier's strategies", unit: 'tasks/s', better: 'higher' },
        [...x.threads, ...x.poolifier],
        roles,
      ),
    )
    tables.push(table({ suite: 'routing', id: 'routing-in-process', title: 'Selectors in-process: batches of async no-op tasks, concurrency 4', unit: 'ns/task', better: 'lower' }, x.inProcess, roles))
    tables.push(
      table(
        { suite: 'routing', id: 'routing-cache-rate', title: 'Affinity and a worker-side cache of per-key validators: throughput, 2 workers', unit: 'tasks/s', better: 'higher' },
        [...x.cache].map(([name, c]) => [name, c.rate] as const),
        roles,
      ),
    )
    tables.push(
      table(
        { suite: 'routing', id: 'routing-cache-hits', title: 'Affinity and a worker-side cache of per-key validators: hit rate, 2 workers', unit: '%', better: 'higher' },
        [...x.cache].map(([name, c]) => [name, c.hitRate * 100] as const),
        roles,
      ),
    )
  }
  if (r.http !== undefined) {
    const x = r.http
    const roles = rolesOf([HTTP_LINE.poolkit, HTTP_LINE.poolkitDefault], [HTTP_LINE.inline])
    const of = (level: string, f: (s: { rps: number; p99: number; healthP99: number }) => number): [string, number][] => [...x.levels.get(level)!].map(([name, s]) => [name, f(s)])
    for (const c of x.connections) {
      const at = `${x.workers} workers, ${c} connections`
      tables.push(
        table(
          { suite: 'http', id: `http-rps@${c}`, title: `HTTP: POST /render (Markdown to HTML), 2xx answers/s, ${at}`, unit: 'req/s', better: 'higher' },
          of(`@${c}`, (s) => s.rps),
          roles,
        ),
      )
      tables.push(
        table(
          { suite: 'http', id: `http-p99@${c}`, title: `HTTP: POST /render p99, ${at}`, unit: 'ms', better: 'lower' },
          of(`@${c}`, (s) => s.p99),
          roles,
        ),
      )
      tables.push(
        table(
          { suite: 'http', id: `http-health-p99@${c}`, title: `HTTP: GET /health p99 while /render is loaded, ${at}`, unit: 'ms', better: 'lower' },
          of(`@${c}`, (s) => s.healthP99),
          roles,
        ),
      )
    }
    const over = `${x.overload.connections} connections${x.overload.rate === undefined ? '' : ` offering ${x.overload.rate} req/s`}`
    tables.push(
      table(
        { suite: 'http', id: 'http-overload-rps', title: `HTTP: overload, 2xx answers/s, ${over}`, unit: 'req/s', better: 'higher' },
        of('overload', (s) => s.rps),
        roles,
      ),
    )
    tables.push(
      table(
        { suite: 'http', id: 'http-overload-p99', title: `HTTP: overload, p99 of the 2xx answers, ${over}`, unit: 'ms', better: 'lower' },
        of('overload', (s) => s.p99),
        roles,
      ),
    )
    tables.push(
      table(
        { suite: 'http', id: 'http-overload-health-p99', title: `HTTP: overload, GET /health p99, ${over}`, unit: 'ms', better: 'lower' },
        of('overload', (s) => s.healthP99),
        roles,
      ),
    )
  }
  if (r.gateway !== undefined) {
    const x = r.gateway
    const of = (pick: (f: GatewayResult['lines'][number]) => number | null): [string, number][] => x.lines.flatMap((f) => (pick(f) === null ? [] : [[f.name, pick(f)!] as [string, number]]))
    const roles: Roles = (name) => x.lines.find((f) => f.name === name)?.role ?? 'peer'
    const scenario = `seed ${x.seed}${x.short ? ', short' : ''}`
    tables.push(
      table(
        { suite: 'gateway', id: 'gateway-goodput', title: `Gateway: goodput, answers within the deadline per second (${scenario})`, unit: '/s', better: 'higher' },
        of((f) => f.goodput),
        roles,
      ),
    )
    tables.push(
      table(
        { suite: 'gateway', id: 'gateway-quiet-p99', title: `Gateway: the quiet tenant's p99 latency (${scenario})`, unit: 'ms', better: 'lower' },
        of((f) => f.quietP99),
        roles,
      ),
    )
    tables.push(
      table(
        { suite: 'gateway', id: 'gateway-quiet-p99-healthy', title: `Gateway: the quiet tenant's p99 latency on the providers that stay up (${scenario})`, unit: 'ms', better: 'lower' },
        of((f) => f.quietP99Healthy),
        roles,
      ),
    )
    tables.push(
      table(
        { suite: 'gateway', id: 'gateway-quiet-p50', title: `Gateway: the quiet tenant's median latency (${scenario})`, unit: 'ms', better: 'lower' },
        of((f) => f.quietP50),
        roles,
      ),
    )
    tables.push(
      table(
        { suite: 'gateway', id: 'gateway-quiet-success', title: `Gateway: the quiet tenant's success rate (${scenario})`, unit: '%', better: 'higher' },
        of((f) => f.quietSuccess * 100),
        roles,
      ),
    )
    tables.push(
      table(
        { suite: 'gateway', id: 'gateway-wasted', title: `Gateway: calls wasted on 429s and on the outage (${scenario})`, unit: 'calls', better: 'lower' },
        of((f) => f.wasted),
        roles,
      ),
    )
    tables.push(
      table(
        { suite: 'gateway', id: 'gateway-deadline-misses', title: `Gateway: requests past their deadline (${scenario})`, unit: 'requests', better: 'lower' },
        of((f) => f.deadlineMisses),
        roles,
      ),
    )
    tables.push(
      table(
        { suite: 'gateway', id: 'gateway-recovery', title: `Gateway: from the provider's recovery to the first success (${scenario})`, unit: 'ms', better: 'lower' },
        of((f) => f.recoveryMs),
        roles,
      ),
    )
  }
  return { schema: RESULTS_SCHEMA, ...info, tables, ...(r.scaling === undefined ? {} : { scaling: r.scaling }) }
}
