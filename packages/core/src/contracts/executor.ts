import type { Clock } from '../clock.js'
import type { Scaler } from './scaler.js'
import type { TaskContext, TransferList } from './task.js'

/**
 * How a worker ended when nobody asked it to.
 * @public
 */
export interface WorkerExit {
  /**
   * Why it left. `'crashed'` (the default) and `'unresponsive'` are failures the
   * pool reports on its `error` event; `'recycled'` (a task or heap limit was
   * reached) and `'stopped'` (the executor stopped it to end an aborted task)
   * are routine. The pool starts a replacement in every case.
   * @defaultValue 'crashed'
   */
  readonly reason?: 'crashed' | 'unresponsive' | 'recycled' | 'stopped' | undefined
  /** The exit code, where the runtime gives one. */
  readonly exitCode?: number | undefined
  /** The signal that killed it (child processes), where one did. */
  readonly signal?: string | undefined
  /** The last error the worker raised or reported, if any. */
  readonly error?: unknown
}

/**
 * What the pool hands an executor when it asks for a worker.
 * @public
 */
export interface SpawnContext {
  /** The id the pool gives this worker; unique within the pool. */
  readonly workerId: number
  /**
   * The worker calls this, once, when it leaves the pool on its own: a crash, an
   * exit from its own code, a fault, a failed start, or a routine exit the
   * executor decided (recycling, stopping an aborted task; see
   * `WorkerExit.reason`). The pool sends it no more tasks and starts a
   * replacement. Tasks it still holds must settle: run to the end (recycling), or
   * reject with `WorkerExitError`.
   */
  readonly onExit: (exit: WorkerExit) => void
  /**
   * Sets how many tasks the pool may hand this worker at once from now on:
   * 1 up to the executor's `tasksPerWorker` (other values are clamped). It
   * starts at `tasksPerWorker`. An executor that sends tasks ahead of the one a
   * worker runs can measure them and send fewer ahead when they are long, so a
   * slow task holds few others behind it. Lowering it takes no task back: the
   * worker gets no new one until it is under the new limit.
   */
  readonly setCapacity: (tasks: number) => void
  /**
   * The pool's clock. An executor sets every timer of its workers on it (a
   * start timeout, a heartbeat, a grace period before stopping a worker), so a
   * pool on a virtual clock drives them too.
   */
  readonly clock: Clock
}

/**
 * What a worker's `run` receives with the input.
 * @public
 */
export interface WorkerTask extends TaskContext {
  /** Objects to move to the worker instead of copying. */
  readonly transfer: TransferList | undefined
  /**
   * Calls `listener` once, with the reason and this task, if the task is
   * aborted (cancelled, timed out, or the pool is destroyed); at once if it
   * already was. Unlike reading `signal`, it creates no AbortController, and one
   * listener can serve every task, so an executor can watch each task at no cost
   * on the hot path. The listener must not throw.
   */
  onAbort(listener: (reason: unknown, task: WorkerTask) => void): void
}

/**
 * How one attempt of a task, given to a worker through
 * {@link WorkerHandle.send}, ended (what its {@link TaskDone} reports):
 *
 * - `'ok'`: it ran, and `value` is its output.
 * - `'failed'`: it failed, and `value` is the error: the task's own, its abort reason, or a `WorkerExitError` when its worker exited while it may have been running. The attempt counts (the pool may retry it).
 * - `'unstarted'`: it certainly never started (it waited in the worker behind another task when the worker went, or was dropped from its inbox when aborted), and `value` is a `WorkerExitError` whose `taskStarted` is false. The pool queues it again as the same attempt, uncounted; the caller never sees the error.
 * @public
 */
export type AttemptOutcome = 'ok' | 'failed' | 'unstarted'

/**
 * How a worker reports the outcome of a task it was given through
 * {@link WorkerHandle.send}: with the same `task` object, how it ended, and
 * the output or the error as `value`.
 * @param task - the `task` that `send` was given
 * @param outcome - how it ended: see {@link AttemptOutcome}
 * @param value - the output when `outcome` is `'ok'`, the error otherwise
 * @public
 */
export type TaskDone = (task: WorkerTask, outcome: AttemptOutcome, value: unknown) => void

/**
 * One worker slot: a thread, a process, a Web Worker, or an in-process stand-in.
 * @public
 */
export interface WorkerHandle<I = unknown, O = unknown> {
  /** The pool's id for this worker. */
  readonly id: number
  /**
   * Runs one task. The promise settles when the task is over in the worker: with
   * the output, the task's error, or `WorkerExitError`. When `task.signal`
   * aborts, the worker stops the task (cooperatively, or by terminating itself)
   * and rejects; the pool frees the slot only once this promise settles, so the
   * concurrency limit holds for real work.
   */
  run(input: I, task: WorkerTask): Promise<O>
  /**
   * Runs one task like {@link WorkerHandle.run}, and reports its outcome by
   * calling `done(task, outcome, value)` exactly once, never before `send`
   * returns. A task that never started settles as `'unstarted'` (with `run`,
   * by rejecting with `WorkerExitError` whose `taskStarted` is false).
   * Optional: the pool calls it instead of `run` when it is there. One `done`
   * serves every task, so a worker that answers many short tasks spares the
   * two promises and the closures per task that `run` costs on the hot path.
   */
  send?(input: I, task: WorkerTask, done: TaskDone): void
  /** Stops the worker and frees what it holds. Resolves when it is gone. */
  terminate(): Promise<void>
  /** Per-worker measurements, where the runtime has them. */
  stats?(): WorkerRuntimeStats
  /**
   * What this worker can do, for tasks that require it (`RunOptions.requires`):
   * read once, when the worker is ready. A remote worker reports the
   * capabilities its `setup` returned (`{ capabilities: ['gpu'] }`).
   */
  readonly capabilities?: readonly string[]
}

/**
 * Measurements a worker can report about itself.
 * @public
 */
export interface WorkerRuntimeStats {
  /** Event-loop utilization between 0 and 1, where known. */
  readonly eventLoopUtilization?: number
  /** Heap in use, in bytes, where known. */
  readonly heapUsed?: number
}

/**
 * Runs tasks somewhere: in-process, on threads, in child processes, in Web
 * Workers. The pool asks it for workers and sends each task to one of them.
 * @public
 */
export interface Executor<I = unknown, O = unknown> {
  /** A name for stats and errors (`'in-process'`, `'threads'`...). */
  readonly kind: string
  /**
   * How many tasks the pool may hand one worker at once: the ones it runs
   * (see {@link Executor.runsPerWorker}) plus any it keeps waiting to start as
   * soon as one ends (a remote executor's `prefetch`). The pool's
   * `stats().capacity` is this times the workers.
   * @defaultValue 1
   */
  readonly tasksPerWorker?: number
  /**
   * How many of the tasks a worker holds it runs at once; the rest of its
   * `tasksPerWorker` wait in it. A positive integer, at most `tasksPerWorker`.
   * The pool's `stats().concurrency` is this times the workers. Remote
   * executors (`threads()`, `processes()`, `webWorkers()`) set it to
   * `concurrentTasksPerWorker`.
   * @defaultValue `tasksPerWorker` (a worker runs every task it is handed)
   */
  readonly runsPerWorker?: number
  /** The worker count to use when the pool's `concurrency` is left out. */
  readonly defaultConcurrency?: number
  /**
   * A scaler the executor suggests (for example idle-worker retirement), used
   * when the pool's own `scaler` option is left out.
   */
  readonly scaler?: Scaler
  /** Starts a worker. May resolve later; the pool waits for it before sending tasks. */
  spawn(context: SpawnContext): WorkerHandle<I, O> | Promise<WorkerHandle<I, O>>
  /** Frees what the executor itself holds, after every worker was terminated. */
  close?(): Promise<void> | void
}
