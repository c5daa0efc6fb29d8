/**
 * Objects to move rather than copy when a task crosses to a worker
 * (`ArrayBuffer`, `MessagePort`, `ImageBitmap`, `OffscreenCanvas`...).
 * @public
 */
export type TransferList = readonly object[]

/**
 * What a task is, as the pool's observers, queues, selectors and breakers see it.
 * The same object lives for the whole life of the task, retries included, and
 * its fields change as it moves: read them in the hook, and copy what you keep
 * (once a task has completed or failed, after `onSettled`, the pool may let go
 * of its attempt fields, which then read as before it started).
 * `JSON.stringify(task)` (and `console.log`) give exactly these fields, so a
 * logger may write the task as it is. Close reports and dead letters hold
 * plain copies.
 * @public
 */
export interface TaskInfo {
  /** Unique within its pool, increasing in submission order. */
  readonly id: number
  /** Higher runs first; see `Priority`. */
  readonly priority: number
  /** The tenant, provider or other key the task belongs to, if any. */
  readonly key: string | undefined
  /** The task function to call in a worker that exposes several, if any. */
  readonly name: string | undefined
  /**
   * The capabilities a worker must have to run it (`RunOptions.requires`), if
   * any. Optional so hand-made `TaskInfo` values need not have it; tasks of
   * core's pool always do.
   */
  readonly requires?: readonly string[] | undefined
  /**
   * The task's labels (`RunOptions.labels`), if any: more keys than one, for
   * policies that group tasks each their own way (a fair queue by tenant, a
   * rate limiter by provider: see {@link KeyFunction}). Optional so hand-made
   * `TaskInfo` values need not have it; tasks of core's pool always do.
   */
  readonly labels?: Readonly<Record<string, string>> | undefined
  /**
   * When the task's deadline passes (`RunOptions.deadline` or `deadlineMs`), on
   * the pool's clock (ms, as `submittedAt`); `undefined` for a task without
   * one. A breaker may use it to keep a task about to expire from being a
   * probe. Optional so hand-made `TaskInfo` values need not have it.
   */
  readonly expiresAt?: number | undefined
  /** The current attempt, 1 for the first try. */
  readonly attempt: number
  /** When the task was submitted, on the pool's clock (ms). */
  readonly submittedAt: number
  /** When the current attempt was queued, on the pool's clock (ms). */
  readonly enqueuedAt: number
  /** When the current attempt started, or -1 before it has. */
  readonly startedAt: number
  /**
   * When the last attempt that ran stopped running (finished, failed, timed out
   * or was aborted), on the pool's clock (ms), or -1 before one has. While
   * `endedAt >= startedAt`, the current attempt has ended and
   * `endedAt - startedAt` is how long it ran: observers read it in
   * `onSettled` and `onRetried` without reading a clock. Tasks of core's pool
   * always have it; it is optional so hand-made `TaskInfo` values (tests,
   * other pools) need not.
   */
  readonly endedAt?: number
  /** Time spent queued, summed over attempts (ms). */
  readonly waitMs: number
  /** Time spent running, summed over attempts (ms). */
  readonly runMs: number
}

/**
 * What a task's handler receives next to its input.
 * @public
 */
export interface TaskContext {
  /** The task's id in its pool. */
  readonly id: number
  /** 1 for the first try, 2 for the first retry, and so on. */
  readonly attempt: number
  /** The task function name given in the run options, if any. */
  readonly name: string | undefined
  /** The key given in the run options, if any. */
  readonly key: string | undefined
  /**
   * Aborts when the task is cancelled, times out or the pool is destroyed; its
   * `reason` says which. Created on first access, so a handler that never reads
   * it costs nothing.
   */
  readonly signal: AbortSignal
}

/**
 * Options for one task.
 * @public
 */
export interface RunOptions {
  /** Cancels the task: before it starts it leaves the queue; after, its handler's signal aborts. */
  signal?: AbortSignal | undefined
  /**
   * Higher runs first; any finite number (see `Priority`).
   * @defaultValue `Priority.Normal` (1)
   */
  priority?: number | undefined
  /**
   * Milliseconds each attempt may take before it fails with `TaskTimeoutError`:
   * its run time and the time the pool's breaker holds it (an open circuit, a
   * full bulkhead, a rate limit, a 429's pause) count; time in the queue does
   * not. For a task with a `deadline`, only its run time counts: the deadline
   * bounds every wait, so a task held until just before it still gets its
   * whole timeout to run. `0` or `Infinity` for none.
   * @defaultValue the pool's `taskTimeout`
   */
  timeout?: number | undefined
  /** The tenant or provider the task belongs to (fair queues, breakers, metrics). */
  key?: string | undefined
  /** The task function to call in a worker that exposes several. */
  name?: string | undefined
  /**
   * Capabilities a worker must have to run the task (for example `['gpu']`):
   * a selector that routes by them, such as `capabilities()` from
   * `@poolkit/routing`, sends it only to a worker whose
   * `WorkerInfo.capabilities` include every one, and fails it with
   * `NoCapableWorkerError` when no worker of the pool has them. The pool
   * itself only carries them to the selector (`TaskInfo.requires`).
   */
  requires?: readonly string[] | undefined
  /**
   * Named string values the task carries for the policies that group tasks
   * (`TaskInfo.labels`), where one `key` is not enough: for example
   * `{ key: tenant, labels: { provider: 'openai' } }`, with the fair queue
   * sharing by `key` and a rate limiter given
   * `key: (task) => task.labels?.provider`. The pool copies them at
   * submission; the task's handler does not see them.
   */
  labels?: Readonly<Record<string, string>> | undefined
  /** Objects to move to the worker instead of copying. */
  transfer?: TransferList | undefined
  /**
   * When the caller stops waiting for the task, as a `Date` or a time in
   * milliseconds since the epoch (as `Date.now()` gives; converted to the
   * pool's clock once, at submission). A task whose deadline passes while it is
   * queued, waiting for room, held by a breaker or waiting to retry fails at
   * once with `DeadlineExceededError` (outcome `'timed-out'`), and no attempt
   * ever starts past it. A running attempt is left to its own `timeout`: the
   * deadline does not cut it (a caller who wants that passes a `signal` too),
   * and it is not counted as a failure by a breaker; if it fails past the
   * deadline, it is not retried. Give `deadline` or `deadlineMs`, not both.
   */
  deadline?: number | Date | undefined
  /** The deadline as milliseconds from submission (see `deadline`); `0` fails the task at once. */
  deadlineMs?: number | undefined
  /**
   * The least time before the deadline worth starting an attempt with, in
   * milliseconds: a call that takes 50 ms is wasted when it starts with 5 ms
   * left (and spends a rate limiter's token, or a provider's). The task then
   * fails with `DeadlineExceededError` as soon as less than this is left while
   * it waits (queued, waiting for room, held by a breaker or waiting to retry),
   * no attempt or retry starts with less, and it takes no breaker's token.
   * A running attempt is not cut. Needs `deadline` or `deadlineMs`.
   * @defaultValue 0
   */
  minTimeLeftMs?: number | undefined
}

/**
 * How a task ended.
 * - `completed`: the handler returned a value.
 * - `failed`: the handler threw (after the last attempt).
 * - `cancelled`: the caller's signal aborted, or the pool aborted it at `destroy()`.
 * - `timed-out`: it ran past its timeout (after the last attempt).
 * - `rejected`: it never ran: refused at admission, dropped from a full queue, or
 *   unstarted when the pool closed.
 * @public
 */
export type TaskOutcome = 'completed' | 'failed' | 'cancelled' | 'timed-out' | 'rejected'

/**
 * Why a task was rejected without running. `'no-workers'`: workers kept failing
 * to start and the pool stopped trying (`WorkerStartError`). `'unplaceable'`:
 * the selector found that no worker of the pool could ever run it
 * (`WorkerSelector.refuse`; `NoCapableWorkerError` from `capabilities()`).
 * @public
 */
export type RejectReason = 'queue-full' | 'dropped' | 'closed' | 'circuit-open' | 'no-workers' | 'unplaceable'

/**
 * The settled result of one task, for `submit()` callbacks and `map()`.
 * @public
 */
export type TaskResult<O> = TaskSuccess<O> | TaskFailure

/**
 * A task that completed.
 * @public
 */
export interface TaskSuccess<O> {
  readonly id: number
  readonly ok: true
  readonly value: O
  /** Time spent queued over all attempts (ms). */
  readonly waitMs: number
  /** Time spent running over all attempts (ms). */
  readonly runMs: number
  /** Attempts made, 1 when the first try succeeded. */
  readonly attempts: number
}

/**
 * A task that failed, timed out, was cancelled or was rejected.
 * @public
 */
export interface TaskFailure {
  readonly id: number
  readonly ok: false
  readonly error: unknown
  /** Time spent queued over all attempts (ms). */
  readonly waitMs: number
  /** Time spent running over all attempts (ms). */
  readonly runMs: number
  /** Attempts made; 0 when the task never started. */
  readonly attempts: number
}

/**
 * Which group a policy puts a task in: its tenant for a fair queue, its
 * provider for a breaker or rate limiter, its series in metrics. Every keyed
 * policy of poolkit takes one as its `key` option, and defaults to the task's
 * own `key`, so one pool can be fair by tenant and limited by provider
 * (`key: (task) => task.labels?.provider`). `undefined` puts the task with the
 * tasks that have no key.
 *
 * A policy may call it several times for one task (as it admits, starts and
 * ends it), so it must give the same answer each time: read it from the task's
 * `key`, `name` or `labels`, which never change.
 * @public
 */
export type KeyFunction = (task: TaskInfo) => string | undefined
