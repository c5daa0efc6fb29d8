import type { TaskInfo } from './task.js'

/**
 * A task that failed every attempt, as a dead-letter sink receives it.
 * @public
 */
export interface DeadLetter<I = unknown> {
  /** The task's fields as they were when it failed: a plain copy, not the pool's live record. */
  readonly task: TaskInfo
  /** The input it was submitted with, to resubmit it. */
  readonly input: I
  /** The error of the last attempt. */
  readonly error: unknown
  /** Attempts made. */
  readonly attempts: number
  /** When it was dead-lettered, on the pool's clock (ms). */
  readonly failedAt: number
}

/**
 * Receives tasks that failed their last attempt, so they can be inspected or
 * retried later. A sink that throws or rejects is reported on the pool's
 * `error` event; the task's caller still gets the task's own error.
 * @public
 */
export interface DeadLetterSink<I = unknown> {
  put(letter: DeadLetter<I>): void | Promise<void>
}
