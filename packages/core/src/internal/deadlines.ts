// Task deadlines (RunOptions.deadline, deadlineMs): one timer per task that has
// one, from submission until it settles. A task still waiting when its timer
// fires (queued, waiting for room, held, or waiting to retry) fails at once; a
// running attempt is left to its own timeout, and the pool checks the deadline
// again before every start and before every retry, so nothing starts past it.
// The timer and the checks use the task's `startBy`: its deadline less
// RunOptions.minTimeLeftMs, the least time worth starting an attempt with.
import type { Clock } from '../clock.js'
import { DeadlineExceededError, type DeadlineStage } from '../errors.js'
import type { TaskRecord } from './task-record.js'

/** What a deadline's timer does to a task still waiting: the pool fails it. */
export interface Expirer<I, O> {
  readonly clock: Clock
  expire(task: TaskRecord<I, O>): void
}

/** The deadline of a task from its options, on the pool's clock: `now` plus what is left of it. */
export function expiresAtOf(deadline: number | Date | undefined, deadlineMs: number | undefined, now: number): number | undefined {
  if (deadlineMs !== undefined) return now + deadlineMs
  if (deadline === undefined) return undefined
  const epochMs = typeof deadline === 'number' ? deadline : deadline.getTime()
  return now + (epochMs - Date.now())
}

/** The error of a task with a deadline that failed before it could start, at `stage` (the cause: its last attempt's error, when retrying). */
export function deadlineExceeded<I, O>(task: TaskRecord<I, O>, stage: DeadlineStage, cause?: unknown): DeadlineExceededError {
  const extra = task.extra()
  const options = { minTimeLeftMs: extra.minTimeLeftMs }
  return new DeadlineExceededError(stage, extra.expiresAt! - task.submittedAt, stage === 'retrying' ? { ...options, cause } : options)
}

/** Whether `task` has a deadline too close (or past) at `now` to start an attempt: its `startBy` has come. */
export function expired<I, O>(task: TaskRecord<I, O>, now: number): boolean {
  const at = task.startBy
  return at !== undefined && at <= now
}

/** The deadlines of a pool's tasks. One per pool. */
export class Deadlines<I, O> {
  constructor(private readonly pool: Expirer<I, O>) {}

  /** Starts the timer of a task with a deadline still ahead (the pool fails one already past at submission). */
  watch(task: TaskRecord<I, O>): void {
    const clock = this.pool.clock
    const extra = task.extra()
    const left = task.startBy! - clock.now()
    extra.deadlineTimer = clock.setTimeout(() => {
      extra.deadlineTimer = undefined
      this.pool.expire(task)
    }, left)
  }

  /** The task settled: its deadline no longer matters. */
  clear(task: TaskRecord<I, O>): void {
    const extra = task.extra()
    if (extra.deadlineTimer === undefined) return
    this.pool.clock.clearTimeout(extra.deadlineTimer)
    extra.deadlineTimer = undefined
  }
}
