import type { TaskInfo } from './task.js'

/**
 * A breaker's refusal to let a task run now.
 * @public
 */
export interface BreakerDenial {
  /** When the breaker will let a probe through, on the pool's clock (ms). */
  readonly retryAt: number
  /**
   * Keep the task queued until `retryAt` instead of rejecting it with
   * `CircuitOpenError`.
   * @defaultValue false
   */
  readonly hold?: boolean
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
  /** The task that acquired failed or timed out after `runMs`. */
  onFailure(task: TaskInfo, error: unknown, runMs: number): void
  /** The task that acquired was cancelled: it counts neither way, but returns its permit. */
  onCancel(task: TaskInfo): void
}
