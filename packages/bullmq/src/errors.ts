import { PoolError } from '@poolkit/core'

/**
 * Stable error codes of the errors this package raises. They never change
 * between versions: match on `error.code`, not on the message.
 * @public
 */
export const BullmqErrorCode = {
  /** Redis could not be reached (or refused the connection) within `connectTimeout`. */
  Connection: 'ERR_BULLMQ_CONNECTION',
  /** A job run through a remote pool failed on the consumer that ran it. */
  JobFailed: 'ERR_BULLMQ_JOB_FAILED',
} as const

/**
 * One of the {@link (BullmqErrorCode:variable)} values.
 * @public
 */
export type BullmqErrorCode = (typeof BullmqErrorCode)[keyof typeof BullmqErrorCode]

/**
 * Redis could not be reached within `connectTimeout` when a consumer, remote
 * pool or queue metrics started: the host is down, the port is wrong, or the
 * server refused the client (authentication, TLS). `cause` is the last error
 * the Redis client reported, when there was one.
 * @public
 */
export class BullmqConnectionError extends PoolError {
  /** `'BullmqConnectionError'` */
  override name = 'BullmqConnectionError'
  /** The queue that was being opened. */
  readonly queueName: string
  /** Where the client tried to connect, as `host:port`, a URL without its password, or `'the given client'`. */
  readonly target: string
  /** How long it tried (ms). */
  readonly timeoutMs: number

  constructor(info: { queueName: string; target: string; timeoutMs: number; cause?: unknown }) {
    const reason = info.cause instanceof Error ? ` (last error: ${info.cause.message})` : ''
    super(
      BullmqErrorCode.Connection,
      `Could not connect to Redis at ${info.target} for queue "${info.queueName}" within ${info.timeoutMs} ms${reason}`,
      info.cause === undefined ? undefined : { cause: info.cause },
    )
    this.queueName = info.queueName
    this.target = info.target
    this.timeoutMs = info.timeoutMs
  }
}

/**
 * A job added by a remote pool's `run()` failed where it ran. BullMQ keeps only
 * the message (`failedReason`) and the stack of a failure, so the original
 * class is not rebuilt: `remoteName` is the class name read from the recorded
 * stack, and `message` is the original message. A timeout comes back as core's
 * `TaskTimeoutError` instead, with this error as its `cause`.
 * @public
 */
export class RemoteJobError extends PoolError {
  /** `'RemoteJobError'` */
  override name = 'RemoteJobError'
  /** The BullMQ job id. */
  readonly jobId: string
  /** The class name of the error the job failed with (`'TypeError'`, `'TaskTimeoutError'`...), when its stack was recorded. */
  readonly remoteName: string | undefined
  /** The attempts BullMQ made. */
  readonly attemptsMade: number
  /** The stack recorded by the consumer for the last attempt, when there is one. */
  readonly remoteStack: string | undefined

  constructor(info: { jobId: string; failedReason: string; remoteName?: string | undefined; attemptsMade?: number | undefined; remoteStack?: string | undefined }) {
    super(BullmqErrorCode.JobFailed, info.failedReason)
    this.jobId = info.jobId
    this.remoteName = info.remoteName
    this.attemptsMade = info.attemptsMade ?? 0
    this.remoteStack = info.remoteStack
  }
}
