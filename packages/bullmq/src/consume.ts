import type { Clock, Pool } from '@poolkit/core'
import type { ConnectionOptions, Job, Worker, WorkerOptions } from 'bullmq'
import { ConsumerImpl } from './internal/consumer.js'

/**
 * Which side retries a failed job:
 * - `'bullmq'`: BullMQ, by each job's `attempts` and `backoff`. Build the pool
 *   without a `retry` policy; if the pool retries a task anyway, its failure is
 *   final for BullMQ (an `UnrecoverableError`) so no failure is retried twice
 *   over, and a `POOLKIT_BULLMQ_DOUBLE_RETRY` process warning says so once.
 * - `'pool'`: the pool's `retry` policy; every failure that reaches BullMQ is
 *   final, whatever the job's `attempts`.
 * @public
 */
export type RetryOwner = 'bullmq' | 'pool'

/**
 * Options of {@link consume}: the pool, and BullMQ's own `Worker` options but
 * `concurrency` (it follows the pool), `autorun` and the sandbox ones.
 * @public
 */
export interface ConsumeOptions<I = unknown, O = unknown> extends Omit<WorkerOptions, 'connection' | 'concurrency' | 'autorun' | 'useWorkerThreads' | 'workerForkOptions' | 'workerThreadsOptions'> {
  /** The Redis connection: ioredis options, or an ioredis instance with `maxRetriesPerRequest: null`. */
  connection: ConnectionOptions
  /** The pool that runs the jobs. The consumer does not own it: close the consumer, then the pool. */
  pool: Pool<I, O>
  /**
   * What the pool's task gets for each job: `'data'` (`job.data`),
   * `'envelope'` (a {@link JobEnvelope} with the data, the job id as the
   * idempotency key, the attempt and the stall count), or a function of the job
   * (its result must be structured-cloneable for worker threads).
   * @defaultValue `'data'`
   */
  input?: 'data' | 'envelope' | ((job: Job) => I) | undefined
  /**
   * The task function name for a job, to pick a function of the worker file.
   * @defaultValue the job's name, except `'default'` (what a remote pool's
   * `run()` without `name` adds), which runs the worker's default function
   */
  taskName?: ((job: Job) => string | undefined) | undefined
  /** The task key for a job (fair queues, breakers, per-key metrics). @defaultValue the job's `opts.poolkit.key` (see {@link toJobOptions}) */
  key?: ((job: Job) => string | undefined) | undefined
  /** Which side retries failures. @defaultValue `'bullmq'` */
  retries?: RetryOwner | undefined
  /**
   * Jobs fetched beyond what the pool runs at once. One keeps a worker that
   * finishes from waiting a Redis round trip, and lets the pool's scaler see a
   * queued task when every worker is busy (a pool never asked for more than it
   * can run never grows). The rest wait in Redis.
   * @defaultValue 1
   */
  prefetch?: number | undefined
  /** The most jobs this consumer holds at once, whatever the pool's capacity. @defaultValue `Infinity` */
  maxConcurrency?: number | undefined
  /** How often the consumer reads the pool's capacity to set BullMQ's concurrency (ms). @defaultValue 250 */
  capacityIntervalMs?: number | undefined
  /** How long {@link consume} waits for Redis before it fails with `BullmqConnectionError` (ms). @defaultValue 10000 */
  connectTimeout?: number | undefined
  /** The default `timeout` of `close()` (ms): how long running jobs get to finish before they are handed back to the queue. @defaultValue `Infinity` */
  closeTimeout?: number | undefined
  /** The clock of the capacity timer and the timeouts. @defaultValue core's `systemClock` */
  clock?: Clock | undefined
}

/**
 * Options of `Consumer.close()`.
 * @public
 */
export interface ConsumerCloseOptions {
  /**
   * How long running jobs get to finish (ms). Past it, their tasks are aborted
   * and the jobs go back to the queue's wait list, with no attempt spent, for
   * another consumer to run (at least once: a job may have done part of its work).
   * @defaultValue the consumer's `closeTimeout`
   */
  timeout?: number | undefined
}

/**
 * What `Consumer.close()` resolves to.
 * @public
 */
export interface ConsumerCloseReport {
  /** The ids of the jobs aborted at the close timeout and put back in the wait list. */
  readonly handedBack: readonly string[]
  /** Whether the timeout passed with jobs still running. */
  readonly timedOut: boolean
  /** How long the close took (ms, on the consumer's clock). */
  readonly durationMs: number
}

/**
 * `'running'`, `'closing'` (no new jobs; running ones finish) or `'closed'`.
 * @public
 */
export type ConsumerState = 'running' | 'closing' | 'closed'

/**
 * A BullMQ worker that runs its jobs on a poolkit pool. Made by {@link consume}.
 * @public
 */
export interface Consumer extends AsyncDisposable {
  /** The queue it consumes. */
  readonly queueName: string
  /** The BullMQ worker underneath, for its events (`completed`, `failed`, `stalled`, `error`...). */
  readonly worker: Worker
  /** BullMQ's concurrency now: the jobs it may hold at once, following the pool's capacity. */
  readonly concurrency: number
  /** `'running'`, `'closing'` or `'closed'`. */
  readonly state: ConsumerState
  /**
   * Stops fetching jobs, lets the running ones finish on the pool, then closes
   * the BullMQ worker and its connections. Past `timeout`, running jobs are
   * handed back to the queue. The pool stays open.
   */
  close(options?: ConsumerCloseOptions): Promise<ConsumerCloseReport>
}

/**
 * Starts consuming a BullMQ queue on a poolkit pool: a BullMQ `Worker` whose
 * processor hands each job to the pool (`job.data` as input, `job.name` as the
 * task function name, the job's priority, key and timeout, and an AbortSignal
 * that aborts when the job is cancelled or handed back at close). BullMQ fetches
 * only as many jobs as the pool can run plus `prefetch`, and the concurrency
 * follows the pool as its capacity and scaler change, so jobs wait in Redis.
 *
 * Resolves once Redis is connected and the pool's workers are ready; rejects
 * with `BullmqConnectionError` when Redis cannot be reached within
 * `connectTimeout`, or with the pool's `WorkerStartError`.
 *
 * Delivery is at least once: if this process dies mid-job, BullMQ's stalled-job
 * check gives the job to another consumer once its lock expires. Use the job id
 * (`input: 'envelope'`) as an idempotency key.
 * @param queueName - The BullMQ queue.
 * @param options - The pool, the connection, and BullMQ worker options.
 * @example
 * ```ts
 * import { createPool } from '@poolkit/core'
 * import { threads } from '@poolkit/node-adapter'
 * import { consume } from '@poolkit/bullmq'
 *
 * const pool = createPool({ executor: threads(new URL('./resize.worker.js', import.meta.url)) })
 * const consumer = await consume('images', { connection: { host: 'redis' }, pool })
 * process.once('SIGTERM', async () => {
 *   await consumer.close({ timeout: 25_000 })
 *   await pool.close()
 * })
 * ```
 * @public
 */
export async function consume<I, O>(queueName: string, options: ConsumeOptions<I, O>): Promise<Consumer> {
  const consumer = new ConsumerImpl<I, O>(queueName, options)
  await consumer.start()
  return consumer
}
