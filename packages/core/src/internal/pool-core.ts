// What the pool's parts (holds, retry, close, the scaler loop) see of the pool:
// the state they share with the hot path in pool.ts, and the steps of a task's
// life they hand tasks back to. The pool implements it and hands itself to each
// part once, when it is made; every call lands on one class, so it stays
// monomorphic. (The worker set and signal watching see less: WorkerSetHost,
// Canceller.)
import type { Clock } from '../clock.js'
import type { Executor } from '../contracts/executor.js'
import type { RejectReason, TaskOutcome } from '../contracts/task.js'
import type { TaskQueue } from '../contracts/task-queue.js'
import type { Closer } from './close.js'
import type { Counters } from './counters.js'
import type { Holds } from './holds.js'
import type { LoadMeter } from './load-meter.js'
import type { Notifier } from './notify.js'
import type { Retry } from './retry.js'
import type { RingBuffer } from './ring-buffer.js'
import type { ScalerLoop } from './scaler-loop.js'
import type { TaskList, TaskRecord } from './task-record.js'
import type { WorkerSet } from './worker-set.js'

/** Where a pool is in its life (`paused` is a separate flag, for an open pool). */
export type Lifecycle = 'open' | 'closing' | 'closed'

/** The pool, as its parts see it. */
export interface PoolCore<I, O> {
  readonly clock: Clock
  readonly executor: Executor<I, O>
  readonly queue: TaskQueue<TaskRecord<I, O>>
  readonly workers: WorkerSet<I, O>
  /** Tasks a worker runs at once, of the `tasksPerWorker` it may hold. */
  readonly runsPerWorker: number
  readonly notifier: Notifier
  readonly counters: Counters
  /** The scaler's measurements; only pools with a scaler have one. */
  readonly meter: LoadMeter | undefined
  readonly holds: Holds<I, O>
  readonly retry: Retry<I, O>
  readonly closer: Closer<I, O>
  readonly scaling: ScalerLoop<I, O> | undefined
  lifecycle: Lifecycle
  paused: boolean
  /** Attempts running now. */
  readonly running: number
  readonly runningTasks: TaskList<I, O>
  /** Accepted tasks kept out of the queue for a while: a retry's backoff, or a breaker's hold. */
  readonly delayedTasks: Set<TaskRecord<I, O>>
  /** Callers waiting for room in a full queue (`onQueueFull: 'wait'`), oldest first. */
  readonly roomWaiters: RingBuffer<TaskRecord<I, O>>
  /** Puts an accepted task in the queue (at the front for one coming back to where it was). */
  enqueue(task: TaskRecord<I, O>, now?: number, front?: boolean): void
  /** Starts queued tasks while workers have room. */
  dispatch(now?: number): void
  /** Offers a task the breaker refused at submission to its `admit` again (retry.retryCircuitOpen). */
  readmit(task: TaskRecord<I, O>): void
  /** Ends a running attempt early (cancelled, or the pool destroyed): aborts its signal and tells the breaker. */
  abortRunning(task: TaskRecord<I, O>, reason: unknown): void
  settleFailure(task: TaskRecord<I, O>, outcome: Exclude<TaskOutcome, 'completed' | 'rejected'>, error: unknown): void
  rejectTask(task: TaskRecord<I, O>, reason: RejectReason, error: unknown): void
  /** Resolves onIdle() and fires 'idle' when nothing is queued, running or delayed. */
  checkIdle(): void
}
