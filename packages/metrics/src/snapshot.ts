import type { CollectedMetric, PoolState } from '@poolkit/core'

/**
 * A latency distribution as the snapshot reports it, in milliseconds. The
 * percentiles come from a log-linear (HDR-style) histogram and are within its
 * stated relative error (see `HistogramOptions`); `min`, `max`, `count`
 * and `sum` are exact.
 * @public
 */
export interface LatencySummary {
  /** Values recorded. */
  readonly count: number
  /** Their sum (ms). */
  readonly sum: number
  /** The smallest (ms); 0 when none was recorded. */
  readonly min: number
  /** The largest (ms); 0 when none was recorded. */
  readonly max: number
  /** `sum / count` (ms); 0 when none was recorded. */
  readonly mean: number
  readonly p50: number
  readonly p90: number
  readonly p95: number
  readonly p99: number
  readonly p999: number
}

/**
 * Cumulative counts of values at or below each bound, as Prometheus histogram
 * buckets want them: `le` in milliseconds, ascending, the last one `Infinity`
 * (its count is the total).
 * @public
 */
export interface LatencyBucket {
  readonly le: number
  readonly count: number
}

/**
 * One latency series: a summary over the recent window (for dashboards and
 * JSON readers) and cumulative totals since the metrics were created or last
 * reset (for Prometheus, whose `rate()` needs counts that only go up).
 * @public
 */
export interface LatencyMetrics {
  /** Over the last `windowMs` (between one and two windows of data). */
  readonly recent: LatencySummary
  /** Since creation or the last `reset()`. */
  readonly total: LatencySummary
  /** Cumulative buckets of `total`. */
  readonly buckets: readonly LatencyBucket[]
}

/**
 * A rate over sliding windows of 1, 10 and 60 seconds, per second.
 * @public
 */
export interface WindowRates {
  readonly '1s': number
  readonly '10s': number
  readonly '60s': number
}

/**
 * Why tasks were rejected, counted.
 * @public
 */
export interface RejectedCounts {
  readonly queueFull: number
  readonly dropped: number
  readonly closed: number
  readonly circuitOpen: number
  readonly noWorkers: number
  /** No worker could ever run the task (`'unplaceable'`: a selector refused it, such as `capabilities()` with no capable worker). */
  readonly unplaceable: number
}

/**
 * Task counters, since creation or the last `reset()`.
 * @public
 */
export interface TaskCounts {
  readonly submitted: number
  readonly started: number
  readonly completed: number
  readonly failed: number
  /** All rejections; `rejectedBy` splits them by reason. */
  readonly rejected: number
  readonly rejectedBy: RejectedCounts
  readonly cancelled: number
  readonly timedOut: number
  readonly retried: number
  readonly deadLettered: number
}

/**
 * Worker gauges (now) and counters (since creation or the last `reset()`).
 * @public
 */
export interface WorkerMetrics {
  readonly total: number
  readonly busy: number
  readonly idle: number
  readonly starting: number
  /** Workers that became ready (first starts and replacements). */
  readonly started: number
  /** Workers that left by crashing or going unresponsive. */
  readonly crashed: number
  /** Workers started to replace one that left (crashed, recycled, stopped). */
  readonly restarts: number
  /** Each ready worker's event-loop utilization (0 to 1), where the executor reports it. */
  readonly eventLoopUtilization: readonly { readonly worker: number; readonly value: number }[]
}

/**
 * The series of one key (tenant, provider): the task's `key`, or what the
 * metrics' `key` option (`MetricsOptions.key`) gives for the task.
 * @public
 */
export interface KeyMetrics {
  readonly key: string
  readonly completed: number
  readonly failed: number
  readonly rejected: number
  readonly cancelled: number
  readonly timedOut: number
  /** Each task's time queued, summed over its attempts (ms), recorded when it ends. */
  readonly wait: LatencySummary
  /** Each task's time running, summed over its attempts (ms), recorded when it ends. */
  readonly run: LatencySummary
}

/**
 * Everything measured of one pool.
 * @public
 */
export interface PoolMetrics {
  /** The pool's name (its label in Prometheus). */
  readonly pool: string
  /** The pool's state when the snapshot was taken. */
  readonly state: PoolState
  readonly tasks: TaskCounts
  readonly workers: WorkerMetrics
  /** Tasks waiting in the queue now. */
  readonly queueDepth: number
  /** Tasks running now. */
  readonly running: number
  /**
   * Busy time over capacity (0 to 1) over the last 10 seconds: the time tasks
   * ran, summed, over the pool's concurrency times the elapsed time.
   */
  readonly utilization: number
  /** Time tasks waited in the queue before starting (ms). */
  readonly wait: LatencyMetrics
  /** Time tasks ran, per attempt (ms). */
  readonly run: LatencyMetrics
  /** Tasks that ended after admission (completed, failed, timed out or cancelled; not rejections), per second. */
  readonly throughput: WindowRates
  /** Share of finished tasks that failed or timed out (0 to 1). */
  readonly errorRate: WindowRates
  /** Per-key series (by the metrics' `key` option, default the task's `key`), at most `maxKeys` keys; most recently active first. */
  readonly keys: readonly KeyMetrics[]
  /** Tasks whose key was not tracked because `maxKeys` keys already were. */
  readonly untrackedKeyTasks: number
}

/**
 * What `metrics.snapshot()` returns: plain JSON with stable field names.
 * Durations are in milliseconds (Prometheus export converts to seconds).
 * @public
 */
export interface MetricsSnapshot {
  /** When it was taken (ms since the epoch). */
  readonly time: number
  /** One entry per pool, in the order they were attached. */
  readonly pools: readonly PoolMetrics[]
  /**
   * The families of the collectors added to the metrics (`collectors`,
   * `addCollector`), merged by name; absent when there are none.
   */
  readonly collected?: readonly CollectedMetric[]
}
