import type { Breaker } from './contracts/breaker.js'
import type { DeadLetterSink } from './contracts/dead-letter.js'
import type { Executor } from './contracts/executor.js'
import type { PoolObserver } from './contracts/observer.js'
import type { Scaler } from './contracts/scaler.js'
import type { WorkerSelector } from './contracts/selector.js'
import type { RunOptions, TaskContext, TaskInfo } from './contracts/task.js'
import type { TaskQueue } from './contracts/task-queue.js'
import type { Clock } from './clock.js'

/**
 * A function the pool runs in-process for each task.
 * @public
 */
export type TaskHandler<I, O> = (input: I, context: TaskContext) => O | PromiseLike<O>

/**
 * What to do with a new task when `maxQueue` tasks are already waiting.
 * - `'reject'`: reject it at once with `QueueFullError`.
 * - `'drop-oldest'`: reject the task queued longest with `TaskDroppedError` and queue the new one.
 * - `'wait'`: the caller waits for room, up to `queueWaitTimeout`, then gets `QueueFullError`.
 * @public
 */
export type QueueFullPolicy = 'reject' | 'drop-oldest' | 'wait'

/**
 * How long to wait between attempts.
 * @public
 */
export interface BackoffOptions {
  /** The delay after the first failure (ms). @defaultValue 100 */
  initialMs?: number
  /** The longest delay (ms). @defaultValue 30000 */
  maxMs?: number
  /** Each delay is the previous one times this. @defaultValue 2 */
  factor?: number
  /** The share of each delay drawn at random, 0 (none) to 1 (full jitter). @defaultValue 0.5 */
  jitter?: number
}

/**
 * Retrying failed tasks.
 * @public
 */
export interface RetryOptions {
  /** Tries in all, the first included; 1 means no retry. @defaultValue 1 */
  attempts?: number
  backoff?: BackoffOptions
  /**
   * Whether a failure is worth another try. Cancellations are never retried.
   * @defaultValue every error is retried
   */
  retryIf?: (error: unknown, task: TaskInfo) => boolean
  /**
   * How many times a breaker may run a task again without spending one of its
   * `attempts`: a rate limiter's re-run after a 429 with a retry hint (see
   * `Breaker.onFailure`). Past it, the failure goes to the retry policy like
   * any other, so a provider that answers 429 for ever cannot keep a task
   * alive for ever. The pauses between re-runs count toward the task's
   * `timeout`, as its run time does. 0 turns free re-runs off; `Infinity`
   * leaves only the task's `timeout` to end them.
   * @defaultValue 10
   */
  maxBreakerRetries?: number
  /**
   * Retry a task an open circuit refused (`CircuitOpenError`, from a breaker
   * with `whenOpen: 'reject'`): it waits until the error's `retryAt` (when the
   * circuit lets probes through) and is submitted to the breaker again,
   * spending one of its `attempts` (`retryIf` is not asked: this option is the
   * opt-in). It is not retried when it has no attempts left, when `retryAt` is
   * past its `deadline`, or past the close deadline; it then rejects with the
   * `CircuitOpenError` as before. Where a circuit should keep its callers
   * waiting instead, without spending attempts, use the breaker's
   * `whenOpen: 'hold'`.
   * @defaultValue false
   */
  retryCircuitOpen?: boolean
}

/**
 * Options of `createPool`. Give either `handler` (run in-process) or `executor`.
 * @public
 */
export interface PoolOptions<I = unknown, O = unknown> {
  /** Runs each task in-process. */
  handler?: TaskHandler<I, O>
  /** Runs tasks elsewhere: threads, processes, Web Workers (see the adapters). */
  executor?: Executor<I, O>
  /** A name for stats, metrics and errors. @defaultValue `'pool'` */
  name?: string
  /**
   * Workers to run (for in-process handlers, tasks at once). Tasks at once are
   * this times the executor's tasks per worker. At most 1,048,576: each worker
   * (or slot) is made up front, so a larger value is refused with a RangeError
   * rather than left to hang the process.
   * @defaultValue the executor's default, 1 for in-process handlers
   */
  concurrency?: number
  /** Where tasks wait. @defaultValue a FIFO per priority, higher priorities first */
  queue?: TaskQueue
  /** Tasks that may wait before `onQueueFull` applies. @defaultValue Infinity */
  maxQueue?: number
  /** @defaultValue `'reject'` */
  onQueueFull?: QueueFullPolicy
  /** With `onQueueFull: 'wait'`, how long a caller waits for room (ms). @defaultValue Infinity */
  queueWaitTimeout?: number
  /** `'drain'` fires when the queue falls below this after reaching it. @defaultValue 1 */
  drainThreshold?: number
  /** Milliseconds each attempt of a task may take, running or held by the breaker (see `RunOptions.timeout`); 0 or Infinity for none. @defaultValue Infinity */
  taskTimeout?: number
  retry?: RetryOptions
  /** Receives tasks that failed every attempt. */
  deadLetter?: DeadLetterSink<I>
  /** Changes the worker count over time. @defaultValue a fixed size */
  scaler?: Scaler
  /** Guards tasks by key. @defaultValue none */
  breaker?: Breaker
  /** Hooks on every task and worker transition. @defaultValue none */
  observers?: readonly PoolObserver[]
  /** Picks the worker for a task. @defaultValue the least busy worker */
  selector?: WorkerSelector
  /** @defaultValue the system clock */
  clock?: Clock
  /**
   * Failed worker starts in a row (a missing file, a syntax error, a `setup`
   * that throws) after which the pool stops retrying: `ready()`, the tasks
   * waiting for a worker and new tasks then reject with `WorkerStartError`,
   * until `resize()` asks it to try again. Between failures it backs off
   * exponentially (100 ms, doubling, at most 5 s). `Infinity` retries for ever.
   * @defaultValue 5
   */
  maxStartFailures?: number
  /** Start paused: tasks queue until `resume()`. @defaultValue false */
  paused?: boolean
  /** Random numbers for backoff jitter, in [0, 1). @defaultValue Math.random */
  random?: () => number
}

/**
 * Options of `close()`.
 * @public
 */
export interface CloseOptions {
  /**
   * How long to let running and queued tasks finish (ms). Past it, tasks not yet
   * started are rejected with `PoolClosedError` and running ones are aborted.
   * Tasks the breaker holds past it (or until a wake while nothing runs) are
   * rejected as unstarted as soon as that is known.
   * @defaultValue Infinity
   */
  timeout?: number
}

/**
 * What `close()` and `destroy()` resolve to: every task accepted before the
 * close is either counted in `settled` or listed here. Tasks are listed as
 * plain copies of their {@link TaskInfo} fields (JSON-serialisable data, not
 * the pool's records), as they were when the close ended.
 * @public
 */
export interface CloseReport {
  /** Tasks that settled in their normal way while the pool closed. */
  readonly settled: number
  /** Tasks that had not started and were rejected with `PoolClosedError`. */
  readonly unstarted: readonly TaskInfo[]
  /** Tasks that were running and were aborted (rejected with `PoolClosedError`). */
  readonly aborted: readonly TaskInfo[]
  /** Whether the timeout passed (always true for `destroy()` with work left). */
  readonly timedOut: boolean
  /** How long the close took (ms, on the pool's clock). */
  readonly durationMs: number
}

/**
 * The pool's events and their listeners. Listeners run synchronously, in the
 * order they were added. One that throws does not disturb the pool nor stop the
 * other listeners: its error goes to the `error` listeners, or, when there is
 * none or an `error` listener threw, is rethrown in a microtask, so it surfaces
 * as an uncaught exception. An `error` the pool emits for its own failures with
 * no listener is dropped: the pool has already handled it. (The rule of every
 * poolkit emitter, `Emitter` in `@poolkit/core/emitter`.)
 * @public
 */
export interface PoolEvents {
  /** Nothing is queued, running or waiting to retry. */
  idle: () => void
  /** The queue fell below `drainThreshold`. */
  drain: () => void
  /**
   * Something went wrong outside any one task: an observer or a listener of
   * another event threw, a worker failed to start, a dead-letter sink failed.
   */
  error: (error: unknown) => void
  /** The pool finished closing. */
  close: (report: CloseReport) => void
}

/**
 * Options of `map()`.
 * @public
 */
export interface MapOptions extends Omit<RunOptions, 'transfer'> {
  /**
   * Yield results in input order (true) or as they complete (false).
   * @defaultValue true
   */
  ordered?: boolean
  /**
   * The most tasks submitted and not yet yielded, which bounds memory for long
   * inputs. @defaultValue twice the pool's concurrency, at least 16
   */
  window?: number
}

/**
 * Options of `runAll()`.
 * @public
 */
export interface RunAllOptions extends Omit<MapOptions, 'ordered'> {
  /** Called after each task settles, with the count done and the total when known. */
  onProgress?: (done: number, total: number | undefined) => void
}
