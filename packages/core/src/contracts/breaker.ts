import type { TaskInfo } from './task.js'

/**
 * A breaker's refusal to let a task run now.
 * @public
 */
export interface BreakerDenial {
  /**
   * When to ask again, on the pool's clock (ms): when an open circuit lets a
   * probe through, or a rate limiter has a token again. `Infinity` with `hold`:
   * not before the breaker calls the pool's `wake` for the task's key (a
   * bulkhead whose permit came back; see {@link Breaker.attach}).
   */
  readonly retryAt: number
  /**
   * Keep the task queued until `retryAt` instead of rejecting it with
   * `CircuitOpenError`.
   * @defaultValue false
   */
  readonly hold?: boolean
  /**
   * The error to reject the task with when it is not held (a bulkhead whose
   * line for the key is full rejects with a `QueueFullError` naming the key).
   * A `QueueFullError` counts as a `'queue-full'` rejection, anything else as
   * `'circuit-open'`.
   * @defaultValue a `CircuitOpenError` naming the key and `retryAt`
   */
  readonly error?: Error
}

/**
 * Guards tasks by their key (for example the provider a task calls). The pool
 * asks `admit` when a task is submitted and `acquire` just before it starts; a
 * task that acquired is always reported back through exactly one of
 * `onSuccess`, `onFailure` or `onCancel`.
 * @public
 */
export interface Breaker {
  /** May this task be accepted? `undefined` means yes. */
  admit(task: TaskInfo): BreakerDenial | undefined
  /** May this task start now? `undefined` means yes and takes a permit (a half-open probe, say). */
  acquire(task: TaskInfo): BreakerDenial | undefined
  /** The task that acquired succeeded after `runMs`. */
  onSuccess(task: TaskInfo, runMs: number): void
  /**
   * The task that acquired failed or timed out after `runMs`. Returning a
   * {@link BreakerRetry} puts the task back, as the same attempt, held until
   * `retryAt` (a provider's 429 with a retry-after: the failure was the
   * provider's pacing, not the task's, so it spends none of the task's
   * attempts, counts as no retry and no extra try in `TaskResult.attempts`).
   * The pool does this at most `retry.maxBreakerRetries` times per task, and
   * the pause counts toward the task's `timeout` (toward its deadline instead, for a task with one); past either, the failure
   * goes to the retry policy. Returning nothing lets the pool's retry policy decide.
   */
  onFailure(task: TaskInfo, error: unknown, runMs: number): BreakerRetry | undefined | void
  /** The task that acquired was cancelled: it counts neither way, but returns its permit. */
  onCancel(task: TaskInfo): void
  /**
   * A task this breaker admitted (or held at admission) has settled, by any
   * route: completed, failed, cancelled or timed out, dropped from the queue,
   * refused at close. It is the last call for the task, after the `onSuccess`,
   * `onFailure` or `onCancel` of its last attempt. Optional: a breaker that
   * counts what it admitted (a bulkhead's line per key) needs it.
   */
  onSettled?(task: TaskInfo): void
  /**
   * Called once by each pool the breaker guards, with the pool's `wake`: the
   * breaker calls `wake(key)` when tasks of `key` it held may be admitted
   * before their `retryAt` (a permit came back, a limit was raised, a circuit
   * closed), or `wake(undefined)` for every key. Optional: a breaker whose
   * holds all end at a known time needs none.
   */
  attach?(wake: (key: string | undefined) => void): void
  /**
   * The key this breaker groups `task` by: the one it names when it calls
   * `wake(key)`. The pool keeps the tasks the breaker holds by it, so a wake
   * reaches them. Optional: without it, the task's own `key`. A breaker given
   * a key function of its own (see `KeyFunction`) exposes it here. Called once
   * each time the task is held.
   */
  keyOf?(task: TaskInfo): string | undefined
}

/**
 * What `Breaker.onFailure` returns to put a failed task back without spending
 * one of its attempts.
 * @public
 */
export interface BreakerRetry {
  /** Hold the task until then, on the pool's clock (ms); the pool queues it again at its old place. */
  readonly retryAt: number
}
