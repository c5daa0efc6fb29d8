import type { ErrorClasses } from '@poolkit/core'
import type { TaskFunction, TaskFunctions } from '@poolkit/core/worker'

/**
 * Options of `webWorkers()`.
 * @public
 */
export interface WebWorkersOptions {
  /**
   * The kind of worker: `'module'` (ES module workers: the worker file can
   * `import`) or `'classic'` (a script; `importScripts()` only). For the URL
   * form only: with a worker factory it is refused, since the factory's
   * `new Worker(url, { type })` says it.
   * @defaultValue 'module'
   */
  type?: 'module' | 'classic'
  /**
   * A name for the workers, shown in the browser's devtools. For the URL form
   * only: with a worker factory it is refused (pass `{ name }` to its `new Worker()`).
   * @defaultValue undefined (no name)
   */
  name?: string
  /**
   * Tasks one worker runs at once. Above 1 only helps async task functions
   * (`fetch` inside the worker); synchronous ones always run one at a time.
   * @defaultValue 1
   */
  concurrentTasksPerWorker?: number
  /**
   * The most tasks sent to a worker ahead of the ones it runs, so it never
   * waits for a round trip. How many are sent within this limit follows
   * `prefetchMs`. Their timeouts start when they are sent. Set 0 for strict
   * one-task-at-a-time dispatch (exact timeouts and priorities).
   * @defaultValue 256
   */
  prefetch?: number
  /**
   * How much work, in milliseconds of measured task time, to keep waiting in
   * each worker (at least 1 task, at most `prefetch`). While the page's main
   * thread is slow to read results (busy rendering or running its own code),
   * the window also covers twice that measured delay, up to 50 ms of work (or
   * `prefetchMs`, if larger). `Infinity` always sends `prefetch` ahead.
   * @defaultValue 3
   */
  prefetchMs?: number
  /** Replace a worker after it has been given this many tasks (between tasks). @defaultValue Infinity */
  maxTasksPerWorker?: number
  /**
   * Replace a worker that has not answered a heartbeat for this many ms (a
   * runaway synchronous loop). A synchronous task longer than this counts as
   * unresponsive, so set it above your longest task. @defaultValue Infinity (no heartbeat)
   */
  unresponsiveTimeout?: number
  /**
   * How long an aborted task that may be running gets to finish on its own
   * before its worker is terminated (ms). A synchronous task on a worker that
   * runs one task at a time is stopped at once. @defaultValue 100
   */
  abortTimeout?: number
  /** How long a closing worker gets to finish its `teardown` before it is terminated (ms). @defaultValue 5000 */
  closeTimeout?: number
  /**
   * How long a new worker may take to report ready (ms): its file loaded,
   * `expose()` called and `setup` settled. Past it the worker is stopped and
   * counts as a failed start, like one that crashed while starting: the pool
   * backs off and tries again, and after `maxStartFailures` in a row `ready()`
   * and the waiting tasks reject with `WorkerStartError`. Set it above your
   * slowest `setup`; `Infinity` waits for ever.
   * @defaultValue 30000
   */
  startTimeout?: number
  /**
   * Error classes (an array, or a Map by name) to rebuild errors thrown in the worker as, by name, so
   * `instanceof` works on the main side. The pool's own errors and the
   * built-in ones need no registering.
   */
  errorClasses?: ErrorClasses
  /**
   * The worker's task functions, to run on the main thread, in-process, where
   * `Worker` does not exist (an old browser, server-side rendering, a test
   * environment). The pool's `stats().executor` then reads
   * `'web-workers (in-process fallback)'`. Left out, `webWorkers()` throws
   * there instead. @defaultValue undefined (no fallback)
   */
  fallback?: TaskFunctions | TaskFunction
}
