import type { SerializedError, SerializedValue } from './serialize-error.js'

/**
 * The version of the worker message protocol. A worker reports it in its
 * `ready` message; the main side refuses a worker that speaks another.
 * @public
 */
export const PROTOCOL_VERSION = 1

/**
 * Main side to worker: run a task. Several may travel in one post, as an array
 * (see {@link MainPost}).
 * @public
 */
export interface RunMessage {
  readonly type: 'run'
  /**
   * This run's id, unique on the connection and echoed in its result and
   * aborts. (Two attempts of one task can be on one worker at once: a timed-out
   * attempt that is still stopping and its retry.)
   */
  readonly id: number
  /** The task's id in its pool, for the function's context. @defaultValue `id` */
  readonly task?: number | undefined
  /** The exposed function to call; `undefined` calls `default`, or the only one. */
  readonly name: string | undefined
  readonly input: unknown
  /** The attempt number, passed to the task function's context. */
  readonly attempt: number
  /** The task's key, passed to the task function's context. */
  readonly key?: string | undefined
}

/**
 * Main side to worker: abort a task. A cooperative function sees its signal
 * abort with `reason` and settles; for any other the worker answers with an
 * {@link AbortAckMessage} so the main side knows whether it must stop the worker.
 * @public
 */
export interface AbortMessage {
  readonly type: 'abort'
  readonly id: number
  readonly reason: SerializedError | SerializedValue
}

/**
 * Main side to worker: a heartbeat. The worker answers with a {@link PongMessage}
 * carrying its measurements; a worker that stops answering is replaced.
 * @public
 */
export interface PingMessage {
  readonly type: 'ping'
  readonly seq: number
}

/**
 * Main side to worker: how to run tasks. Sent once, right after the worker
 * reports ready and before any task.
 * @public
 */
export interface ConfigureMessage {
  readonly type: 'configure'
  /**
   * Tasks the worker runs at once; the rest wait in its inbox, in order.
   * Synchronous functions always run one at a time.
   */
  readonly concurrency: number
  /** Attach the heap size to results (to recycle a worker whose heap grew too big). */
  readonly reportHeap: boolean
  /**
   * Post results as soon as this many are ready, without waiting for the end of
   * the batch, so the main side can send more work while the worker goes on.
   * @defaultValue at the end of each batch
   */
  readonly flushEvery?: number | undefined
}

/**
 * Main side to worker: finish the tasks in hand, run `teardown`, and exit.
 * @public
 */
export interface CloseMessage {
  readonly type: 'close'
}

/**
 * Every message the main side sends a worker.
 * @public
 */
export type MainMessage = ConfigureMessage | RunMessage | AbortMessage | PingMessage | CloseMessage

/**
 * One post from the main side: a message, or several in order (a batch of
 * runs, posted together to save a wake-up per task).
 * @public
 */
export type MainPost = MainMessage | readonly MainMessage[]

/**
 * Worker to main side: set up and ready for tasks.
 * @public
 */
export interface ReadyMessage {
  readonly type: 'ready'
  readonly protocol: number
  /** The names of the functions the worker exposes. */
  readonly functions: readonly string[]
  /**
   * The functions that opted into cooperative cancellation: on abort they get
   * their signal aborted and settle by themselves, so the worker need not be
   * terminated.
   */
  readonly cooperative: readonly string[]
}

/**
 * Worker to main side: the worker failed to set up (its module or `setup` threw).
 * @public
 */
export interface InitErrorMessage {
  readonly type: 'init-error'
  readonly error: SerializedError | SerializedValue
}

/**
 * Worker to main side: a task's outcome. `heapUsed` rides along when the main
 * side asked for heap reports (to recycle a worker whose heap grew too big).
 * @public
 */
export type ResultMessage =
  | { readonly type: 'result'; readonly id: number; readonly ok: true; readonly value: unknown; readonly heapUsed?: number | undefined }
  | {
      readonly type: 'result'
      readonly id: number
      readonly ok: false
      readonly error: SerializedError | SerializedValue
      readonly heapUsed?: number | undefined
    }

/**
 * Worker to main side: the answer to an {@link AbortMessage}.
 * - `'dropped'`: the task was still waiting in the worker's inbox; it was removed
 *   and never ran (no result follows).
 * - `'running'`: a function that is not cooperative is running it and will not
 *   stop by itself, so the main side terminates the worker.
 * - `'done'`: it had already finished (its result was sent first), or the worker
 *   never had it.
 * A cooperative function gets no ack: its result (usually a rejection) follows.
 * @public
 */
export interface AbortAckMessage {
  readonly type: 'abort-ack'
  readonly id: number
  readonly state: 'dropped' | 'running' | 'done'
}

/**
 * Worker to main side: the answer to a {@link PingMessage}, with measurements.
 * @public
 */
export interface PongMessage {
  readonly type: 'pong'
  readonly seq: number
  /** Event-loop utilisation since the previous pong, 0 to 1, where known. */
  readonly eventLoopUtilization?: number | undefined
  /** Heap in use, in bytes, where known. */
  readonly heapUsed?: number | undefined
}

/**
 * Every message a worker sends the main side.
 * @public
 */
export type WorkerMessage = ReadyMessage | InitErrorMessage | ResultMessage | AbortAckMessage | PongMessage

/**
 * One post from a worker: a message, or several results in order (the results
 * of a batch, posted together).
 * @public
 */
export type WorkerPost = WorkerMessage | readonly WorkerMessage[]

const WORKER_TYPES = new Set(['ready', 'init-error', 'result', 'abort-ack', 'pong'])

/**
 * Tells whether a message received from a worker belongs to the protocol (a
 * user's own `postMessage` traffic is ignored).
 * @public
 */
export function isWorkerMessage(value: unknown): value is WorkerMessage {
  if (typeof value !== 'object' || value === null) return false
  return WORKER_TYPES.has((value as { type?: unknown }).type as string)
}
