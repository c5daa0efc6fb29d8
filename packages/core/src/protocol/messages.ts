import type { SerializedError, SerializedValue } from './serialize-error.js'

/**
 * The version of the worker message protocol. A worker reports it in its
 * `ready` message; the main side refuses a worker that speaks another.
 * @public
 */
export const PROTOCOL_VERSION = 1

/**
 * Main thread to worker: run a task.
 * @public
 */
export interface RunMessage {
  readonly type: 'run'
  /** The task's id, echoed in its result. */
  readonly id: number
  /** The exposed function to call; `undefined` calls `default`, or the only one. */
  readonly name: string | undefined
  readonly input: unknown
  /** The attempt number, passed to the task function's context. */
  readonly attempt: number
  /** The task's key, passed to the task function's context. */
  readonly key?: string | undefined
}

/**
 * Main thread to worker: abort a running task. The task function sees its
 * signal abort with `reason`.
 * @public
 */
export interface AbortMessage {
  readonly type: 'abort'
  readonly id: number
  readonly reason: SerializedError | SerializedValue
}

/**
 * Main thread to worker: finish and exit.
 * @public
 */
export interface CloseMessage {
  readonly type: 'close'
}

/**
 * Every message the main side sends a worker.
 * @public
 */
export type MainMessage = RunMessage | AbortMessage | CloseMessage

/**
 * Worker to main thread: set up and ready for tasks.
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
 * Worker to main thread: the worker failed to set up (its `setup` threw).
 * @public
 */
export interface InitErrorMessage {
  readonly type: 'init-error'
  readonly error: SerializedError | SerializedValue
}

/**
 * Worker to main thread: a task's outcome.
 * @public
 */
export type ResultMessage =
  | { readonly type: 'result'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly type: 'result'; readonly id: number; readonly ok: false; readonly error: SerializedError | SerializedValue }

/**
 * Worker to main thread: measurements, sent from time to time.
 * @public
 */
export interface StatsMessage {
  readonly type: 'stats'
  readonly eventLoopUtilization?: number | undefined
  readonly heapUsed?: number | undefined
}

/**
 * Every message a worker sends the main side.
 * @public
 */
export type WorkerMessage = ReadyMessage | InitErrorMessage | ResultMessage | StatsMessage

/**
 * Tells whether a message received from a worker belongs to the protocol (a
 * user's own `postMessage` traffic is ignored).
 * @public
 */
export function isWorkerMessage(value: unknown): value is WorkerMessage {
  if (typeof value !== 'object' || value === null) return false
  const type = (value as { type?: unknown }).type
  return type === 'ready' || type === 'init-error' || type === 'result' || type === 'stats'
}
