// @poolkit/node-adapter/worker: the worker side, for files run by threads() or processes().
import { performance } from 'node:perf_hooks'
import { getHeapStatistics } from 'node:v8'
import { isMainThread, parentPort, workerData as threadWorkerData } from 'node:worker_threads'
import { runWorker } from '@poolkit/core/worker'
import type { MainPost, TaskFunction, TaskFunctions, WorkerEndpoint, WorkerPost, WorkerSetupResult } from '@poolkit/core/worker'
import { WORKER_DATA_KEY } from './internal/worker-data.js'

export { cooperative, transfer } from '@poolkit/core/worker'
export type { TaskFunction, TaskFunctions, TransferResult, WorkerTaskContext } from '@poolkit/core/worker'

/**
 * Options of {@link expose}.
 * @public
 */
export interface ExposeOptions {
  /**
   * Runs once per worker before it reports ready: open a client, load a model.
   * A throw (or rejection) counts as a failed start; the pool backs off and
   * retries, and gives up with `WorkerStartError` after a few in a row.
   * It may return `{ capabilities: ['gpu'] }`: what this worker can do, for
   * tasks that require it (`run(x, { requires: ['gpu'] })` with
   * `capabilities()` from `@poolkit/routing`).
   */
  setup?: () => WorkerSetupResult | Promise<WorkerSetupResult>
  /** Runs once when the pool closes the worker, after its tasks finished: close what `setup` opened. */
  teardown?: () => void | Promise<void>
}

function eluMeter(): () => number {
  let last = performance.eventLoopUtilization()
  return () => {
    const now = performance.eventLoopUtilization()
    const delta = performance.eventLoopUtilization(now, last)
    last = now
    return delta.utilization
  }
}

function threadEndpoint(): WorkerEndpoint {
  const port = parentPort!
  const elu = eluMeter()
  return {
    post: (message, transfer) => (transfer === undefined ? port.postMessage(message) : port.postMessage(message, transfer as never)),
    listen: (listener) => port.on('message', listener as (post: MainPost) => void),
    close: () => port.close(),
    measure: () => ({ heapUsed: getHeapStatistics().used_heap_size, eventLoopUtilization: elu() }),
    onExit: (flush) => void process.on('exit', flush),
  }
}

function processEndpoint(): WorkerEndpoint {
  const elu = eluMeter()
  const send = process.send!.bind(process)
  return {
    // Child processes cannot transfer: what would move is copied.
    post: (message: WorkerPost) => void send(message),
    listen: (listener) => void process.on('message', listener as (post: MainPost) => void),
    // Disconnecting twice throws (ERR_IPC_DISCONNECTED) and would crash the child.
    close: () => {
      if (process.connected) process.disconnect()
    },
    measure: () => ({ heapUsed: getHeapStatistics().used_heap_size, eventLoopUtilization: elu() }),
    onExit: (flush) =>
      void process.on('exit', () => {
        if (process.connected) flush()
      }),
  }
}

/**
 * Exposes task functions to the pool, from a worker file started by
 * `threads(url)` or `processes(url)`. One function needs no name; with several,
 * tasks pick one with `run(input, { name })` (or `default` is used).
 * @example
 * ```ts
 * // hash.worker.ts
 * import { createHash } from 'node:crypto'
 * import { expose } from '@poolkit/node-adapter/worker'
 *
 * expose({
 *   sha256: (data: Uint8Array) => createHash('sha256').update(data).digest('hex'),
 *   upper: (text: string) => text.toUpperCase(),
 * })
 * ```
 * @public
 */
export function expose(functions: TaskFunctions | TaskFunction, options: ExposeOptions = {}): void {
  const table: TaskFunctions = typeof functions === 'function' ? { default: functions } : functions
  if (!isMainThread && parentPort !== null) {
    runWorker(table, threadEndpoint(), options)
    return
  }
  if (typeof process.send === 'function') {
    runWorker(table, processEndpoint(), options)
    return
  }
  throw new Error('expose() must be called in a worker started by threads() or processes() from @poolkit/node-adapter')
}

/**
 * The `workerData` given to `threads()` or `processes()`, in either kind of
 * worker, at any time: at the worker file's top level, in `setup` and in tasks.
 * Threads get it by structured clone (also as `worker_threads.workerData`); a
 * child process gets it over its IPC channel, with the executor's
 * `serialization`, before its file runs, and never through its environment.
 * `undefined` when none was given, or outside a worker.
 * @example
 * ```ts
 * import { expose, getWorkerData } from '@poolkit/node-adapter/worker'
 *
 * const { region } = getWorkerData<{ region: string }>()
 * expose({ where: () => region })
 * ```
 * @public
 */
export function getWorkerData<T = unknown>(): T {
  if (!isMainThread) return threadWorkerData as T
  const box = (globalThis as Record<symbol, { value: unknown } | undefined>)[Symbol.for(WORKER_DATA_KEY)]
  return box?.value as T
}
