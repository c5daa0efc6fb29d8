import type { Job } from 'bullmq'
import type { JobEnvelope } from '../job-envelope.js'

/** The consumer's `input` option: what the pool's task gets for a job. */
export type JobInputOption<I> = 'data' | 'envelope' | ((job: Job) => I)

/** The function that makes a task's input from a job. */
export function jobInput<I>(option: JobInputOption<I>): (job: Job) => I {
  if (option === 'data') return (job) => job.data as I
  if (option === 'envelope') {
    return (job): I => {
      const envelope: JobEnvelope = {
        data: job.data,
        jobId: job.id!,
        name: job.name,
        queueName: job.queueName,
        attempt: job.attemptsMade + 1,
        stalledCount: job.stalledCounter ?? 0,
      }
      return envelope as I
    }
  }
  return option
}

/** The `opts.poolkit` of a job, as the consumer reads it (the pool checks the values when the task is submitted). */
export function readJobPoolOptions(opts: unknown): { key?: unknown; timeout?: unknown } {
  const pool = (opts as { poolkit?: unknown } | undefined)?.poolkit
  return typeof pool === 'object' && pool !== null ? (pool as { key?: unknown; timeout?: unknown }) : {}
}
