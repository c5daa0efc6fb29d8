import { collectedFamilies, prometheusFamilies, prometheusPrefix } from './prometheus.js'
import type { PrometheusFamily, PrometheusOptions } from './prometheus.js'
import type { MetricsSnapshot } from './snapshot.js'

/** One sample as prom-client's `Registry` reads it from a metric's `get()`. */
interface PromMetricValue {
  readonly value: number
  readonly labels: Readonly<Record<string, string>>
  /** The full sample name where it differs from the family's (`_bucket`, `_sum`, `_count`). */
  readonly metricName?: string
}

/** What `get()` resolves to: the shape of prom-client's `MetricObjectWithValues`. */
interface PromMetricObject {
  readonly name: string
  readonly help: string
  readonly type: 'counter' | 'gauge' | 'histogram'
  /** How prom-client's `AggregatorRegistry` merges the series of cluster workers. */
  readonly aggregator: 'sum' | 'average'
  readonly values: readonly PromMetricValue[]
}

/**
 * What prom-client's `Registry` uses of a metric: `name`, `get()` for
 * `metrics()` and `getMetricsAsJSON()`, `reset()` for `resetMetrics()`, and
 * `aggregator` for its cluster `AggregatorRegistry`.
 */
interface PromMetricLike {
  /** Writable: an OpenMetrics registry strips a counter's `_total` when it writes it. */
  name: string
  readonly help: string
  readonly type: 'counter' | 'gauge' | 'histogram'
  readonly aggregator: 'sum' | 'average'
  get(): Promise<PromMetricObject>
  reset(): void
}

/**
 * The part of a prom-client (15) `Registry` that {@link registerPromClient}
 * uses, typed by shape so that this package never imports prom-client.
 * @public
 */
export interface PromRegistryLike {
  // `never`: prom-client types the parameter as its own metric classes, which these objects are not.
  registerMetric(metric: never): void
  removeSingleMetric(name: string): void
  getSingleMetric(name: string): unknown
}

/**
 * Registers a pool's metrics into a prom-client `Registry`, next to the
 * application's own metrics, so one `/metrics` endpoint serves both. It
 * registers one collector per family of {@link formatPrometheus} (same names,
 * types, labels and values); each reads the source when prom-client collects,
 * and the collectors of one `registry.metrics()` or `getMetricsAsJSON()` call
 * share one `snapshot()`. The families of the metrics' collectors
 * (`collectors`, `addCollector`) are registered as one `snapshot()` read at
 * this call reports them; a collector added later is not (register again, or
 * serve `toPrometheus()`).
 *
 * prom-client is not imported: the collectors implement its metric interface
 * by shape, so this package costs nothing to users who do not use prom-client
 * (an optional peer dependency, version 15). `registry.resetMetrics()` leaves
 * these series alone; reset the metrics object itself.
 * @param source - What to read, usually the object `createMetrics()` returned.
 * @param registry - A prom-client `Registry`, such as `register` (the global one).
 * @param options - See {@link PrometheusOptions}; use another `prefix` to
 * register two sources into one registry.
 * @returns A function that removes the collectors from the registry (only
 * those still registered under their names; calling it again does nothing).
 * @throws prom-client's error when a name is already registered (nothing is
 * left registered then), and `TypeError` for an invalid `options.prefix`.
 * @example
 * ```ts
 * import { register } from 'prom-client'
 * import { createMetrics, registerPromClient } from '@poolkit/metrics'
 *
 * const metrics = createMetrics()
 * const unregister = registerPromClient(metrics, register)
 * // GET /metrics: res.end(await register.metrics())
 * ```
 * @public
 */
export function registerPromClient(source: { snapshot(): MetricsSnapshot }, registry: PromRegistryLike, options?: PrometheusOptions): () => void {
  const prefix = prometheusPrefix(options)
  let cached: { fixed: PrometheusFamily[]; collected: PrometheusFamily[] } | undefined
  // prom-client calls every metric's get() in one synchronous pass per scrape, so
  // families kept until the next microtask give all of them one snapshot, and the
  // next scrape a fresh one.
  const families = (): { fixed: PrometheusFamily[]; collected: PrometheusFamily[] } => {
    if (cached === undefined) {
      const snapshot = source.snapshot()
      cached = { fixed: prometheusFamilies(snapshot, { prefix }), collected: collectedFamilies(snapshot, { prefix }) }
      queueMicrotask(() => {
        cached = undefined
      })
    }
    return cached
  }

  // The pools' families are always the same; the collectors' are those they report now.
  const metrics = [
    ...prometheusFamilies({ time: 0, pools: [] }, { prefix }).map((family, index) => new SnapshotMetric(family, () => families().fixed[index])),
    ...collectedNow(source, prefix).map((family) => new SnapshotMetric(family, () => families().collected.find((f) => f.name === family.name))),
  ]
  const registered: SnapshotMetric[] = []
  const unregister = (): void => {
    for (const metric of registered.splice(0)) {
      if (registry.getSingleMetric(metric.registeredName) === metric) registry.removeSingleMetric(metric.registeredName)
    }
  }
  try {
    for (const metric of metrics) {
      registry.registerMetric(metric as never)
      registered.push(metric)
    }
  } catch (error) {
    unregister()
    throw error
  }
  return unregister
}

/**
 * The collectors' families as the source reports them now, to register them:
 * a source whose snapshot fails now gets its pools' families only (its scrapes
 * report the error).
 */
function collectedNow(source: { snapshot(): MetricsSnapshot }, prefix: string): PrometheusFamily[] {
  try {
    return collectedFamilies(source.snapshot(), { prefix })
  } catch {
    return []
  }
}

/** One family as a prom-client metric. */
class SnapshotMetric implements PromMetricLike {
  name: string
  readonly help: string
  readonly type: PrometheusFamily['type']
  readonly aggregator: PromMetricLike['aggregator']
  /** The name it was registered under (the registry's key), whatever `name` becomes. */
  readonly registeredName: string

  constructor(
    family: PrometheusFamily,
    private readonly current: () => PrometheusFamily | undefined,
  ) {
    this.name = this.registeredName = family.name
    this.help = family.help
    this.type = family.type
    // Across cluster workers, counts add up; ratios are averaged.
    this.aggregator = family.name.endsWith('_ratio') ? 'average' : 'sum'
  }

  async get(): Promise<PromMetricObject> {
    const family = this.current()
    // Read `this.name`, not the family's: an OpenMetrics registry renames counters.
    const name = this.name
    const values = (family?.samples ?? []).map((s): PromMetricValue =>
      s.suffix === '' ? { value: s.value, labels: s.labels } : { value: s.value, labels: s.labels, metricName: `${name}${s.suffix}` },
    )
    return { name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  /** The series belong to the source; reset the metrics object instead. */
  reset(): void {}
}
