import type { Scaler } from '../contracts/scaler.js'
import type { TransferList } from '../contracts/task.js'
import type { MainPost, WorkerPost } from '../protocol/messages.js'
import type { ErrorClasses } from '../protocol/serialize-error.js'

/**
 * How a worker ended, as its runtime tells it.
 * @public
 */
export interface ChannelExit {
  readonly exitCode?: number | undefined
  readonly signal?: string | undefined
}

/**
 * One worker, whatever runs it: a thread, a child process, a Web Worker. An
 * adapter opens one per worker; {@link remoteExecutor} speaks the worker
 * protocol over it.
 * @public
 */
export interface Channel {
  /** Posts one message or a frame; throws if something in it cannot be cloned. */
  post(post: MainPost, transfer?: TransferList): void
  onMessage(listener: (post: WorkerPost) => void): void
  /** The runtime's own errors (uncaught in the worker, a failed start). */
  onError(listener: (error: unknown) => void): void
  onExit(listener: (exit: ChannelExit) => void): void
  /** Stops the worker at once; resolves when it is gone (and `onExit` was called). */
  kill(): Promise<void>
  /** Event-loop utilization since the previous call, where the runtime can read it from outside. */
  eventLoopUtilization?(): number
  /** Whether it can move transfer lists (threads, Web Workers) or copies everything (processes). */
  readonly transfers: boolean
}

/**
 * How {@link remoteExecutor}'s workers run tasks: every field is required
 * (an adapter fills in its defaults and checks its users' options).
 * @public
 */
export interface RemoteWorkerOptions {
  /** Tasks one worker runs at once (above 1 helps async task functions only). */
  readonly concurrentTasksPerWorker: number
  /** The most tasks sent ahead of the ones a worker runs. */
  readonly prefetch: number
  /** How much work (ms of measured task time) to keep waiting in each worker; `Infinity` always sends `prefetch` ahead. */
  readonly prefetchMs: number
  /** Replace a worker after it has been given this many tasks. */
  readonly maxTasksPerWorker: number
  /** Replace a worker whose heap passed this many bytes after a task (`Infinity`: never). */
  readonly maxHeapBytes: number
  /** Replace a worker that did not answer a heartbeat for this long (ms; `Infinity`: no heartbeat). */
  readonly unresponsiveTimeout: number
  /** How long an aborted task that is not cooperative may take to be dropped from a worker's inbox before the worker is stopped (ms). */
  readonly abortTimeout: number
  /** How long a worker told to close may take to run its teardown before it is stopped (ms). */
  readonly closeTimeout: number
  /**
   * How long a new worker may take to report ready (its file loaded, `expose()`
   * called and `setup` settled) before it is stopped and counted as a failed
   * start (ms; `Infinity`: no limit).
   * @defaultValue 30000
   */
  readonly startTimeout?: number | undefined
  /** Error classes to rebuild from workers' errors. */
  readonly errorClasses: ErrorClasses | undefined
}

/**
 * Options of {@link remoteExecutor}.
 * @public
 */
export interface RemoteExecutorOptions extends RemoteWorkerOptions {
  /** The pool's worker count when its `concurrency` is left out. */
  readonly defaultConcurrency: number
  /** A scaler to suggest to the pool (for example idle-worker retirement). */
  readonly scaler?: Scaler | undefined
}
