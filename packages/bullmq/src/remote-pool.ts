import type { Clock, CloseOptions, RunOptions } from '@poolkit/core'
import type { ConnectionOptions, JobsOptions, Queue, QueueEvents } from 'bullmq'
import { RemotePoolImpl } from './internal/remote-pool.js'

/**
 * Options of {@link createRemotePool}.
 * @public
 */
export interface RemotePoolOptions {
  /** The BullMQ queue the consumers read. */
  queueName: string
  /** The Redis connection: ioredis options, or an ioredis instance. */
  connection: ConnectionOptions
  /** BullMQ's key prefix; the consumers must use the same. @defaultValue `'bull'` */
  prefix?: string | undefined
  /**
   * Options of every job added, under each run's own: `attempts` and `backoff`
   * (BullMQ's retries, see the consumer's `retries`), `removeOnComplete`,
   * `removeOnFail`... Priority, id, key and timeout come from the run options.
   * @defaultValue BullMQ's defaults (one attempt, finished jobs kept)
   */
  jobOptions?: JobsOptions | undefined
  /** How long `ready()` and the first runs wait for Redis before failing with `BullmqConnectionError` (ms). @defaultValue 10000 */
  connectTimeout?: number | undefined
  /** The clock of the connect timeout and `close()`. @defaultValue core's `systemClock` */
  clock?: Clock | undefined
}

/**
 * Options of one remote run: a local pool's run options and the BullMQ job's
 * own. `transfer` is ignored (the input is stored in Redis as JSON).
 * @public
 */
export interface RemoteRunOptions extends RunOptions {
  /**
   * Cancels the run: a job not yet started is removed from the queue; either
   * way the run rejects with the signal's reason at once. A job already
   * running on a consumer runs to its end (BullMQ cannot cancel a job on
   * another machine); give it a `timeout` to bound it.
   */
  signal?: AbortSignal | undefined
  /** A job id of your own: BullMQ adds no second job while one with this id exists. @defaultValue an id from BullMQ's counter */
  jobId?: string | undefined
  /** BullMQ options of this job, over the pool's `jobOptions`. @defaultValue none */
  jobOptions?: JobsOptions | undefined
}

/**
 * A pool whose tasks run on the machines consuming a BullMQ queue: `run()`
 * adds a job and resolves with its return value. Made by {@link createRemotePool}.
 * @public
 */
export interface RemotePool<I = unknown, O = unknown> extends AsyncDisposable {
  /** The queue's name. */
  readonly name: string
  /** The BullMQ queue jobs are added to (counts, pausing, cleaning). */
  readonly queue: Queue
  /** The queue events the runs wait on. */
  readonly queueEvents: QueueEvents
  /** Runs added and not yet settled. */
  readonly pending: number
  /**
   * Adds a job (`input` as its data, `name` as its name, `'default'` without
   * one) and resolves with its return value once a consumer completed it.
   * Rejects with the signal's reason when cancelled, `TaskTimeoutError` when it
   * ran past `timeout` on the consumer, `RemoteJobError` when it failed there
   * (after BullMQ's attempts), `BullmqConnectionError` when Redis cannot be
   * reached, `PoolClosedError` once the pool is closed.
   */
  run(input: I, options?: RemoteRunOptions): Promise<O>
  /** Resolves once the queue and its events are connected; rejects with `BullmqConnectionError`. */
  ready(): Promise<void>
  /**
   * Refuses new runs, waits for the pending ones (up to `timeout`), then closes
   * the connections; runs still pending then reject with `PoolClosedError`
   * (their jobs stay in the queue and still run).
   */
  close(options?: CloseOptions): Promise<void>
}

/**
 * Creates a remote pool: the producer side of a queue whose consumers run
 * {@link consume}. It has a local pool's `run(input, options)`, with the
 * options `name`, `priority`, `timeout`, `key` and `signal`, so code moves
 * between a local pool and many machines by changing the line that makes the pool.
 * @example
 * ```ts
 * import { createRemotePool } from '@poolkit/bullmq'
 *
 * // was: const pool = createPool({ executor: threads(new URL('./resize.worker.js', import.meta.url)) })
 * const pool = createRemotePool<ResizeJob, string>({ queueName: 'images', connection: { host: 'redis' }, jobOptions: { attempts: 3, removeOnComplete: true } })
 * const url = await pool.run({ src, width: 640 }, { name: 'resize', priority: Priority.High, timeout: 30_000 })
 * await pool.close()
 * ```
 * @public
 */
export function createRemotePool<I = unknown, O = unknown>(options: RemotePoolOptions): RemotePool<I, O> {
  return new RemotePoolImpl<I, O>(options)
}
