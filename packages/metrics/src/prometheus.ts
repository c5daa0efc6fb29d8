import { describe } from './internal/validate.js'
import type { LatencyMetrics, MetricsSnapshot, PoolMetrics } from './snapshot.js'

/**
 * Options of {@link formatPrometheus} and {@link registerPromClient}.
 * @public
 */
export interface PrometheusOptions {
  /**
   * What every metric name starts with, joined by `_`: `poolkit` gives
   * `poolkit_tasks_total`. A letter or underscore, then letters, digits or
   * underscores (no colons: Prometheus keeps those for recording rules).
   * @defaultValue `'poolkit'`
   */
  readonly prefix?: string
}

/**
 * One sample line of a family: `suffix` is `''`, or `_bucket`, `_sum` or
 * `_count` for a histogram's series.
 * @internal
 */
export interface PrometheusSample {
  readonly suffix: '' | '_bucket' | '_sum' | '_count'
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

/**
 * One metric family: what `# HELP` and `# TYPE` announce, and its samples.
 * @internal
 */
export interface PrometheusFamily {
  readonly name: string
  readonly help: string
  readonly type: 'counter' | 'gauge' | 'histogram'
  readonly samples: readonly PrometheusSample[]
}

const DEFAULT_PREFIX = 'poolkit'
const PREFIX_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * `outcome` label values of `<prefix>_tasks_total`, each with its `TaskCounts`
 * field; the OpenTelemetry bridge uses the same values.
 * @internal
 */
export const TASK_OUTCOMES = [
  ['completed', 'completed'],
  ['failed', 'failed'],
  ['rejected', 'rejected'],
  ['cancelled', 'cancelled'],
  ['timed_out', 'timedOut'],
  ['retried', 'retried'],
  ['dead_lettered', 'deadLettered'],
] as const

/**
 * `reason` label values of `<prefix>_tasks_rejected_total`, each with its `RejectedCounts` field.
 * @internal
 */
export const REJECT_REASONS = [
  ['queue_full', 'queueFull'],
  ['dropped', 'dropped'],
  ['closed', 'closed'],
  ['circuit_open', 'circuitOpen'],
  ['no_workers', 'noWorkers'],
  ['unplaceable', 'unplaceable'],
] as const

/**
 * `outcome` label values of `<prefix>_key_tasks_total`, each with its `KeyMetrics` field.
 * @internal
 */
export const KEY_OUTCOMES = [
  ['completed', 'completed'],
  ['failed', 'failed'],
  ['rejected', 'rejected'],
  ['cancelled', 'cancelled'],
  ['timed_out', 'timedOut'],
] as const

/**
 * `state` label values of `<prefix>_workers`, each a `WorkerMetrics` field.
 * @internal
 */
export const WORKER_STATES = ['busy', 'idle', 'starting'] as const

/**
 * `window` label values of the rate gauges, each a `WindowRates` field.
 * @internal
 */
export const WINDOWS = ['1s', '10s', '60s'] as const

/**
 * Writes a metrics snapshot in the Prometheus text exposition format (0.0.4),
 * the body a `/metrics` endpoint serves with
 * `Content-Type: text/plain; version=0.0.4`. Every family is written, with `# HELP` and `# TYPE`, even
 * when it has no samples, so the set of names never changes between scrapes.
 *
 * Families (with the default prefix; every series has a `pool` label):
 *
 * - counters `poolkit_tasks_submitted_total`, `poolkit_tasks_started_total`;
 * - counter `poolkit_tasks_total{outcome}`, outcome one of `completed`,
 *   `failed`, `rejected`, `cancelled`, `timed_out`, `retried`,
 *   `dead_lettered`. Submitted and started are stages rather than outcomes,
 *   so they have families of their own. The outcomes may still overlap
 *   (`retried` counts attempts put back in the queue, `dead_lettered` tasks
 *   handed to the dead-letter sink), so do not sum across `outcome`;
 * - counter `poolkit_tasks_rejected_total{reason}`, reason one of
 *   `queue_full`, `dropped`, `closed`, `circuit_open`, `no_workers`, `unplaceable`;
 * - gauge `poolkit_workers{state}` (`busy`, `idle`, `starting`); counters
 *   `poolkit_worker_starts_total`, `poolkit_worker_crashes_total`,
 *   `poolkit_worker_restarts_total`; gauge
 *   `poolkit_worker_event_loop_utilization_ratio{worker}`;
 * - gauges `poolkit_queue_depth`, `poolkit_tasks_running`,
 *   `poolkit_utilization_ratio`;
 * - histograms `poolkit_task_wait_seconds` and `poolkit_task_run_seconds`
 *   (`_bucket{le}`, `_sum`, `_count`), from the snapshot's cumulative
 *   buckets, converted from milliseconds to seconds;
 * - gauges `poolkit_throughput_per_second{window}` and
 *   `poolkit_error_ratio{window}`, window one of `1s`, `10s`, `60s`;
 * - counters `poolkit_key_tasks_total{key,outcome}` (`key` the series' key:
 *   the task's `key`, or what the metrics' `key` option gives; outcome
 *   `completed`, `failed`, `rejected`, `cancelled`, `timed_out`) and
 *   `poolkit_untracked_key_tasks_total`;
 * - then the families of the snapshot's `collected` (from the metrics'
 *   collectors), each as `poolkit_<name>` with its own labels.
 *
 * Label values are escaped as the format requires (backslash, double quote,
 * line feed); NaN and infinities are written `NaN`, `+Inf` and `-Inf`. Pool
 * names must be unique within the snapshot, or series would repeat.
 * @param snapshot - What `metrics.snapshot()` returned.
 * @param options - See {@link PrometheusOptions}.
 * @returns The exposition text, one line per sample, ending with a line feed.
 * @throws TypeError when `options.prefix` is not a valid metric name prefix.
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { formatPrometheus } from '@poolkit/metrics'
 *
 * createServer((req, res) => {
 *   res.setHeader('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
 *   res.end(formatPrometheus(metrics.snapshot()))
 * }).listen(9464)
 * ```
 * @public
 */
export function formatPrometheus(snapshot: MetricsSnapshot, options?: PrometheusOptions): string {
  const lines: string[] = []
  for (const family of [...prometheusFamilies(snapshot, options), ...collectedFamilies(snapshot, options)]) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`)
    for (const sample of family.samples) {
      lines.push(`${family.name}${sample.suffix}${formatLabels(sample.labels)} ${formatPrometheusNumber(sample.value)}`)
    }
  }
  return `${lines.join('\n')}\n`
}

/**
 * The metric families of a snapshot, always the same names in the same order
 * whatever the snapshot holds (the prom-client bridge registers them once).
 * @internal
 */
export function prometheusFamilies(snapshot: MetricsSnapshot, options?: PrometheusOptions): PrometheusFamily[] {
  const p = prometheusPrefix(options)
  const pools = snapshot.pools
  const perPool = (fn: (pool: PoolMetrics, add: (labels: Record<string, string>, value: number) => void) => void): PrometheusSample[] => {
    const samples: PrometheusSample[] = []
    for (const pool of pools) fn(pool, (labels, value) => samples.push({ suffix: '', labels: { pool: pool.pool, ...labels }, value }))
    return samples
  }
  const one = (value: (pool: PoolMetrics) => number) => perPool((pool, add) => add({}, value(pool)))
  return [
    counter(
      `${p}_tasks_submitted_total`,
      'Tasks submitted to the pool.',
      one((s) => s.tasks.submitted),
    ),
    counter(
      `${p}_tasks_started_total`,
      'Tasks started on a worker.',
      one((s) => s.tasks.started),
    ),
    counter(
      `${p}_tasks_total`,
      'Tasks by outcome: completed, failed, rejected, cancelled, timed_out, retried, dead_lettered.',
      perPool((s, add) => TASK_OUTCOMES.forEach(([outcome, field]) => add({ outcome }, s.tasks[field]))),
    ),
    counter(
      `${p}_tasks_rejected_total`,
      'Tasks rejected, by reason.',
      perPool((s, add) => REJECT_REASONS.forEach(([reason, field]) => add({ reason }, s.tasks.rejectedBy[field]))),
    ),
    gauge(
      `${p}_pool_open`,
      'Whether the pool takes tasks: 1 while open or paused, 0 once closing or closed.',
      one((s) => (s.state === 'open' || s.state === 'paused' ? 1 : 0)),
    ),
    gauge(
      `${p}_workers`,
      'Workers now, by state.',
      perPool((s, add) => WORKER_STATES.forEach((state) => add({ state }, s.workers[state]))),
    ),
    counter(
      `${p}_worker_starts_total`,
      'Workers that became ready (first starts and replacements).',
      one((s) => s.workers.started),
    ),
    counter(
      `${p}_worker_crashes_total`,
      'Workers that left by crashing or going unresponsive.',
      one((s) => s.workers.crashed),
    ),
    counter(
      `${p}_worker_restarts_total`,
      'Workers started to replace one that left.',
      one((s) => s.workers.restarts),
    ),
    gauge(
      `${p}_worker_event_loop_utilization_ratio`,
      "Each worker's event-loop utilization (0 to 1).",
      perPool((s, add) => s.workers.eventLoopUtilization.forEach(({ worker, value }) => add({ worker: String(worker) }, value))),
    ),
    gauge(
      `${p}_queue_depth`,
      'Tasks waiting in the queue now.',
      one((s) => s.queueDepth),
    ),
    gauge(
      `${p}_tasks_running`,
      'Tasks running now.',
      one((s) => s.running),
    ),
    gauge(
      `${p}_utilization_ratio`,
      'Busy time over capacity (0 to 1) over the last 10 seconds.',
      one((s) => s.utilization),
    ),
    histogram(`${p}_task_wait_seconds`, 'Time tasks waited in the queue before starting.', pools, (s) => s.wait),
    histogram(`${p}_task_run_seconds`, 'Time tasks ran, per attempt.', pools, (s) => s.run),
    gauge(
      `${p}_throughput_per_second`,
      'Tasks that ended after admission (not rejections) per second over a sliding window.',
      perPool((s, add) => WINDOWS.forEach((window) => add({ window }, s.throughput[window]))),
    ),
    gauge(
      `${p}_error_ratio`,
      'Share of finished tasks that failed or timed out (0 to 1) over a sliding window.',
      perPool((s, add) => WINDOWS.forEach((window) => add({ window }, s.errorRate[window]))),
    ),
    counter(
      `${p}_key_tasks_total`,
      'Tasks of each tracked key, by outcome.',
      perPool((s, add) => s.keys.forEach((k) => KEY_OUTCOMES.forEach(([outcome, field]) => add({ key: k.key, outcome }, k[field])))),
    ),
    counter(
      `${p}_untracked_key_tasks_total`,
      'Tasks whose key was not tracked because maxKeys keys already were.',
      one((s) => s.untrackedKeyTasks),
    ),
  ]
}

/**
 * The families of a snapshot's collectors, named `<prefix>_<name>`, in the
 * order they were collected.
 * @internal
 */
export function collectedFamilies(snapshot: MetricsSnapshot, options?: PrometheusOptions): PrometheusFamily[] {
  const p = prometheusPrefix(options)
  return (snapshot.collected ?? []).map((family) => ({
    name: `${p}_${family.name}`,
    help: family.help,
    type: family.type,
    samples: family.samples.map((sample) => ({ suffix: '' as const, labels: sample.labels ?? {}, value: sample.value })),
  }))
}

/**
 * The validated prefix of {@link PrometheusOptions}.
 * @internal
 */
export function prometheusPrefix(options: PrometheusOptions | undefined): string {
  if (options === undefined) return DEFAULT_PREFIX
  if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, got ${describe(options)}`)
  const prefix: unknown = options.prefix
  if (prefix === undefined) return DEFAULT_PREFIX
  if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) {
    throw new TypeError(`options.prefix must be a Prometheus metric name prefix (a letter or underscore, then letters, digits or underscores), got ${describe(prefix)}`)
  }
  return prefix
}

/**
 * A sample value as the text format spells it: `NaN`, `+Inf`, `-Inf`, else
 * JavaScript's shortest round-trip form (integers below 1e21 without exponent).
 * @internal
 */
export function formatPrometheusNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return '+Inf'
  if (value === -Infinity) return '-Inf'
  return String(value)
}

function counter(name: string, help: string, samples: PrometheusSample[]): PrometheusFamily {
  return { name, help, type: 'counter', samples }
}

function gauge(name: string, help: string, samples: PrometheusSample[]): PrometheusFamily {
  return { name, help, type: 'gauge', samples }
}

/**
 * A histogram family from each pool's cumulative millisecond buckets. `le`
 * and `_sum` are converted to seconds; `_count` is the `+Inf` bucket's count,
 * and a `+Inf` bucket (of `total.count`) is added where the buckets lack one,
 * since Prometheus requires it.
 */
function histogram(name: string, help: string, pools: readonly PoolMetrics[], latency: (pool: PoolMetrics) => LatencyMetrics): PrometheusFamily {
  const samples: PrometheusSample[] = []
  for (const pool of pools) {
    const { buckets, total } = latency(pool)
    let count = total.count
    let sawInf = false
    for (const bucket of buckets) {
      samples.push({ suffix: '_bucket', labels: { pool: pool.pool, le: formatPrometheusNumber(msToSeconds(bucket.le)) }, value: bucket.count })
      if (bucket.le === Infinity) {
        sawInf = true
        count = bucket.count
      }
    }
    if (!sawInf) samples.push({ suffix: '_bucket', labels: { pool: pool.pool, le: '+Inf' }, value: count })
    samples.push({ suffix: '_sum', labels: { pool: pool.pool }, value: msToSeconds(total.sum) }, { suffix: '_count', labels: { pool: pool.pool }, value: count })
  }
  return { name, help, type: 'histogram', samples }
}

/**
 * Milliseconds to seconds, rounded to 15 significant digits so that bounds
 * such as 1.1 ms read `0.0011` rather than `0.0011000000000000001`. Rounding
 * keeps order, so cumulative sums stay monotonic.
 */
function msToSeconds(ms: number): number {
  return Number((ms / 1000).toPrecision(15))
}

function formatLabels(labels: Readonly<Record<string, string>>): string {
  const parts: string[] = []
  for (const [name, value] of Object.entries(labels)) parts.push(`${name}="${escapeLabelValue(value)}"`)
  return parts.length === 0 ? '' : `{${parts.join(',')}}`
}

const LABEL_ESCAPES: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n' }

function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => LABEL_ESCAPES[c] ?? c)
}

function escapeHelp(help: string): string {
  return help.replace(/[\\\n]/g, (c) => LABEL_ESCAPES[c] ?? c)
}
