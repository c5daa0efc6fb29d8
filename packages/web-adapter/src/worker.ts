// @poolkit/web-adapter/worker: the worker side, for scripts run by webWorkers().
import { runWorker } from '@poolkit/core/worker'
import type { MainPost, TaskFunction, TaskFunctions, WorkerEndpoint, WorkerSetupResult } from '@poolkit/core/worker'
import { CLOSED_SIGNAL } from './internal/closed.js'

export { cooperative, transfer } from '@poolkit/core/worker'
export type { TaskFunction, TaskFunctions, TransferResult, WorkerTaskContext } from '@poolkit/core/worker'

/**
 * Options of {@link expose}.
 * @public
 */
export interface ExposeOptions {
  /**
   * Runs once per worker before it reports ready: open a connection, load a
   * model. A throw (or rejection) counts as a failed start; the pool backs off
   * and retries, and gives up with `WorkerStartError` after a few in a row.
   * It may return `{ capabilities: ['gpu'] }`: what this worker can do, for
   * tasks that require it (`run(x, { requires: ['gpu'] })` with
   * `capabilities()` from `@poolkit/routing`).
   */
  setup?: () => WorkerSetupResult | Promise<WorkerSetupResult>
  /** Runs once when the pool closes the worker, after its tasks finished: close what `setup` opened. */
  teardown?: () => void | Promise<void>
}

/** The part of a dedicated worker's global scope the endpoint uses (typed here so the DOM lib suffices). */
interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void
  close(): void
  readonly performance?: { readonly memory?: { readonly usedJSHeapSize?: number } }
  readonly document?: unknown
  readonly importScripts?: unknown
}

function workerEndpoint(scope: WorkerScope): WorkerEndpoint {
  return {
    post: (message, transfer) => (transfer === undefined ? scope.postMessage(message) : scope.postMessage(message, transfer as Transferable[])),
    listen: (listener) => scope.addEventListener('message', (event) => listener(event.data as MainPost)),
    close: () => {
      scope.postMessage(CLOSED_SIGNAL)
      scope.close()
    },
    // Chromium's non-standard performance.memory; other browsers report no heap.
    measure: () => ({ heapUsed: scope.performance?.memory?.usedJSHeapSize }),
  }
}

/**
 * Exposes task functions to the pool, from a worker script started by
 * `webWorkers(url)`. One function needs no name; with several, tasks pick one
 * with `run(input, { name })` (or `default` is used). The same shape as the
 * node adapter's `expose()`, so one worker module can serve both.
 * @example
 * ```ts
 * // hash.worker.ts
 * import { expose, transfer } from '@poolkit/web-adapter/worker'
 *
 * expose({
 *   sha256: async (data: ArrayBuffer) => new Uint8Array(await crypto.subtle.digest('SHA-256', data)),
 *   invert: (pixels: ArrayBuffer) => transfer(invert(pixels), [pixels]),
 * })
 * ```
 * @throws Error when not called in a dedicated Web Worker
 * @public
 */
export function expose(functions: TaskFunctions | TaskFunction, options: ExposeOptions = {}): void {
  const table: TaskFunctions = typeof functions === 'function' ? { default: functions } : functions
  const scope = globalThis as unknown as WorkerScope
  if (typeof scope.importScripts !== 'function' || typeof scope.postMessage !== 'function' || scope.document !== undefined) {
    throw new Error('expose() must be called in a dedicated Web Worker started by webWorkers() from @poolkit/web-adapter')
  }
  runWorker(table, workerEndpoint(scope), options)
}
