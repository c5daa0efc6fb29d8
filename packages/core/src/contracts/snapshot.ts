/**
 * Task counters since the pool was created. Once the pool is idle,
 * `submitted === completed + failed + cancelled + timedOut + rejected`.
 * @public
 */
export interface PoolCounters {
  /**
   * Every task submitted (one per `run`/`submit` call, one per input of `map`
   * and `runAll`), accepted or not. A call whose options are invalid throws and
   * is not counted.
   */
  readonly submitted: number
  /**
   * Tasks handed to a worker: one per attempt (each retry starts one more),
   * plus one each time a task that a dying worker held unstarted (prefetched
   * behind others) is handed to another worker.
   */
  readonly started: number
  /** Tasks that returned a value. */
  readonly completed: number
  /** Tasks that threw on their last attempt. */
  readonly failed: number
  /** Tasks refused at admission, dropped from the queue, or unstarted at close. */
  readonly rejected: number
  /** Tasks whose signal aborted, or that `destroy()` aborted while they ran. */
  readonly cancelled: number
  /** Tasks that timed out on their last attempt. */
  readonly timedOut: number
  /** Retries scheduled (one per extra attempt); a breaker's re-run of the same attempt (a 429) is not one. */
  readonly retried: number
  /** Tasks handed to the dead-letter sink. */
  readonly deadLettered: number
}

/**
 * Worker counts at one moment.
 * @public
 */
export interface WorkerCounts {
  /** Workers started and not yet exited (starting ones included). */
  readonly total: number
  /** Workers running at least one task. */
  readonly busy: number
  /** Workers ready and running nothing. */
  readonly idle: number
  /** Workers asked for and not yet ready. */
  readonly starting: number
}

/**
 * One worker, as `stats().perWorker` lists it.
 * @public
 */
export interface WorkerStatus {
  /** The pool's id for the worker. */
  readonly id: number
  /** `'starting'` until it reports ready. */
  readonly state: 'starting' | 'ready'
  /** Tasks it is running (or holds ahead, for executors that prefetch). */
  readonly running: number
  /**
   * Tasks the pool may hand it at once now: the executor's `tasksPerWorker`,
   * or less where the executor lowered it (the node adapter sends fewer tasks
   * ahead when they are long).
   */
  readonly capacity: number
  /** Tasks it has finished, any outcome. */
  readonly finished: number
  /** Its event-loop utilization (0 to 1) over the last measuring window, where the executor reports it. */
  readonly eventLoopUtilization: number | undefined
  /** Its heap in use, in bytes, where the executor reports it. */
  readonly heapUsed: number | undefined
}

/**
 * What `pool.stats()` returns.
 * @public
 */
export interface PoolStats {
  /** The pool's name. */
  readonly name: string
  /** The executor's kind (`'in-process'`, `'threads'`...). */
  readonly executor: string
  /** The worker count the pool is aiming for. */
  readonly targetWorkers: number
  /**
   * The most tasks that may run at once: target workers times the tasks each
   * runs at once (the executor's `runsPerWorker`; for the node and web
   * adapters, `concurrentTasksPerWorker`).
   */
  readonly concurrency: number
  /**
   * The most tasks the pool may hand its workers at once: target workers times
   * the executor's `tasksPerWorker`. It is `concurrency` plus, for executors
   * that send tasks ahead (the node and web adapters' `prefetch`), the tasks
   * that may wait in the workers to start next. `running` never exceeds it;
   * each worker's share in use now is `perWorker[i].capacity`.
   */
  readonly capacity: number
  readonly workers: WorkerCounts
  /** Each live worker, with its own measurements where the executor has them. */
  readonly perWorker: readonly WorkerStatus[]
  /** Tasks waiting in the queue. */
  readonly queued: number
  /**
   * Tasks handed to workers and not yet settled: running, or, for executors
   * that send tasks ahead, waiting in a worker to start. At most `capacity`.
   */
  readonly running: number
  /** Tasks waiting out a retry backoff or a breaker hold before they queue again. */
  readonly delayed: number
  /** Callers waiting for room in a full queue (`onQueueFull: 'wait'`). */
  readonly waitingForRoom: number
  readonly counters: PoolCounters
  /** Mean time a task waited in the queue, per attempt (ms). */
  readonly meanWaitMs: number
  /** Mean time a task ran, per attempt (ms). */
  readonly meanRunMs: number
  /** `'open'`, `'paused'`, `'closing'` or `'closed'`. */
  readonly state: PoolState
}

/**
 * The life cycle of a pool.
 * @public
 */
export type PoolState = 'open' | 'paused' | 'closing' | 'closed'

/**
 * What a {@link Scaler} is shown each time it is asked: the pool's state and the
 * rates and latencies since the previous time.
 * @public
 */
export interface PoolSnapshot {
  /** Clock time of the snapshot (ms). */
  readonly now: number
  /** Time since the previous snapshot (ms); 0 the first time. */
  readonly intervalMs: number
  readonly workers: WorkerCounts
  /** The worker count the pool is aiming for now. */
  readonly targetWorkers: number
  /**
   * Tasks the pool may hand one worker at once (the executor's
   * `tasksPerWorker`): the ones it runs plus any sent ahead to wait in it.
   */
  readonly tasksPerWorker: number
  /**
   * Tasks one worker runs at once (the executor's `runsPerWorker`): what a
   * scaler that sizes the pool from run times divides by. The pool always
   * fills it; it is optional so that hand-made snapshots (tests) need not.
   */
  readonly runsPerWorker?: number
  readonly queued: number
  readonly running: number
  /** Tasks submitted per second over the interval. */
  readonly arrivalRate: number
  /** Tasks finished (any outcome that ran) per second over the interval. */
  readonly completionRate: number
  /** Share of finished tasks that failed or timed out over the interval, 0 to 1. */
  readonly errorRate: number
  /** Mean queue wait of the tasks started over the interval (ms). */
  readonly meanWaitMs: number
  /** Mean run time of the tasks finished over the interval (ms). */
  readonly meanRunMs: number
  /** Busy worker-time over available worker-time across the interval, 0 to 1. */
  readonly utilization: number
  /** Mean event-loop utilization of the workers, where the executor reports it. */
  readonly eventLoopUtilization: number | undefined
  /**
   * When each idle worker became idle (it started, or its last task ended), on
   * the pool's clock, oldest first: one entry per idle worker. A scaler that
   * retires the workers idle for a while counts the entries at least its
   * timeout before `now`, which sampling the idle count cannot tell (a worker
   * seen idle at every snapshot may have run the peaks between them). The pool
   * always fills it; it is optional so that hand-made snapshots (tests) need not.
   */
  readonly idleSince?: readonly number[]
}
