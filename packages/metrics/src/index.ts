export { createMetrics } from './metrics.js'
export type { Metrics, MetricsOptions } from './metrics.js'
export { createHistogram } from './histogram.js'
export type { Histogram, HistogramOptions } from './histogram.js'
export type {
  KeyMetrics,
  LatencyBucket,
  LatencyMetrics,
  LatencySummary,
  MetricsSnapshot,
  PoolMetrics,
  RejectedCounts,
  TaskCounts,
  WindowRates,
  WorkerMetrics,
} from './snapshot.js'
export { formatPrometheus } from './prometheus.js'
export type { PrometheusOptions } from './prometheus.js'
export { registerPromClient } from './prom-client.js'
export type { PromRegistryLike } from './prom-client.js'
export { bridgeOpenTelemetry } from './opentelemetry.js'
export type { BatchObservableResultLike, InstrumentOptionsLike, MeterLike, ObservableLike, OpenTelemetryAttributes, OpenTelemetryOptions } from './opentelemetry.js'
