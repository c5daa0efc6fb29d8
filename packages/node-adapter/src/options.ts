import type { ErrorClasses } from '@poolkit/core'

/**
 * Options shared by `threads()` and `processes()`.
 * @public
 */
export interface NodeWorkerOptions {
  /** Environment of the workers. @defaultValue a copy of `process.env` */
  env?: Record<string, string | undefined>
  /**
   * Data every worker can read with `getWorkerData()` from
   * `@poolkit/node-adapter/worker`: at its file's top level, in `setup` and in
   * tasks. Each worker gets its own copy as it starts. Threads get a structured
   * clone (also as `worker_threads.workerData`). A child process gets it over
   * its IPC channel before its file runs, never through its environment, with
   * the executor's `serialization`: `'advanced'` (the default) copies what
   * structured clone copies (Maps, Sets, Dates, typed arrays, BigInts);
   * `'json'` takes JSON values only. A value the workers cannot receive is
   * refused with a `TypeError` when the executor is made. Its size is bounded
   * only by what that copy carries (see the README's "Limits").
   * @defaultValue undefined
   */
  workerData?: unknown
  /** Arguments for the worker's `process.argv`. @defaultValue [] */
  argv?: readonly string[]
  /**
   * Node options for the worker (`--enable-source-maps`, a TypeScript loader...).
   * @defaultValue the main process's `process.execArgv`
   */
  execArgv?: readonly string[]
  /** A name for the workers, shown in debuggers and heap snapshots. */
  name?: string
  /**
   * Tasks one worker runs at once. Above 1 only helps async task functions
   * (I/O inside the worker); synchronous ones always run one at a time.
   * @defaultValue 1
   */
  concurrentTasksPerWorker?: number
  /**
   * The most tasks sent to a worker ahead of the ones it runs, so it never sits
   * idle waiting for a round trip; the worker sends results back each time half
   * of its window is done, and gets more work meanwhile. How many are sent
   * ahead within this limit follows `prefetchMs`. They count toward the pool's
   * running tasks, and their timeouts start when they are sent (so a timeout
   * includes the tasks waiting ahead of it in the worker). Aborting one that has
   * not started drops it without stopping the worker. Set 0 for strict
   * one-task-at-a-time dispatch (exact timeouts and priorities).
   * @defaultValue 256
   */
  prefetch?: number
  /**
   * How much work, in milliseconds, to keep waiting in each worker: the adapter
   * measures how long the worker's tasks take (each result batch carries it)
   * and sends about `prefetchMs` of them ahead, at least 1 and at most
   * `prefetch`. Short tasks get a deep window, so the worker never waits for
   * the main thread; long ones get a shallow one, so a slow task holds few
   * others behind it, their timeouts start close to when they run, and a
   * higher priority that arrives later overtakes them. A new worker starts
   * with 1 ahead until its first results come back. `Infinity` always sends
   * `prefetch` ahead. The default of 3 ms let 2 workers hash 3,000 buffers
   * 3% to 4% faster than 1 ms did (fewer wake-ups of the main thread), at the
   * cost of timeouts and priorities that are up to 3 ms of work coarse.
   *
   * When the main thread is slow to read results (its event loop busy with
   * its own work, or a machine with more runnable threads than cores), the
   * window also covers twice that delay, measured on each result batch, up to
   * 50 ms of work (or `prefetchMs`, if larger), and shrinks back once the
   * delay goes: the workers keep working while the main thread cannot answer.
   * @defaultValue 3
   */
  prefetchMs?: number
  /**
   * Dynamic sizing: each worker idle this long (ms) is stopped, down to
   * `minWorkers`; workers are added again (up to the pool's `concurrency`) when
   * tasks wait. This is core's `idleScaler({ min: minWorkers, idleTimeout })`,
   * the one idle rule of poolkit. Left out, the pool keeps `concurrency`
   * workers. A `scaler` given to the pool takes precedence.
   * @defaultValue Infinity (fixed size)
   */
  idleTimeout?: number
  /** The fewest workers kept with `idleTimeout`. @defaultValue 0 */
  minWorkers?: number
  /** Replace a worker after it has been given this many tasks (between tasks, never in the middle of one). @defaultValue Infinity */
  maxTasksPerWorker?: number
  /**
   * Replace a worker, between tasks, once its heap (reported after its tasks)
   * passes this many megabytes. @defaultValue Infinity
   */
  maxHeapBeforeRecycle?: number
  /**
   * Replace a worker that has not answered a heartbeat for this many ms (a
   * deadlock, a runaway synchronous loop). A synchronous task longer than this
   * counts as unresponsive, so set it above your longest task. @defaultValue Infinity (no heartbeat)
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
   * Error classes to rebuild errors thrown in the worker as, by name, so
   * `instanceof` works on the main side. The pool's own errors and the
   * built-in ones need no registering.
   */
  errorClasses?: ErrorClasses
}

/**
 * Options of `threads()`.
 * @public
 */
export interface ThreadsOptions extends NodeWorkerOptions {
  /** V8 heap and stack limits of each thread (`worker_threads` `resourceLimits`). */
  resourceLimits?: {
    maxOldGenerationSizeMb?: number
    maxYoungGenerationSizeMb?: number
    codeRangeSizeMb?: number
    stackSizeMb?: number
  }
}

/**
 * Options of `processes()`.
 * @public
 */
export interface ProcessesOptions extends NodeWorkerOptions {
  /**
   * How messages (inputs, results and `workerData`) are encoded: `'advanced'`
   * (structured clone: typed arrays, Maps, Dates, BigInts) or `'json'` (JSON
   * values only). @defaultValue 'advanced'
   */
  serialization?: 'advanced' | 'json'
}
