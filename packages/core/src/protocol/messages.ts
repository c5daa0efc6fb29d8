import type { SerializedError, SerializedValue } from './serialize-error.js'

/**
 * The version of the worker message protocol. A worker reports it in its
 * `ready` message; the main side refuses a worker that speaks another.
 * @public
 */
export const PROTOCOL_VERSION = 3

/**
 * Main side to worker: run a task. On the wire, runs travel flat in a
 * {@link RunFrame}; this is one run as the worker reads it back.
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
 * The first element of a {@link RunFrame}.
 * @public
 */
export const RUN_FRAME = 'runs'

/**
 * Values per run in a {@link RunFrame}: id, task, name, input, attempt, key.
 * @public
 */
export const RUN_SLOTS = 6

/**
 * Main side to worker: runs, flat, in order: {@link RUN_FRAME}, then
 * {@link RUN_SLOTS} values per run (`id, task, name, input, attempt, key`,
 * as in {@link RunMessage}).
 *
 * A flat array of plain values is about half the cost of the same runs as
 * objects for the structured clone on both sides (every object repeats its
 * property names on the wire), and the main thread is what limits a thread
 * pool running short tasks.
 * @public
 */
export type RunFrame = readonly unknown[]

/**
 * One post from the main side: a control message, several in order, or a
 * {@link RunFrame} (a batch of runs, posted together to save a wake-up per task).
 * @public
 */
export type MainPost = MainMessage | readonly MainMessage[] | RunFrame

/**
 * Tells whether a post from the main side is a {@link RunFrame}.
 * @public
 */
export function isRunFrame(post: MainPost): post is RunFrame {
  return Array.isArray(post) && post[0] === RUN_FRAME
}

/**
 * The runs of a {@link RunFrame} as messages.
 * @public
 */
export function decodeRuns(frame: RunFrame): RunMessage[] {
  const runs: RunMessage[] = []
  for (let i = 1; i + RUN_SLOTS <= frame.length; i += RUN_SLOTS) {
    runs.push({
      type: 'run',
      id: frame[i] as number,
      task: frame[i + 1] as number | undefined,
      name: frame[i + 2] as string | undefined,
      input: frame[i + 3],
      attempt: frame[i + 4] as number,
      key: frame[i + 5] as string | undefined,
    })
  }
  return runs
}

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
  /**
   * What the worker can do, for tasks that require it (`RunOptions.requires`):
   * what its `setup` returned as `capabilities`, if anything.
   */
  readonly capabilities?: readonly string[]
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
 * On the wire, results travel flat in a {@link ResultFrame}.
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
  /** Event-loop utilization since the previous pong, 0 to 1, where known. */
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
 * The first element of a {@link ResultFrame}.
 * @public
 */
export const RESULT_FRAME = 'results'

/**
 * Values per result in a {@link ResultFrame}: id, ok, and the value (or the
 * serialized error when ok is false).
 * @public
 */
export const RESULT_SLOTS = 3

/**
 * Values before the first result in a {@link ResultFrame}: the tag, the heap,
 * the time the tasks took and when the frame was posted.
 * @public
 */
export const RESULT_HEADER = 4

/**
 * Worker to main side: results, flat, in order: {@link RESULT_FRAME}; the
 * worker's heap in bytes after the last of them (or `undefined` when the main
 * side did not ask for it); the milliseconds these tasks took in all, each from
 * its start to its end in the worker (the main side sizes how many tasks it
 * sends ahead from it); when the worker posted the frame
 * (`performance.timeOrigin + performance.now()`, or `undefined`: the main side
 * learns from it how long it takes to answer, and sends enough ahead to cover
 * that); then {@link RESULT_SLOTS} values per result
 * (`id, ok, value or error`), from index {@link RESULT_HEADER}.
 * @public
 */
export type ResultFrame = readonly unknown[]

/**
 * One post from a worker: a message, several in order, or a
 * {@link ResultFrame} (the results of a batch, posted together).
 * @public
 */
export type WorkerPost = WorkerMessage | readonly WorkerMessage[] | ResultFrame

/**
 * Tells whether a post from a worker is a {@link ResultFrame}.
 * @public
 */
export function isResultFrame(post: unknown): post is ResultFrame {
  return Array.isArray(post) && post[0] === RESULT_FRAME
}

/**
 * The results of a {@link ResultFrame} as messages; the last one carries the frame's `heapUsed`, if any.
 * @public
 */
export function decodeResults(frame: ResultFrame): ResultMessage[] {
  const results: ResultMessage[] = []
  const heapUsed = frame[1] as number | undefined
  for (let i = RESULT_HEADER; i + RESULT_SLOTS <= frame.length; i += RESULT_SLOTS) {
    const last = i + RESULT_SLOTS * 2 > frame.length && heapUsed !== undefined
    const id = frame[i] as number
    const result: ResultMessage =
      frame[i + 1] === true ? { type: 'result', id, ok: true, value: frame[i + 2] } : { type: 'result', id, ok: false, error: frame[i + 2] as SerializedError | SerializedValue }
    results.push(last ? { ...result, heapUsed } : result)
  }
  return results
}

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
