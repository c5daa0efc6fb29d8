import { KEY_OUTCOMES, REJECT_REASONS, TASK_OUTCOMES, WINDOWS, WORKER_STATES } from './prometheus.js'
import { describe } from './internal/validate.js'
import type { LatencyMetrics, MetricsSnapshot, PoolMetrics } from './snapshot.js'

/**
 * Options of {@link bridgeOpenTelemetry}.
 * @public
 */
export interface OpenTelemetryOptions {
  /**
   * What every instrument name starts with, joined by `.`: `poolkit` gives
   * `poolkit.tasks`. Dot-separated parts, each a letter then letters,
   * digits, `_` or `-`.
   * @defaultValue `'poolkit'`
   */
  readonly prefix?: string
}

/**
 * Attributes of one observation, as `@opentelemetry/api` takes them.
 * @public
 */
export type OpenTelemetryAttributes = Record<string, string | number>

/**
 * An observable instrument that a {@link MeterLike} created; opaque here.
 * @public
 */
export type ObservableLike = object

/**
 * What a batch callback is given: `@opentelemetry/api`'s `BatchObservableResult`.
 * @public
 */
export interface BatchObservableResultLike {
  observe(observable: ObservableLike, value: number, attributes?: OpenTelemetryAttributes): void
}

/**
 * The options an instrument is created with: part of `@opentelemetry/api`'s `MetricOptions`.
 * @public
 */
export interface InstrumentOptionsLike {
  readonly description?: string
  readonly unit?: string
}

/**
 * The part of an `@opentelemetry/api` (1.x) `Meter` that
 * {@link bridgeOpenTelemetry} uses, typed by shape so that this package never
 * imports `@opentelemetry/api`.
 * @public
 */
export interface MeterLike {
  createObservableCounter(name: string, options?: InstrumentOptionsLike): ObservableLike
  createObservableGauge(name: string, options?: InstrumentOptionsLike): ObservableLike
  createObservableUpDownCounter(name: string, options?: InstrumentOptionsLike): ObservableLike
  addBatchObservableCallback(callback: (result: BatchObservableResultLike) => void, observables: ObservableLike[]): void
  removeBatchObservableCallback(callback: (result: BatchObservableResultLike) => void, observables: ObservableLike[]): void
}

type Kind = 'counter' | 'gauge' | 'upDownCounter'
type Emit = (value: number, attributes: OpenTelemetryAttributes) => void

/** One instrument: how to create it, and what it observes of a pool (`pool` is added). */
interface Definition {
  readonly name: string
  readonly kind: Kind
  readonly unit: string
  readonly description: string
  readonly observe: (pool: PoolMetrics, emit: Emit) => void
}

/** Percentiles of the recent window reported by the duration gauges; `1` is the maximum. */
const QUANTILES = [
  [0.5, 'p50'],
  [0.9, 'p90'],
  [0.99, 'p99'],
  [1, 'max'],
] as const

const DEFAULT_PREFIX = 'poolkit'
const PREFIX_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z][A-Za-z0-9_-]*)*$/

/**
 * Reports a pool's metrics through an OpenTelemetry `Meter` (from
 * `@opentelemetry/api`'s `metrics.getMeter(...)`), for applications that
 * export with the OpenTelemetry SDK. It creates observable instruments and one
 * batch callback, so each collection reads one `snapshot()` for all of them.
 * `@opentelemetry/api` is an optional peer dependency and is not imported here.
 *
 * Instruments (with the default prefix; every observation has a `pool`
 * attribute):
 *
 * - counters (`{task}`) `poolkit.task.submitted`, `poolkit.task.started`,
 *   `poolkit.tasks` (`outcome`: `completed`, `failed`, `rejected`,
 *   `cancelled`, `timed_out`, `retried`, `dead_lettered`; outcomes may
 *   overlap, do not sum them) and `poolkit.task.rejected` (`reason`:
 *   `queue_full`, `dropped`, `closed`, `circuit_open`, `no_workers`, `unplaceable`);
 * - up-down counters `poolkit.workers` (`{worker}`, `state`: `busy`, `idle`,
 *   `starting`), `poolkit.queue.depth` and `poolkit.task.running` (`{task}`);
 *   counters (`{worker}`) `poolkit.worker.starts`, `poolkit.worker.crashes`,
 *   `poolkit.worker.restarts`;
 * - gauges (unit `1`) `poolkit.utilization` and
 *   `poolkit.worker.event_loop.utilization` (`worker`: its id);
 * - durations `poolkit.task.wait.duration` and `poolkit.task.run.duration`.
 *   OpenTelemetry has no observable histogram, so each is a gauge (unit `s`)
 *   of the recent window's percentiles, with `quantile` 0.5, 0.9, 0.99 and 1
 *   (the maximum), plus counters `<name>.count` (`{task}`) and `<name>.sum`
 *   (`s`) since the metrics were created, from which a backend can derive the
 *   mean over any interval;
 * - gauges `poolkit.throughput` (`{task}/s`) and `poolkit.error_ratio` (`1`),
 *   with `window`: `1s`, `10s`, `60s`;
 * - counters (`{task}`) `poolkit.key.tasks` (`key`: the series' key, the
 *   task's `key` or what the metrics' `key` option gives; `outcome`:
 *   `completed`, `failed`, `rejected`, `cancelled`, `timed_out`) and
 *   `poolkit.key.untracked_tasks`.
 *
 * Attribute values are the Prometheus export's label values. Names follow
 * OpenTelemetry's conventions (dots, units apart from the name, American
 * `utilization`); an OpenTelemetry Prometheus exporter renames them its own way.
 * @param source - What to read, usually the object `createMetrics()` returned.
 * @param meter - The `Meter` to create the instruments on.
 * @param options - See {@link OpenTelemetryOptions}.
 * @returns A function that removes the batch callback, after which no more
 * values are observed (OpenTelemetry cannot delete the instruments themselves).
 * @throws TypeError for an invalid `options.prefix`.
 * @example
 * ```ts
 * import { metrics as otel } from '@opentelemetry/api'
 * import { bridgeOpenTelemetry, createMetrics } from '@poolkit/metrics'
 *
 * const metrics = createMetrics()
 * const stop = bridgeOpenTelemetry(metrics, otel.getMeter('my-service'))
 * ```
 * @public
 */
export function bridgeOpenTelemetry(source: { snapshot(): MetricsSnapshot }, meter: MeterLike, options?: OpenTelemetryOptions): () => void {
  const prefix = openTelemetryPrefix(options)
  const definitions = instrumentDefinitions(prefix)
  const instruments = definitions.map((d) => create(meter, d))
  const callback = (result: BatchObservableResultLike): void => {
    for (const pool of source.snapshot().pools) {
      definitions.forEach((definition, i) => {
        const instrument = instruments[i]
        if (instrument === undefined) return
        definition.observe(pool, (value, attributes) => result.observe(instrument, value, { pool: pool.pool, ...attributes }))
      })
    }
  }
  meter.addBatchObservableCallback(callback, instruments)
  let removed = false
  return () => {
    if (removed) return
    removed = true
    meter.removeBatchObservableCallback(callback, instruments)
  }
}

function create(meter: MeterLike, { name, kind, unit, description }: Definition): ObservableLike {
  const options = { description, unit }
  if (kind === 'counter') return meter.createObservableCounter(name, options)
  if (kind === 'gauge') return meter.createObservableGauge(name, options)
  return meter.createObservableUpDownCounter(name, options)
}

function instrumentDefinitions(p: string): Definition[] {
  const def = (name: string, kind: Kind, unit: string, description: string, observe: Definition['observe']): Definition => ({
    name: `${p}.${name}`,
    kind,
    unit,
    description,
    observe,
  })
  const value = (read: (pool: PoolMetrics) => number) => (pool: PoolMetrics, emit: Emit) => emit(read(pool), {})
  return [
    def(
      'task.submitted',
      'counter',
      '{task}',
      'Tasks submitted to the pool.',
      value((s) => s.tasks.submitted),
    ),
    def(
      'task.started',
      'counter',
      '{task}',
      'Tasks started on a worker.',
      value((s) => s.tasks.started),
    ),
    def('tasks', 'counter', '{task}', 'Tasks by outcome.', (s, emit) => TASK_OUTCOMES.forEach(([outcome, field]) => emit(s.tasks[field], { outcome }))),
    def('task.rejected', 'counter', '{task}', 'Tasks rejected, by reason.', (s, emit) => REJECT_REASONS.forEach(([reason, field]) => emit(s.tasks.rejectedBy[field], { reason }))),
    def('workers', 'upDownCounter', '{worker}', 'Workers now, by state.', (s, emit) => WORKER_STATES.forEach((state) => emit(s.workers[state], { state }))),
    def(
      'worker.starts',
      'counter',
      '{worker}',
      'Workers that became ready (first starts and replacements).',
      value((s) => s.workers.started),
    ),
    def(
      'worker.crashes',
      'counter',
      '{worker}',
      'Workers that left by crashing or going unresponsive.',
      value((s) => s.workers.crashed),
    ),
    def(
      'worker.restarts',
      'counter',
      '{worker}',
      'Workers started to replace one that left.',
      value((s) => s.workers.restarts),
    ),
    def('worker.event_loop.utilization', 'gauge', '1', "Each worker's event-loop utilization (0 to 1).", (s, emit) =>
      s.workers.eventLoopUtilization.forEach(({ worker, value: v }) => emit(v, { worker })),
    ),
    def(
      'queue.depth',
      'upDownCounter',
      '{task}',
      'Tasks waiting in the queue now.',
      value((s) => s.queueDepth),
    ),
    def(
      'task.running',
      'upDownCounter',
      '{task}',
      'Tasks running now.',
      value((s) => s.running),
    ),
    def(
      'utilization',
      'gauge',
      '1',
      'Busy time over capacity (0 to 1) over the last 10 seconds.',
      value((s) => s.utilization),
    ),
    ...durationDefinitions(def, 'task.wait.duration', 'Time tasks waited in the queue before starting', (s) => s.wait),
    ...durationDefinitions(def, 'task.run.duration', 'Time tasks ran, per attempt', (s) => s.run),
    def('throughput', 'gauge', '{task}/s', 'Finished tasks per second over a sliding window.', (s, emit) => WINDOWS.forEach((window) => emit(s.throughput[window], { window }))),
    def('error_ratio', 'gauge', '1', 'Share of finished tasks that failed or timed out (0 to 1) over a sliding window.', (s, emit) =>
      WINDOWS.forEach((window) => emit(s.errorRate[window], { window })),
    ),
    def('key.tasks', 'counter', '{task}', 'Tasks of each tracked key, by outcome.', (s, emit) =>
      s.keys.forEach((k) => KEY_OUTCOMES.forEach(([outcome, field]) => emit(k[field], { key: k.key, outcome }))),
    ),
    def(
      'key.untracked_tasks',
      'counter',
      '{task}',
      'Tasks whose key was not tracked because maxKeys keys already were.',
      value((s) => s.untrackedKeyTasks),
    ),
  ]
}

/** A duration's percentile gauge (recent window) and its count and sum counters (since creation), in seconds. */
function durationDefinitions(
  def: (name: string, kind: Kind, unit: string, description: string, observe: Definition['observe']) => Definition,
  name: string,
  description: string,
  latency: (pool: PoolMetrics) => LatencyMetrics,
): Definition[] {
  return [
    def(name, 'gauge', 's', `${description}: percentiles over the recent window (quantile 1 is the maximum).`, (s, emit) => {
      const recent = latency(s).recent
      for (const [quantile, field] of QUANTILES) emit(recent[field] / 1000, { quantile })
    }),
    def(`${name}.count`, 'counter', '{task}', `${description}: values recorded.`, (s, emit) => emit(latency(s).total.count, {})),
    def(`${name}.sum`, 'counter', 's', `${description}: their sum.`, (s, emit) => emit(latency(s).total.sum / 1000, {})),
  ]
}

function openTelemetryPrefix(options: OpenTelemetryOptions | undefined): string {
  if (options === undefined) return DEFAULT_PREFIX
  if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, got ${describe(options)}`)
  const prefix: unknown = options.prefix
  if (prefix === undefined) return DEFAULT_PREFIX
  if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) {
    throw new TypeError(`options.prefix must be an OpenTelemetry instrument name prefix (dot-separated parts, each a letter then letters, digits, "_" or "-"), got ${describe(prefix)}`)
  }
  return prefix
}
