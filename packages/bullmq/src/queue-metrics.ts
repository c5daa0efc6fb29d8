import type { Clock, MetricsCollector } from '@poolkit/core'
import type { ConnectionOptions } from 'bullmq'
import { QueueMetricsImpl } from './internal/queue-metrics.js'

/**
 * Options of {@link createQueueMetrics}.
 * @public
 */
export interface QueueMetricsOptions {
  /** The Redis connection: ioredis options, or an ioredis instance. */
  connection: ConnectionOptions
  /** BullMQ's key prefix. @defaultValue `'bull'` */
  prefix?: string | undefined
  /** How often the job counts are read from Redis (ms); `collect()` returns the last read. @defaultValue 5000 */
  intervalMs?: number | undefined
  /** How long `ready()` waits for Redis before failing with `BullmqConnectionError` (ms). @defaultValue 10000 */
  connectTimeout?: number | undefined
  /** The clock of the refresh timer. @defaultValue core's `systemClock` */
  clock?: Clock | undefined
}

/**
 * The job states {@link QueueMetrics} reports, in the `state` label of `bullmq_jobs`.
 * @public
 */
export type QueueMetricsState = 'waiting' | 'prioritized' | 'delayed' | 'active' | 'completed' | 'failed'

/**
 * A BullMQ queue's depth and stalled jobs as core's `MetricsCollector`, to add
 * to `@poolkit/metrics` (`createMetrics({ collectors })` or
 * `metrics.addCollector()`) next to the pools' own metrics. It reads the job
 * counts from Redis every `intervalMs` (`collect()` is synchronous and returns
 * the last read) and counts the queue's `stalled` events as they come. Families
 * (written by `@poolkit/metrics` as `<prefix>_<name>`), labelled `queue`:
 * - `bullmq_jobs` (gauge, also labelled `state`): jobs waiting, prioritized,
 *   delayed, active, completed and failed;
 * - `bullmq_stalled_jobs_total` (counter): jobs whose consumer stopped renewing
 *   their lock (it died or blocked its event loop), moved back to wait or to
 *   failed by BullMQ's stalled-job check, seen since this collector started;
 * - `bullmq_metrics_refresh_failures_total` (counter): reads of the counts that
 *   failed (the gauges then keep their last values).
 * All three are about the whole queue, whichever machine reads them: aggregate
 * over instances with `max`, not `sum`.
 * @public
 */
export interface QueueMetrics extends MetricsCollector, AsyncDisposable {
  /** The queue measured. */
  readonly queueName: string
  /** Resolves after the first read of the counts; rejects with `BullmqConnectionError`. */
  ready(): Promise<void>
  /** Reads the counts from Redis now. */
  refresh(): Promise<void>
  /** Stops the timer and closes the connections. */
  close(): Promise<void>
}

/**
 * Creates the metrics of a BullMQ queue (see {@link QueueMetrics}).
 * @example
 * ```ts
 * const metrics = createMetrics()
 * const pool = createPool({ executor, observers: [metrics], name: 'images' })
 * const consumer = await consume('images', { connection, pool })
 * metrics.addCollector(createQueueMetrics('images', { connection }))
 * metrics.toPrometheus() // poolkit_tasks_total{...} ... poolkit_bullmq_jobs{queue="images",state="waiting"} 12
 * ```
 * @public
 */
export function createQueueMetrics(queueName: string, options: QueueMetricsOptions): QueueMetrics {
  return new QueueMetricsImpl(queueName, options)
}
