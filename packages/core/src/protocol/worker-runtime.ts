import type { TransferList } from '../contracts/task.js'
import type { MainMessage, WorkerMessage } from './messages.js'
import { PROTOCOL_VERSION } from './messages.js'
import { deserializeError, serializeError } from './serialize-error.js'

/**
 * What a task function receives in a worker next to its input.
 * @public
 */
export interface WorkerTaskContext {
  /** The task's id in its pool. */
  readonly id: number
  /** 1 for the first try, 2 for the first retry, and so on. */
  readonly attempt: number
  /** The task's key, if any. */
  readonly key: string | undefined
  /**
   * Aborts when the main side aborts the task (cancelled or timed out). Only
   * functions marked with {@link cooperative} are left running to honour it; the
   * others are stopped by terminating the worker.
   */
  readonly signal: AbortSignal
}

/**
 * A function a worker exposes to the pool.
 * @public
 */
export type TaskFunction = (input: any, context: WorkerTaskContext) => unknown

/**
 * The functions a worker exposes, by name. A pool calls `default` (or the only
 * function) when a task names none.
 * @public
 */
export type TaskFunctions = Readonly<Record<string, TaskFunction>>

const COOPERATIVE = Symbol.for('poolkit.cooperative')
const TRANSFER = Symbol.for('poolkit.transfer')

/**
 * Marks a task function as handling cancellation itself: when its task is
 * aborted it sees `context.signal` abort and settles, and its worker keeps
 * running. Unmarked functions are stopped by terminating their worker.
 * @public
 */
export function cooperative<F extends TaskFunction>(fn: F): F {
  Object.defineProperty(fn, COOPERATIVE, { value: true })
  return fn
}

/**
 * A task function's result with objects to move, not copy, back to the main side.
 * @public
 */
export interface TransferResult<T> {
  readonly value: T
  readonly transfer: TransferList
}

/**
 * Returns `value` from a task function, moving the objects in `list` (for
 * example the `ArrayBuffer` of a large result) instead of copying them.
 * @public
 */
export function transfer<T>(value: T, list: TransferList): TransferResult<T> {
  return { [TRANSFER]: true, value, transfer: list } as TransferResult<T>
}

/**
 * The runtime-specific link between a worker and its main side: Node's
 * `parentPort` or `process`, a Web Worker's global scope.
 * @public
 */
export interface WorkerEndpoint {
  post(message: WorkerMessage, transfer?: TransferList): void
  /** Subscribes to messages from the main side. */
  listen(listener: (message: MainMessage) => void): void
  /** Leaves the worker (unsubscribes, lets the runtime exit). */
  close(): void
}

/**
 * Options of {@link runWorker}.
 * @public
 */
export interface WorkerRuntimeOptions {
  /** Runs once before the worker reports ready; a throw is reported as an init error. */
  setup?: () => void | Promise<void>
}

function isTransferResult(value: unknown): value is TransferResult<unknown> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TRANSFER] === true
}

/**
 * The worker side of the protocol, written once for every runtime: runs `setup`,
 * reports ready, runs each task it is sent and posts the result, and aborts a
 * task's signal when asked. Adapters call it from their `expose()`.
 * @public
 */
export function runWorker(functions: TaskFunctions, endpoint: WorkerEndpoint, options?: WorkerRuntimeOptions): void {
  const names = Object.keys(functions)
  for (const name of names) {
    if (typeof functions[name] !== 'function') {
      throw new TypeError(`expose(): functions.${name} must be a function, got ${typeof functions[name]}`)
    }
  }
  if (names.length === 0) throw new TypeError('expose() needs at least one task function')
  const fallback = functions.default ?? (names.length === 1 ? functions[names[0]!] : undefined)
  const running = new Map<number, AbortController>()

  const settle = (id: number, ok: boolean, value: unknown): void => {
    running.delete(id)
    if (ok) {
      if (isTransferResult(value)) endpoint.post({ type: 'result', id, ok: true, value: value.value }, value.transfer)
      else endpoint.post({ type: 'result', id, ok: true, value })
    } else {
      endpoint.post({ type: 'result', id, ok: false, error: serializeError(value) })
    }
  }

  const start = (id: number, name: string | undefined, input: unknown, attempt: number, key: string | undefined): void => {
    const fn = name === undefined ? fallback : Object.hasOwn(functions, name) ? functions[name] : undefined
    if (fn === undefined) {
      const known = names.join(', ')
      settle(
        id,
        false,
        new TypeError(name === undefined ? `The worker exposes several functions (${known}); name one in the run options` : `The worker exposes no function "${name}" (it has: ${known})`),
      )
      return
    }
    const controller = new AbortController()
    running.set(id, controller)
    const context: WorkerTaskContext = { id, attempt, key, signal: controller.signal }
    let result: unknown
    try {
      result = fn(input, context)
    } catch (error) {
      settle(id, false, error)
      return
    }
    if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
      ;(result as PromiseLike<unknown>).then(
        (value) => settle(id, true, value),
        (error: unknown) => settle(id, false, error),
      )
    } else {
      settle(id, true, result)
    }
  }

  const onMessage = (message: MainMessage): void => {
    switch (message.type) {
      case 'run':
        start(message.id, message.name, message.input, message.attempt, message.key)
        break
      case 'abort':
        running.get(message.id)?.abort(deserializeError(message.reason))
        break
      case 'close':
        for (const controller of running.values()) controller.abort()
        endpoint.close()
        break
    }
  }

  const ready = (): void => {
    endpoint.listen(onMessage)
    endpoint.post({
      type: 'ready',
      protocol: PROTOCOL_VERSION,
      functions: names,
      cooperative: names.filter((n) => (functions[n] as unknown as Record<symbol, unknown>)[COOPERATIVE] === true),
    })
  }

  if (options?.setup === undefined) {
    ready()
    return
  }
  Promise.resolve()
    .then(options.setup)
    .then(ready, (error: unknown) => {
      endpoint.post({ type: 'init-error', error: serializeError(error) })
      endpoint.close()
    })
}
