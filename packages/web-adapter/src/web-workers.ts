import type { Executor } from '@poolkit/core'
import { remoteExecutor } from '@poolkit/core/remote'
import { webWorkerChannel } from './internal/channel.js'
import { fallbackExecutor } from './internal/fallback.js'
import { resolveWebOptions } from './internal/validate.js'
import type { WebWorkersOptions } from './options.js'
import type { WebWorkerFactory } from './worker-factory.js'

// The comment below is emitted into dist/web-workers.js, which bundlers read: it must not
// spell out a worker construction (a regex-based plugin such as Rollup's
// off-main-thread would try to bundle it). Examples of that live on WebWorkerFactory,
// a type, whose comments reach only the .d.ts files.
/**
 * An executor that runs a pool's tasks on Web Workers (module workers by
 * default). The worker file calls `expose()` from `@poolkit/web-adapter/worker`.
 * The pool's `concurrency` is the number of workers (default
 * {@link defaultConcurrency}). A worker that fails to load or throws an
 * uncaught error is replaced, and the task it ran fails with
 * `WorkerExitError`; a running task that times out or is aborted terminates
 * its worker, and a replacement starts.
 *
 * The worker is given as a URL (the pool calls `new Worker(url, { type, name })`)
 * or as a {@link WebWorkerFactory}, a function that makes one. Bundlers (Vite,
 * webpack 5) build a worker file only where they see `new Worker()` called on
 * a `new URL()` of it, written out in the application's code, so use the
 * factory in a bundled application (the package README shows the recipe per
 * bundler). The factory is called once per worker the pool starts; if it
 * throws or returns anything but a `Worker`, that start fails (reported in
 * the pool's `error` event, retried, and after `maxStartFailures` in a row
 * `WorkerStartError`). With a factory, `options.type` and `options.name` are
 * refused (`RangeError`): the factory's own `new Worker()` call sets them.
 *
 * Where `Worker` does not exist, the `fallback` functions run on the main
 * thread instead (a factory is never called) and the executor's `kind` (the
 * pool's `stats().executor`) is `'web-workers (in-process fallback)'`; without
 * a fallback this throws.
 * @param worker - the worker script's URL, or a {@link WebWorkerFactory} that returns a new `Worker`
 * @throws TypeError for invalid options; RangeError for `type` or `name` given with a factory; an Error with code `'ERR_WEB_WORKERS_UNSUPPORTED'` where `Worker` does not exist and no `fallback` is given
 * @example
 * ```ts
 * import { createPool } from '@poolkit/core'
 * import { webWorkers } from '@poolkit/web-adapter'
 * import { hashWorker } from './hash-worker.js' // a WebWorkerFactory (see its example)
 *
 * const pool = createPool<ArrayBuffer, string>({ executor: webWorkers(hashWorker) })
 * const digest = await pool.run(buffer, { name: 'sha256', transfer: [buffer] })
 * await pool.close()
 * ```
 * @public
 */
export function webWorkers<I = unknown, O = unknown>(worker: URL | string | WebWorkerFactory, options?: WebWorkersOptions): Executor<I, O> {
  const resolved = resolveWebOptions(worker, options)
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
