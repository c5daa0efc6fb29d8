import { Priority } from '@poolkit/core'
import type { JobsOptions } from 'bullmq'
import { jobPriority, optionalString, duration } from './internal/validate.js'

/**
 * The pool's run options a job carries to the consumer, stored in the job's
 * options as `opts.poolkit` (BullMQ keeps unknown job options as they are).
 * {@link toJobOptions} writes it; the consumer reads it.
 * @public
 */
export interface JobPoolOptions {
  /** The task key on the consumer's pool (fair queues, breakers, per-key metrics). @defaultValue none */
  readonly key?: string | undefined
  /** Milliseconds the task may run on the consumer's pool before it fails with `TaskTimeoutError`; 0 for none. @defaultValue the pool's `taskTimeout` */
  readonly timeout?: number | undefined
}

/**
 * The poolkit run options that {@link toJobOptions} turns into BullMQ job options.
 * @public
 */
export interface JobRunOptions {
  /** Higher runs first, as in a local pool: an integer from -1,048,575 to 1,048,575 (see {@link toJobPriority}). @defaultValue `Priority.Normal` */
  readonly priority?: number | undefined
  /** The task key on the consumer's pool. @defaultValue none */
  readonly key?: string | undefined
  /** Milliseconds the task may run on the consumer's pool; `0` or `Infinity` for none. @defaultValue the consumer pool's `taskTimeout` */
  readonly timeout?: number | undefined
  /** A job id of your own: BullMQ adds no second job while one with this id exists. @defaultValue an id from BullMQ's counter */
  readonly jobId?: string | undefined
}

// BullMQ priorities run from 1 (first) to 2^21 - 1 (last); 0 means "none", and
// jobs without one run before every prioritized job. Poolkit's run the other
// way (higher first, Normal = 1), so they are mirrored around 2^20.
const PRIORITY_CENTRE = 1_048_576
/** The largest poolkit priority, in absolute value, that maps onto BullMQ's range. */
const MAX_JOB_PRIORITY = PRIORITY_CENTRE - 1

/**
 * Maps a poolkit priority (higher first) to a BullMQ job priority (lower
 * first): `1_048_576 - priority`, so `Priority.Critical` (3) becomes 1,048,573
 * and runs before `Priority.Normal` (1), which becomes 1,048,575.
 * @param priority - An integer from -1,048,575 to 1,048,575.
 * @returns A BullMQ priority from 1 to 2,097,151.
 * @public
 */
export function toJobPriority(priority: number): number {
  return PRIORITY_CENTRE - jobPriority('priority', priority, MAX_JOB_PRIORITY)
}

/**
 * Maps a BullMQ job priority back to a poolkit priority: the inverse of
 * {@link toJobPriority}; a job without one (`0` or `undefined`) is `Priority.Normal`.
 * @public
 */
export function fromJobPriority(jobPriority: number | undefined): number {
  return jobPriority === undefined || jobPriority === 0 || !Number.isFinite(jobPriority) ? Priority.Normal : PRIORITY_CENTRE - jobPriority
}

/**
 * BullMQ job options for a job that a consumer runs the way
 * `pool.run(input, options)` would run it locally: the priority mapped onto BullMQ's (a job
 * always gets one, so jobs of every poolkit priority keep their order; BullMQ
 * runs jobs added with no priority at all before every prioritized one), and
 * the key and timeout kept as `opts.poolkit` for the consumer.
 * @example
 * ```ts
 * await queue.add('resize', { url }, { attempts: 3, ...toJobOptions({ priority: Priority.High, key: 'tenant-a', timeout: 10_000 }) })
 * ```
 * @public
 */
export function toJobOptions(options: JobRunOptions = {}): JobsOptions & { poolkit?: JobPoolOptions } {
  const key = optionalString('options.key', options.key)
  const timeout = options.timeout === undefined ? undefined : duration('options.timeout', options.timeout)
  const priority = options.priority === undefined ? Priority.Normal : jobPriority('options.priority', options.priority, MAX_JOB_PRIORITY)
  const jobId = optionalString('options.jobId', options.jobId)
  const result: JobsOptions & { poolkit?: JobPoolOptions } = { priority: PRIORITY_CENTRE - priority }
  if (jobId !== undefined) result.jobId = jobId
  if (key !== undefined || timeout !== undefined) {
    // JSON has no Infinity: "no timeout" travels as 0, which core reads the same way.
    result.poolkit = { ...(key === undefined ? {} : { key }), ...(timeout === undefined ? {} : { timeout: timeout === Infinity ? 0 : timeout }) }
  }
  return result
}
