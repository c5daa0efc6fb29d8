import type { Executor } from '@poolkit/core'
import { remoteExecutor } from '@poolkit/core/remote'
import { webWorkerChannel } from './internal/channel.js'
import { fallbackExecutor } from './internal/fallback.js'
import { resolveWebOptions } from './internal/validate.js'
import type { WebWorkersOptions } from './options.js'

/**
 * An executor that runs a pool's tasks on Web Workers (module workers by
 * default). The worker file calls `expose()` from `@poolkit/web-adapter/worker`.
 * The pool's `concurrency` is the number of workers (default
 * {@link defaultConcurrency}). A worker that fails to load or throws an
 * uncaught error is replaced, and the task it ran fails with
 * `WorkerExitError`; a running task that times out or is aborted terminates
 * its worker, and a replacement starts.
 *
 * Where `Worker` does not exist, the `fallback` functions run on the main
 * thread instead and the executor's `kind` (the pool's `stats().executor`) is
 * `'web-workers (in-process fallback)'`; without a fallback this throws.
 * @param url - the worker script, usually `new URL('./worker.js', import.meta.url)` so bundlers find it
 * @throws TypeError for invalid options; an Error with code `'ERR_WEB_WORKERS_UNSUPPORTED'` where `Worker` does not exist and no `fallback` is given
 * @example
 * ```ts
 * import { createPool } from '@poolkit/core'
 * import { webWorkers } from '@poolkit/web-adapter'
 *
 * const pool = createPool<ArrayBuffer, string>({ executor: webWorkers(new URL('./hash.worker.js', import.meta.url)) })
 * const digest = await pool.run(buffer, { name: 'sha256', transfer: [buffer] })
 * await pool.close()
 * ```
 * @public
 */
export function webWorkers<I = unknown, O = unknown>(url: URL | string, options?: WebWorkersOptions): Executor<I, O> {
  const resolved = resolveWebOptions(url, options)
  if (typeof (globalThis as { Worker?: unknown }).Worker !== 'function') {
    if (resolved.fallback !== undefined) return fallbackExecutor<I, O>(resolved.fallback, resolved.defaultConcurrency)
    throw Object.assign(
      new Error(
        'webWorkers(): Worker is not available in this environment (an old browser, server-side rendering, or a test runner); pass options.fallback with the task functions to run them on the main thread instead',
      ),
      { code: 'ERR_WEB_WORKERS_UNSUPPORTED' },
    )
  }
  return remoteExecutor<I, O>('web-workers', resolved, () => webWorkerChannel(resolved))
}
