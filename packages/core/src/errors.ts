/**
 * Stable error codes of every {@link PoolError}. They never change between versions:
 * match on `error.code`, not on the message.
 * @public
 */
export const ErrorCode = {
  /** The queue is at `maxQueue` (or a key at its per-key limit). */
  QueueFull: 'ERR_POOL_QUEUE_FULL',
  /** A queued task was dropped to make room for a newer one (`onQueueFull: 'drop-oldest'`). */
  TaskDropped: 'ERR_POOL_TASK_DROPPED',
  /** A task ran past its timeout. */
  TaskTimeout: 'ERR_POOL_TASK_TIMEOUT',
  /** A task's deadline passed before it could run (or run again). */
  DeadlineExceeded: 'ERR_POOL_DEADLINE_EXCEEDED',
  /** The pool is closed, or closed before the task could start. */
  PoolClosed: 'ERR_POOL_CLOSED',
  /** The circuit breaker for the task's key is open. */
  CircuitOpen: 'ERR_POOL_CIRCUIT_OPEN',
  /** The worker running the task exited unexpectedly. */
  WorkerExit: 'ERR_POOL_WORKER_EXIT',
  /** Workers keep failing to start, and the pool stopped trying. */
  WorkerStart: 'ERR_POOL_WORKER_START',
  /** No worker of the pool has the capabilities the task requires. */
  NoCapableWorker: 'ERR_POOL_NO_CAPABLE_WORKER',
} as const

/**
 * One of the `ErrorCode` values.
 * @public
 */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/**
 * The base class of every error the pool raises itself. `code` is stable; `cause`
 * carries the underlying error where there is one.
 * @public
 */
export class PoolError extends Error {
  override name = 'PoolError'
  /** A stable, machine-readable code such as `'ERR_POOL_QUEUE_FULL'`. */
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/**
 * The task was refused because the queue is full: `maxQueue` was reached (with
 * `onQueueFull: 'reject'`, or `'wait'` past `queueWaitTimeout`), or a queue's
 * per-key limit was.
 * @public
 */
export class QueueFullError extends PoolError {
  override name = 'QueueFullError'
  /** The limit that was reached. */
  readonly limit: number
  /** The key whose own limit was reached, when the limit is per key. */
  readonly key: string | undefined

  constructor(limit: number, options?: { key?: string; cause?: unknown; message?: string }) {
    const key = options?.key
    super(ErrorCode.QueueFull, options?.message ?? (key === undefined ? `The queue is full (${limit} tasks waiting)` : `The queue for key "${key}" is full (${limit} tasks waiting)`), options)
    this.limit = limit
    this.key = key
  }
}

/**
 * A queued task was dropped, unstarted, to make room for a newer one
 * (`onQueueFull: 'drop-oldest'`).
 * @public
 */
export class TaskDroppedError extends PoolError {
  override name = 'TaskDroppedError'
  constructor(options?: { cause?: unknown }) {
    super(ErrorCode.TaskDropped, 'The task was dropped from a full queue to make room for a newer one', options)
  }
}

/**
 * The task ran longer than its `timeout` (or the pool's `taskTimeout`). The
 * task's signal aborts with this error as its reason.
 * @public
 */
export class TaskTimeoutError extends PoolError {
  override name = 'TaskTimeoutError'
  /** The timeout that passed, in milliseconds. */
  readonly timeoutMs: number

  /**
   * @param timeoutMs - the timeout that passed
   * @param options - `cause`, and `message` to replace the default one
   */
  constructor(timeoutMs: number, options?: { cause?: unknown; message?: string }) {
    super(ErrorCode.TaskTimeout, options?.message ?? `The task timed out after ${timeoutMs} ms`, options)
    this.timeoutMs = timeoutMs
  }
}

/**
 * Where a task was when its deadline passed: `'submitted'` (it had passed
 * before the pool took the task), `'queued'` (waiting for a worker, or for room
 * in a full queue), `'held'` (a breaker held it: an open circuit, a full
 * bulkhead, a rate limit) or `'retrying'` (waiting for its next attempt).
 * @public
 */
export type DeadlineStage = 'submitted' | 'queued' | 'held' | 'retrying'

/**
 * The task's deadline (`RunOptions.deadline` or `deadlineMs`) passed before
 * it could start, or start again: it never ran past it.
 * @public
 */
export class DeadlineExceededError extends PoolError {
  override name = 'DeadlineExceededError'
  /** Where the task was when its deadline passed. */
  readonly stage: DeadlineStage
  /** How long after submission the deadline was, in milliseconds (0 or less: already past). */
  readonly deadlineMs: number
  /** The task's `RunOptions.minTimeLeftMs`: it failed once less than this was left (0: once the deadline passed). */
  readonly minTimeLeftMs: number

  /**
   * @param stage - where the task was
   * @param deadlineMs - how long after submission the deadline was
   * @param options - `cause` (the last attempt's error, for a task waiting to retry), `minTimeLeftMs` (the task's), and `message` to replace the default one
   */
  constructor(stage: DeadlineStage, deadlineMs: number, options?: { cause?: unknown; message?: string; minTimeLeftMs?: number }) {
    const minTimeLeftMs = options?.minTimeLeftMs ?? 0
    super(ErrorCode.DeadlineExceeded, options?.message ?? deadlineMessage(stage, deadlineMs, minTimeLeftMs), options)
    this.stage = stage
    this.deadlineMs = deadlineMs
    this.minTimeLeftMs = minTimeLeftMs
  }
}

const STAGE_WORDS: Record<DeadlineStage, string> = {
  submitted: 'before it was submitted',
  queued: 'while it was queued',
  held: 'while a breaker held it',
  retrying: 'while it waited to retry',
}

function deadlineMessage(stage: DeadlineStage, deadlineMs: number, minTimeLeftMs: number): string {
  const at = stage === 'submitted' ? '' : ` ${Math.round(deadlineMs)} ms after submission`
  if (minTimeLeftMs > 0) return `The task's deadline${at} was less than ${Math.round(minTimeLeftMs)} ms away (its minTimeLeftMs) ${STAGE_WORDS[stage]}`
  return `The task's deadline passed${at} ${STAGE_WORDS[stage]}`
}

/**
 * The pool is closed: it refuses new tasks, and rejects with this error the
 * tasks that had not started when `close()` timed out or `destroy()` was called.
 * @public
 */
export class PoolClosedError extends PoolError {
  override name = 'PoolClosedError'
  constructor(message = 'The pool is closed', options?: { cause?: unknown }) {
    super(ErrorCode.PoolClosed, message, options)
  }
}

/**
 * The circuit breaker for the task's key is open: the task was not run.
 * @public
 */
export class CircuitOpenError extends PoolError {
  override name = 'CircuitOpenError'
  /** The key whose circuit is open (`undefined` for tasks without a key). */
  readonly key: string | undefined
  /** When the breaker will let a probe through, on the pool's clock (ms). */
  readonly retryAt: number

  /**
   * @param key - the key whose circuit is open
   * @param retryAt - when the breaker will let a probe through, on the pool's clock (ms)
   * @param options - `cause`, and `message` to replace the default one (a breaker
   *   that knows the time now can say how long is left)
   */
  constructor(key: string | undefined, retryAt: number, options?: { cause?: unknown; message?: string }) {
    super(ErrorCode.CircuitOpen, options?.message ?? `The circuit for ${key === undefined ? 'tasks without a key' : `key "${key}"`} is open; it retries at ${retryAt}`, options)
    this.key = key
    this.retryAt = retryAt
  }
}

/**
 * The worker running the task exited before the task settled (a crash, a
 * `process.exit`, a native fault, or running out of memory). `cause` holds the
 * worker's last error where one was seen.
 * @public
 */
export class WorkerExitError extends PoolError {
  override name = 'WorkerExitError'
  /** The worker's id in the pool. */
  readonly workerId: number
  /** The exit code, when the worker exited with one. */
  readonly exitCode: number | undefined
  /** The signal that killed the worker (child processes), when one did. */
  readonly signal: string | undefined
  /**
   * False when the task had been handed to the worker but had certainly not
   * started (it was waiting behind another task). The pool then queues it again
   * without counting an attempt; the caller never sees this error.
   */
  readonly taskStarted: boolean

  constructor(info: { workerId: number; exitCode?: number | undefined; signal?: string | undefined; cause?: unknown; message?: string | undefined; taskStarted?: boolean | undefined }) {
    const how = info.signal !== undefined ? `was killed by ${info.signal}` : info.exitCode !== undefined ? `exited with code ${info.exitCode}` : 'exited'
    super(ErrorCode.WorkerExit, info.message ?? `Worker ${info.workerId} ${how} while running the task`, info)
    this.workerId = info.workerId
    this.exitCode = info.exitCode
    this.signal = info.signal
    this.taskStarted = info.taskStarted !== false
  }
}

/**
 * Workers failed to start `attempts` times in a row (a missing worker file, a
 * syntax error, a `setup` that throws), so the pool stopped trying. `ready()`,
 * the tasks waiting for a worker and new tasks reject with this error until
 * `resize()` asks the pool to try again. `cause` is the worker's own error.
 * @public
 */
export class WorkerStartError extends PoolError {
  override name = 'WorkerStartError'
  /** Failed starts in a row. */
  readonly attempts: number

  constructor(attempts: number, options: { cause?: unknown }) {
    const reason = options.cause instanceof Error ? `: ${options.cause.message}` : ''
    super(ErrorCode.WorkerStart, `Workers failed to start ${attempts} times in a row; the pool stopped trying${reason}`, options)
    this.attempts = attempts
  }
}

/**
 * No worker of the pool has every capability the task requires
 * (`RunOptions.requires`), so it can never run: raised by a selector that
 * routes by capabilities (`capabilities()` from `@poolkit/routing`) once every
 * worker is ready and none has them. The task is rejected as `'unplaceable'`.
 * @public
 */
export class NoCapableWorkerError extends PoolError {
  override name = 'NoCapableWorkerError'
  /** What the task required. */
  readonly requires: readonly string[]
  /** The capabilities the pool's workers had, each once, sorted. */
  readonly available: readonly string[]

  constructor(requires: readonly string[], available: readonly string[], options?: { cause?: unknown }) {
    const missing = requires.filter((c) => !available.includes(c))
    const list = (names: readonly string[]): string => names.map((c) => JSON.stringify(c)).join(', ')
    const why = missing.length > 0 ? `none has ${list(missing)}` : 'each is on some worker, but no one worker has them all'
    super(
      ErrorCode.NoCapableWorker,
      `No worker of the pool has every capability the task requires (${list(requires)}): ${why}; ` + (available.length === 0 ? 'its workers declare none' : `its workers have ${list(available)}`),
      options,
    )
    this.requires = [...requires]
    this.available = [...available]
  }
}

/**
 * Tells whether a value is an error raised by the pool. Works across packages and
 * across copies of core, by checking the code rather than the prototype alone.
 * @public
 */
export function isPoolError(error: unknown): error is PoolError {
  if (error instanceof PoolError) return true
  return (
    typeof error === 'object' &&
    error !== null &&
    error instanceof Error &&
    typeof (error as { code?: unknown }).code === 'string' &&
    (error as unknown as { code: string }).code.startsWith('ERR_POOL_')
  )
}
