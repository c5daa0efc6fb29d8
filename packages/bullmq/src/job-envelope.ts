/**
 * What the pool's task receives for each job with the consumer option
 * `input: 'envelope'`: the job's data and what a handler needs to be
 * idempotent. Plain data, so it crosses to worker threads and processes.
 * @example
 * ```ts
 * // worker file
 * expose({
 *   charge: async ({ data, jobId }: JobEnvelope<Charge>) => payments.charge(data, { idempotencyKey: jobId }),
 * })
 * ```
 * @public
 */
export interface JobEnvelope<D = unknown> {
  /** The job's data (`job.data`). */
  readonly data: D
  /**
   * The BullMQ job id: unique in its queue and the same for every attempt and
   * for a re-run after a consumer died mid-job, so it is the idempotency key.
   */
  readonly jobId: string
  /** The job's name (`job.name`). */
  readonly name: string
  /** The queue the job came from. */
  readonly queueName: string
  /** 1 for the first attempt, 2 for BullMQ's first retry, and so on. */
  readonly attempt: number
  /**
   * How many times the job was taken back from a consumer that stopped
   * renewing its lock (it died, or blocked its event loop) and run again: above
   * 0, an earlier run may have done part of the work.
   */
  readonly stalledCount: number
}
