// What follows a failed attempt: a breaker's re-run of the same attempt (a 429's
// retry hint), another attempt after a backoff, or, after the last one, the
// dead-letter sink and the task's failure.
import type { BreakerRetry } from '../contracts/breaker.js'
import type { DeadLetterSink } from '../contracts/dead-letter.js'
import type { TaskInfo } from '../contracts/task.js'
import type { BackoffOptions } from '../pool-options.js'
import { ErrorCode } from '../errors.js'
import { backoffDelay } from './backoff.js'
import type { PoolCore } from './pool-core.js'
import type { ResolvedOptions } from './resolve-options.js'
import { DELAYED, HoldRecord, taskInfoOf } from './task-record.js'
import type { TaskRecord } from './task-record.js'

/** How a failed attempt ended. */
export type FailureOutcome = 'failed' | 'timed-out'

/** Whether `onFailure` returned a retry verdict (a finite or infinite `retryAt`). */
export function isRetry(verdict: unknown): verdict is BreakerRetry {
  return typeof verdict === 'object' && verdict !== null && typeof (verdict as BreakerRetry).retryAt === 'number' && !Number.isNaN((verdict as BreakerRetry).retryAt)
}

/** The pool's retry policy and dead-letter sink. One per pool. */
export class Retry<I, O> {
  private readonly attempts: number
  private readonly backoff: Required<BackoffOptions>
  private readonly retryIf: ((error: unknown, task: TaskInfo) => boolean) | undefined
  private readonly random: () => number
  private readonly maxBreakerRetries: number
  private readonly retryCircuitOpen: boolean
  private readonly deadLetter: DeadLetterSink<I> | undefined

  constructor(
    private readonly pool: PoolCore<I, O>,
    options: ResolvedOptions<I, O>,
  ) {
    this.attempts = options.attempts
    this.backoff = options.backoff
    this.retryIf = options.retryIf
    this.random = options.random
    this.maxBreakerRetries = options.maxBreakerRetries
    this.retryCircuitOpen = options.retryCircuitOpen
    this.deadLetter = options.deadLetter
  }

  /**
   * The breaker asked for this failure to be run again as the same attempt,
   * after `retryAt` (a 429's retry-after): no retry is counted and no attempt
   * spent. At most `retry.maxBreakerRetries` times per task, and not past the
   * close deadline; then the failure goes to the retry policy like any other.
   */
  rerun(task: TaskRecord<I, O>, outcome: FailureOutcome, error: unknown, verdict: BreakerRetry): void {
    const pool = this.pool
    const startBy = task.startBy
    if (
      pool.lifecycle === 'closed' ||
      (task.held?.reruns ?? 0) >= this.maxBreakerRetries ||
      (pool.lifecycle === 'closing' && verdict.retryAt > pool.closer.deadline) ||
      // Past its deadline before the pause ends: it would never start again.
      (startBy !== undefined && verdict.retryAt >= startBy)
    ) {
      this.afterFailure(task, outcome, error)
      return
    }
    const held = (task.held ??= new HoldRecord())
    held.reruns++
    // The re-run starts the same attempt again: it is not another try, and what it ran counts toward the attempt's timeout.
    task.tries--
    held.spentMs += task.endedAt - task.startedAt
    pool.holds.hold(task, verdict.retryAt)
  }

  /** Retries the task after a backoff if it has attempts left and `retryIf` agrees; else dead-letters (with a sink) and fails it. */
  afterFailure(task: TaskRecord<I, O>, outcome: FailureOutcome, error: unknown): void {
    const pool = this.pool
    pool.meter?.onError()
    if (task.attempt < this.attempts && pool.lifecycle !== 'closed' && this.shouldRetry(error, task)) {
      const delayMs = backoffDelay(this.backoff, task.attempt, this.random)
      // A task whose deadline passes before the backoff ends fails now, with this attempt's error.
      const startBy = task.startBy
      if (startBy !== undefined && pool.clock.now() + delayMs >= startBy) {
        this.giveUp(task, outcome, error)
        return
      }
      pool.counters.retried++
      if (pool.notifier.hooks.onRetried !== undefined) pool.notifier.notify('onRetried', task, error, delayMs)
      task.attempt++
      if (task.held !== undefined) task.held.spentMs = 0
      if (task.expiresAt !== undefined) task.extra().lastError = error
      this.delay(task, delayMs)
      return
    }
    this.giveUp(task, outcome, error)
  }

  /** No more attempts: dead-letters the task (with a sink) and fails it. */
  private giveUp(task: TaskRecord<I, O>, outcome: FailureOutcome, error: unknown): void {
    if (this.deadLetter !== undefined) this.putDeadLetter(task, error)
    this.pool.settleFailure(task, outcome, error)
  }

  /**
   * An open circuit refused the task (`CircuitOpenError`): with
   * `retry.retryCircuitOpen`, and an attempt left, it waits until `retryAt` and
   * is offered to the breaker again (`admit` again when it was refused at
   * submission, `acquire` when it was refused at start), spending an attempt.
   * Returns whether it was kept; otherwise the pool rejects it.
   */
  afterCircuitOpen(task: TaskRecord<I, O>, error: unknown, retryAt: number): boolean {
    const pool = this.pool
    if (!this.retryCircuitOpen || task.attempt >= this.attempts || pool.lifecycle !== 'open' || !isCircuitOpen(error)) return false
    // Not before the backoff either: a half-open circuit whose probes are all out names "now". And a
    // millisecond past retryAt: a timer may fire a fraction early on the clock the breaker reads, and a retry
    // the circuit refuses again spends another attempt (a hold, asked again early, spends none).
    const now = pool.clock.now()
    const backoffMs = backoffDelay(this.backoff, task.attempt, this.random)
    const untilProbes = retryAt > now ? Math.ceil(retryAt - now) + 1 : 0
    const delayMs = untilProbes > backoffMs ? untilProbes : backoffMs
    const startBy = task.startBy
    if (startBy !== undefined && now + delayMs >= startBy) return false
    pool.counters.retried++
    if (pool.notifier.hooks.onRetried !== undefined) pool.notifier.notify('onRetried', task, error, delayMs)
    task.attempt++
    if (task.expiresAt !== undefined) task.extra().lastError = error
    this.delay(task, delayMs, !task.admitted)
    return true
  }

  private shouldRetry(error: unknown, task: TaskRecord<I, O>): boolean {
    if (this.retryIf === undefined) return true
    try {
      return this.retryIf(error, task) === true
    } catch (e) {
      this.pool.notifier.error(e)
      return false
    }
  }

  /**
   * Holds a task out of the queue for `ms` (the backoff, or an open circuit's
   * wait), then queues it again, or, for one the breaker never admitted
   * (`readmit`), offers it to the breaker's `admit` again.
   */
  private delay(task: TaskRecord<I, O>, ms: number, readmit = false): void {
    const pool = this.pool
    task.state = DELAYED
    pool.delayedTasks.add(task)
    const requeue = (): void => {
      task.timer = undefined
      if (task.state !== DELAYED) return
      pool.delayedTasks.delete(task)
      if (readmit) {
        pool.readmit(task)
        return
      }
      // An accepted task goes back in even past maxQueue: it was admitted once.
      pool.enqueue(task)
      pool.dispatch()
    }
    if (ms > 0) task.timer = pool.clock.setTimeout(requeue, ms)
    else requeue()
  }

  private putDeadLetter(task: TaskRecord<I, O>, error: unknown): void {
    const pool = this.pool
    pool.counters.deadLettered++
    if (pool.notifier.hooks.onDeadLettered !== undefined) pool.notifier.notify('onDeadLettered', task, error)
    // Data: a copy of the task's fields, not the pool's record (which holds callbacks and links, and does not serialise).
    const letter = { task: taskInfoOf(task), input: task.input, error, attempts: task.tries, failedAt: pool.clock.now() }
    try {
      const put = this.deadLetter!.put(letter)
      if (put !== undefined && typeof (put as Promise<void>).then === 'function') {
        ;(put as Promise<void>).then(undefined, (e: unknown) => pool.notifier.error(e))
      }
    } catch (e) {
      pool.notifier.error(e)
    }
  }
}

/** A `CircuitOpenError` (checked by code, so it holds across copies of core). */
function isCircuitOpen(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === ErrorCode.CircuitOpen
}
