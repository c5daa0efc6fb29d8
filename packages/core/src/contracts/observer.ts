import type { PoolState, PoolStats } from './snapshot.js'
import type { RejectReason, TaskInfo, TaskOutcome } from './task.js'

/**
 * A worker as observers and selectors see it: a live view whose counts change
 * as it works. `JSON.stringify(worker)` (and `console.log`) give exactly these
 * fields.
 * @public
 */
export interface WorkerInfo {
  /** The pool's id for the worker. */
  readonly id: number
  /** Tasks it is running now. */
  readonly running: number
  /** Tasks the pool may hand it at once now (see `SpawnContext.setCapacity`). */
  readonly capacity: number
  /** Tasks it has finished, any outcome. */
  readonly finished: number
  /** When it became ready, on the pool's clock (ms); -1 while starting. */
  readonly readyAt: number
  /**
   * How long the attempts that ended on it ran, summed, on the pool's clock
   * (ms): each attempt's run time is added when it completes, fails, times out
   * or is cancelled. The load measure of a fair-share selector.
   */
  readonly busyMs: number
  /**
   * Its event-loop utilization between 0 and 1, as its executor measures it
   * (`WorkerHandle.stats()`, read at each access), or `undefined` where the
   * executor reports none (in-process workers) or while it is starting.
   */
  readonly eventLoopUtilization: number | undefined
  /**
   * What it can do, for tasks that require it (`RunOptions.requires`): from its
   * executor's handle (`WorkerHandle.capabilities`: a worker's `setup` may
   * return them, and `combineExecutors` gives each part's), read when it
   * becomes ready; empty while it starts and for a worker that declares none.
   */
  readonly capabilities: readonly string[]
}

/**
 * Hooks on every transition of a task and a worker. Every hook is optional and
 * the pool calls only those an observer has, so an unused hook costs nothing.
 * Each submitted task ends in exactly one `onSettled` or `onRejected` call.
 * A hook that throws is reported on the pool's `error` event and never breaks
 * the pool.
 * @public
 */
export interface PoolObserver {
  /**
   * The observer was attached to a pool: called once, when `createPool` is done
   * setting it up. `view` reads the pool's live numbers at any later time, for
   * gauges that events alone cannot give (queue depth, busy workers, whether
   * the pool is still open). An observer shared by several pools gets one call
   * per pool.
   */
  onAttached?(pool: string, view: PoolView): void
  /** A task was submitted (before admission). */
  onSubmitted?(pool: string, task: TaskInfo): void
  /** An attempt started on a worker. */
  onStarted?(pool: string, task: TaskInfo, worker: WorkerInfo): void
  /**
   * A task ended other than by rejection: it completed, failed, timed out, or
   * was cancelled (also when its signal was already aborted at submission, or
   * it was cancelled while waiting for room). `error` is set unless it completed.
   */
  onSettled?(pool: string, task: TaskInfo, outcome: Exclude<TaskOutcome, 'rejected'>, error: unknown): void
  /** A task ended without running: refused, dropped or unstarted at close. */
  onRejected?(pool: string, task: TaskInfo, reason: RejectReason, error: unknown): void
  /** An attempt failed and another was scheduled after `delayMs`. */
  onRetried?(pool: string, task: TaskInfo, error: unknown, delayMs: number): void
  /** A task was handed to the dead-letter sink after its last attempt. */
  onDeadLettered?(pool: string, task: TaskInfo, error: unknown): void
  /** A worker became ready. */
  onWorkerStarted?(pool: string, worker: WorkerInfo): void
  /** A worker left: retired, replaced after a crash, or closed. */
  onWorkerExited?(pool: string, worker: WorkerInfo, reason: WorkerExitReason, error: unknown): void
}

/**
 * What an observer can read of a pool it is attached to.
 * @public
 */
export interface PoolView {
  /** The pool's name. */
  readonly name: string
  /** `'open'`, `'paused'`, `'closing'` or `'closed'`. */
  readonly state: PoolState
  /** The pool's counts and means at this moment (the same as `pool.stats()`). */
  stats(): PoolStats
}

/**
 * Why a worker left the pool: `crashed` or `unresponsive` (failures),
 * `recycled` (a task or heap limit), `stopped` (terminated to end an aborted
 * task), `retired` (the pool shrank), `closed` (the pool closed).
 * @public
 */
export type WorkerExitReason = 'crashed' | 'unresponsive' | 'recycled' | 'stopped' | 'retired' | 'closed'
