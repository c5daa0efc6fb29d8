import type { Clock, TimerHandle } from './clock.js'
import type { Breaker, BreakerDenial, BreakerRetry } from './contracts/breaker.js'
import type { DeadLetterSink } from './contracts/dead-letter.js'
import type { AsyncDisposableLike } from './disposable.js'
import type { Executor, WorkerTask } from './contracts/executor.js'
import type { PoolObserver } from './contracts/observer.js'
import type { Scaler } from './contracts/scaler.js'
import type { WorkerSelector } from './contracts/selector.js'
import type { PoolSnapshot, PoolState, PoolStats } from './contracts/snapshot.js'
import type { RejectReason, RunOptions, TaskInfo, TaskOutcome, TaskResult } from './contracts/task.js'
import type { TaskQueue } from './contracts/task-queue.js'
import { CircuitOpenError, ErrorCode, PoolClosedError, QueueFullError, TaskDroppedError, TaskTimeoutError } from './errors.js'
import type { WorkerStartError } from './errors.js'
import { backoffDelay } from './internal/backoff.js'
import { Emitter } from './internal/emitter.js'
import { LoadMeter } from './internal/load-meter.js'
import { atMostMaxWorkers, resolveOptions } from './internal/resolve-options.js'
import type { Observers } from './internal/resolve-options.js'
import { mapResults, runAllInputs } from './internal/map.js'
import { RingBuffer } from './internal/ring-buffer.js'
import { DELAYED, DONE, ENDED, HoldRecord, QUEUED, RUNNING, TaskList, TaskRecord, taskInfoOf, WAITING_ROOM } from './internal/task-record.js'
import type { AttemptContext } from './internal/task-record.js'
import * as check from './internal/validate.js'
import type { WorkerSlot } from './internal/worker-slot.js'
import { WorkerSet } from './internal/worker-set.js'
import { Priority } from './priority.js'
import type {
  BackoffOptions,
  CloseOptions,
  CloseReport,
  MapOptions,
  PoolEvents,
  PoolOptions,
  QueueFullPolicy,
  RunAllOptions,
  TaskHandler,
} from './pool-options.js'

/** A key's held tasks, in queue order, and the timer for the earliest `retryAt` among them. */
interface HeldKey<I, O> {
  readonly tasks: Set<TaskRecord<I, O>>
  timer: TimerHandle | undefined
  at: number
}

/** Whether `onFailure` returned a retry verdict (a finite or infinite `retryAt`). */
function isRetry(verdict: unknown): verdict is BreakerRetry {
  return typeof verdict === 'object' && verdict !== null && typeof (verdict as BreakerRetry).retryAt === 'number' && !Number.isNaN((verdict as BreakerRetry).retryAt)
}

/** The task whose promise `capture` is making (set right before each `new Promise`). */
let capturing: TaskRecord<any, any> | undefined
function capture(resolve: (value: any) => void, reject: (error: unknown) => void): void {
  capturing!.resolve = resolve
  capturing!.reject = reject
  capturing = undefined
}

/**
 * A pool of workers that runs tasks with bounded concurrency, priorities,
 * backpressure, timeouts, cancellation and retries. Made by `createPool`.
 * `AsyncDisposable` (`await using pool = createPool(...)` closes it) where the
 * TypeScript `lib` declares `Symbol.asyncDispose` (see {@link AsyncDisposableLike}).
 * @public
 */
export interface Pool<I, O> extends AsyncDisposableLike {
  /** The pool's name, from the options. */
  readonly name: string
  /** `'open'`, `'paused'`, `'closing'` or `'closed'`. */
  readonly state: PoolState
  /**
   * Runs one task and resolves to its output. Rejects with the task's own error,
   * `TaskTimeoutError`, the signal's reason when cancelled, `QueueFullError`,
   * `TaskDroppedError`, `CircuitOpenError`, `WorkerExitError` or `PoolClosedError`.
   */
  run(input: I, options?: RunOptions): Promise<O>
  /**
   * Runs one task and calls `callback` with its {@link TaskResult} (never
   * throws through it; an error in the callback goes to the `error` event).
   * Returns the task's id, or -1 when the options were invalid (the callback
   * then gets the TypeError).
   */
  submit(input: I, callback: (result: TaskResult<O>) => void, options?: RunOptions): number
  /**
   * Runs a task per input, yielding each {@link TaskResult} in input order (or
   * as completed with `ordered: false`). At most `window` tasks are in flight,
   * so long or endless inputs do not sit in memory. Breaking out of the loop
   * cancels the tasks still in flight.
   */
  map(inputs: Iterable<I> | AsyncIterable<I>, options?: MapOptions): AsyncGenerator<TaskResult<O>, void, undefined>
  /**
   * Runs a task per input and resolves to the outputs in input order. Rejects
   * with the first failure and cancels the tasks not yet finished.
   */
  runAll(inputs: Iterable<I> | AsyncIterable<I>, options?: RunAllOptions): Promise<O[]>
  /** Counts and means at this moment. */
  stats(): PoolStats
  /**
   * Resolves when the initial workers are ready. Rejects with
   * `WorkerStartError` when they kept failing to start, or when the pool closed
   * before they were ready after a failed start; with `PoolClosedError` when it
   * closed before they were ready otherwise.
   */
  ready(): Promise<void>
  /** Stops starting tasks; submitted tasks queue until `resume()`. */
  pause(): void
  /** Starts tasks again after `pause()`. */
  resume(): void
  /**
   * Sets the worker count (at most 1,048,576). Growing starts workers;
   * shrinking retires idle workers at once and busy ones as they finish their task.
   */
  resize(workers: number): void
  /** Resolves when nothing is queued, running or waiting to retry. */
  onIdle(): Promise<void>
  /**
   * Stops admission and lets running and queued tasks finish, then stops the
   * workers. Past `timeout`, unstarted tasks are rejected with `PoolClosedError`
   * and running ones are aborted; the report lists both.
   */
  close(options?: CloseOptions): Promise<CloseReport>
  /** Closes at once: like `close({ timeout: 0 })`. */
  destroy(): Promise<CloseReport>
  /** Listens to an event; returns a function that removes the listener. */
  on<K extends keyof PoolEvents>(event: K, listener: PoolEvents[K]): () => void
}

/**
 * Creates a pool. Give a `handler` to run tasks in-process, or an `executor`
 * from an adapter to run them on threads, processes or Web Workers.
 * @example
 * ```ts
 * const pool = createPool({
 *   handler: async (url: string, { signal }) => (await fetch(url, { signal })).json(),
 *   concurrency: 16,
 *   taskTimeout: 10_000,
 *   retry: { attempts: 3 },
 * })
 * const data = await pool.run('https://example.com/a.json', { priority: Priority.High })
 * await pool.close()
 * ```
 * @public
 */
export function createPool<I, O>(options: PoolOptions<I, O> & { handler: TaskHandler<I, O> }): Pool<I, O>
/** @public */
export function createPool<I, O>(options: PoolOptions<I, O>): Pool<I, O>
export function createPool<I, O>(options: PoolOptions<I, O>): Pool<I, O> {
  return new PoolImpl<I, O>(options)
}

class PoolImpl<I, O> implements Pool<I, O> {
  readonly name: string
  private readonly executor: Executor<I, O>
  private readonly clock: Clock
  private readonly queue: TaskQueue<TaskRecord<I, O>>
  private readonly maxQueue: number
  private readonly onQueueFull: QueueFullPolicy
  private readonly queueWaitTimeout: number
  private readonly drainThreshold: number
  private readonly taskTimeout: number
  private readonly attempts: number
  private readonly backoff: Required<BackoffOptions>
  private readonly retryIf: ((error: unknown, task: TaskInfo) => boolean) | undefined
  private readonly maxBreakerRetries: number
  private readonly deadLetter: DeadLetterSink<I> | undefined
  private readonly scaler: Scaler | undefined
  private readonly breaker: Breaker | undefined
  private readonly selector: WorkerSelector | undefined
  private readonly random: () => number
  private readonly obs: Observers
  private readonly events = new Emitter<PoolEvents>((error) => [error])

  private lifecycle: 'open' | 'closing' | 'closed' = 'open'
  private paused: boolean
  private dispatching = false
  /** No selector, breaker or custom queue stands between a free worker and a new task. */
  private readonly directStart: boolean
  private nextTaskId = 1

  private readonly workers: WorkerSet
  /** Tasks a worker runs at once, of the `tasksPerWorker` it may hold. */
  private readonly runsPerWorker: number
  private readonly minWorkers: number
  private readonly maxWorkers: number
  /** Set when workers kept failing to start and none is left: tasks are refused with it. */
  private startFailure: WorkerStartError | undefined = undefined

  // Tasks.
  private running = 0
  private readonly runningTasks = new TaskList<I, O>()
  private readonly delayedTasks = new Set<TaskRecord<I, O>>()
  /** The signals tasks carry, each with its one listener and the tasks it would abort. */
  private readonly signals = new Map<AbortSignal, { readonly tasks: Set<TaskRecord<I, O>>; readonly onAbort: () => void }>()
  /** Tasks a breaker holds, by key, in queue order, each key with one timer for the earliest `retryAt`. */
  private readonly held = new Map<string | undefined, HeldKey<I, O>>()
  private readonly roomWaiters = new RingBuffer<TaskRecord<I, O>>()
  private drainArmed = false
  /** The 'idle' event fired and no task was submitted since. */
  private idleNotified = true
  private idleWaiters: (() => void)[] = []

  // Counters.
  private submitted = 0
  private completed = 0
  private failed = 0
  private rejected = 0
  private cancelled = 0
  private timedOut = 0
  private retried = 0
  private deadLettered = 0
  private startedCount = 0
  private finishedCount = 0
  private totalWaitMs = 0
  private totalRunMs = 0
  private settledTotal = 0

  // Scaler window.
  private scalerTimer: TimerHandle | undefined
  private readonly meter: LoadMeter | undefined

  // Closing.
  private closePromise: Promise<CloseReport> | undefined
  private closeResolve: ((report: CloseReport) => void) | undefined
  private closeTimer: TimerHandle | undefined
  private closeStartedAt = 0
  /** When a close timeout passes, on the clock; Infinity without one. Held tasks that cannot run before it are settled. */
  private closeDeadline = Infinity
  /** Tasks settled as unstarted while the pool closed (held past the deadline): they go in the report. */
  private readonly unstartedAtClose: TaskRecord<I, O>[] = []
  private settlingHolds = false
  private settledAtClose = 0
  /** Callers refused since the close began: never accepted, so not in the report. */
  private refusedAtClose = 0
  private report: CloseReport | undefined

  constructor(options: PoolOptions<I, O>) {
    const o = resolveOptions(options)
    this.executor = o.executor
    this.name = o.name
    this.clock = o.clock
    this.queue = o.queue
    this.maxQueue = o.maxQueue
    this.onQueueFull = o.onQueueFull
    this.queueWaitTimeout = o.queueWaitTimeout
    this.drainThreshold = o.drainThreshold
    this.taskTimeout = o.taskTimeout
    this.attempts = o.attempts
    this.backoff = o.backoff
    this.retryIf = o.retryIf
    this.maxBreakerRetries = o.maxBreakerRetries
    this.deadLetter = o.deadLetter
    this.breaker = o.breaker
    if (this.breaker?.attach !== undefined) {
      const breaker = this.breaker
      this.guard(() => breaker.attach!((key) => this.wake(key)))
    }
    this.selector = o.selector
    this.random = o.random
    this.paused = o.paused
    this.obs = o.observers
    this.scaler = o.scaler
    this.minWorkers = o.minWorkers
    this.maxWorkers = o.maxWorkers
    this.runsPerWorker = o.runsPerWorker
    this.directStart = o.defaultQueue && this.selector === undefined && this.breaker === undefined
    this.meter = this.scaler === undefined ? undefined : new LoadMeter(this.clock.now())
    this.workers = new WorkerSet(o.executor, this.clock, o.tasksPerWorker, o.initialWorkers, o.maxStartFailures, {
      isClosed: () => this.lifecycle === 'closed',
      isOpen: () => this.lifecycle === 'open',
      onCapacity: () => this.dispatch(),
      onStarted: (worker) => {
        if (this.obs.onWorkerStarted !== undefined) this.notify('onWorkerStarted', worker)
      },
      onExited: (worker, reason, error) => {
        if (this.obs.onWorkerExited !== undefined) this.notify('onWorkerExited', worker, reason, error)
      },
      onError: (error) => this.emitError(error),
      onGaveUp: (error) => this.onNoWorkers(error),
    })
    // Before the first worker event, so an observer has the pool's view from the start.
    if (this.obs.onAttached !== undefined) this.notify('onAttached', this)
    this.workers.start()
    this.startScaler()
  }


  // ---------------------------------------------------------------- public API

  get state(): PoolState {
    return this.lifecycle === 'open' ? (this.paused ? 'paused' : 'open') : this.lifecycle
  }

  run(input: I, options?: RunOptions): Promise<O> {
    let task: TaskRecord<I, O>
    try {
      task = this.createTask(input, options)
    } catch (error) {
      return Promise.reject(error)
    }
    // One executor for every promise (no closure per task): it hands the
    // resolving functions to the task created just before.
    capturing = task
    const promise = new Promise<O>(capture)
    try {
      this.admit(task)
    } catch (error) {
      task.reject!(error)
    }
    return promise
  }

  submit(input: I, callback: (result: TaskResult<O>) => void, options?: RunOptions): number {
    check.func('callback', callback)
    let task: TaskRecord<I, O>
    try {
      task = this.createTask(input, options)
    } catch (error) {
      this.callBack(callback, { id: -1, ok: false, error, waitMs: 0, runMs: 0, attempts: 0 })
      return -1
    }
    task.callback = callback
    this.admit(task)
    return task.id
  }

  map(inputs: Iterable<I> | AsyncIterable<I>, options?: MapOptions): AsyncGenerator<TaskResult<O>, void, undefined> {
    // Checked here, not per task (nor at the first next()), so bad options fail the call once.
    if (options !== undefined) {
      check.runOptions(options)
      if (options.window !== undefined) check.positiveInteger('options.window', options.window)
      if (options.ordered !== undefined) check.boolean('options.ordered', options.ordered)
    }
    return mapResults(this, inputs, options, this.defaultWindow())
  }

  runAll(inputs: Iterable<I> | AsyncIterable<I>, options?: RunAllOptions): Promise<O[]> {
    try {
      if (options !== undefined) check.runOptions(options)
      return runAllInputs(this, inputs, options, this.defaultWindow())
    } catch (error) {
      return Promise.reject(error)
    }
  }

  stats(): PoolStats {
    const target = this.workers.target
    return {
      name: this.name,
      executor: this.executor.kind,
      targetWorkers: target,
      concurrency: target * this.runsPerWorker,
      capacity: target * this.workers.tasksPerWorker,
      workers: this.workers.counts(),
      perWorker: this.workers.details(),
      queued: this.queue.size,
      running: this.running,
      delayed: this.delayedTasks.size,
      waitingForRoom: this.roomWaiters.length,
      counters: {
        submitted: this.submitted,
        started: this.startedCount,
        completed: this.completed,
        failed: this.failed,
        rejected: this.rejected,
        cancelled: this.cancelled,
        timedOut: this.timedOut,
        retried: this.retried,
        deadLettered: this.deadLettered,
      },
      meanWaitMs: this.startedCount === 0 ? 0 : this.totalWaitMs / this.startedCount,
      meanRunMs: this.finishedCount === 0 ? 0 : this.totalRunMs / this.finishedCount,
      state: this.state,
    }
  }

  ready(): Promise<void> {
    return this.workers.ready()
  }

  pause(): void {
    if (this.lifecycle === 'open') this.paused = true
  }

  resume(): void {
    if (!this.paused) return
    this.paused = false
    this.dispatch()
  }

  resize(workers: number): void {
    atMostMaxWorkers('resize(workers)', check.positiveInteger('resize(workers)', workers))
    if (this.lifecycle !== 'open') return
    this.workers.target = this.scaler === undefined ? workers : Math.max(this.minWorkers, Math.min(this.maxWorkers, workers))
    this.startFailure = undefined
    this.workers.apply()
  }

  onIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  on<K extends keyof PoolEvents>(event: K, listener: PoolEvents[K]): () => void {
    check.oneOf('on(event)', event, ['idle', 'drain', 'error', 'close'])
    check.func('on(listener)', listener)
    return this.events.on(event, listener)
  }

  close(options?: CloseOptions): Promise<CloseReport> {
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new TypeError(`options must be an object, got ${check.describe(options)}`)
    }
    const timeout = options?.timeout === undefined ? Infinity : check.duration('options.timeout', options.timeout)
    const first = this.closePromise === undefined
    if (first) this.beginClose()
    // A later close({ timeout }) can still set a deadline on a close that had none.
    if (timeout !== Infinity && this.closeTimer === undefined && this.report === undefined) {
      this.closeDeadline = this.clock.now() + timeout
      this.closeTimer = this.clock.setTimeout(() => {
        this.closeTimer = undefined
        this.forceClose()
      }, timeout)
      if (!first) this.settleHoldsAtClose()
    }
    if (first) {
      this.settleHoldsAtClose()
      this.maybeFinishClose()
    }
    return this.closePromise!
  }

  destroy(): Promise<CloseReport> {
    if (this.lifecycle === 'closed') return this.closePromise!
    if (this.closePromise === undefined) this.beginClose()
    this.forceClose()
    return this.closePromise!
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  // ---------------------------------------------------------------- admission

  private createTask(input: I, options: RunOptions | undefined): TaskRecord<I, O> {
    if (options === undefined) {
      return new TaskRecord<I, O>(this.nextTaskId++, input, this.clock.now(), Priority.Normal, undefined, undefined, undefined, this.taskTimeout, undefined)
    }
    check.runOptions(options)
    const timeout = options.timeout ?? this.taskTimeout
    return new TaskRecord<I, O>(
      this.nextTaskId++,
      input,
      this.clock.now(),
      options.priority ?? Priority.Normal,
      options.key,
      options.name,
      options.transfer,
      timeout === 0 ? Infinity : timeout,
      options.signal,
    )
  }

  private admit(task: TaskRecord<I, O>): void {
    this.submitted++
    this.meter?.onSubmitted()
    if (this.obs.onSubmitted !== undefined) this.notifySubmitted(task)
    if (this.lifecycle !== 'open') {
      if (this.lifecycle === 'closing') this.refusedAtClose++
      this.rejectTask(task, 'closed', new PoolClosedError())
      return
    }
    if (this.startFailure !== undefined) {
      this.rejectTask(task, 'no-workers', this.startFailure)
      return
    }
    const signal = task.userSignal
    if (signal?.aborted === true) {
      this.settleFailure(task, 'cancelled', signal.reason)
      return
    }
    this.idleNotified = false
    let denial: BreakerDenial | undefined
    if (this.breaker !== undefined) {
      denial = this.guard(() => this.breaker!.admit(task))
      // The breaker is user code: it may have aborted the signal meanwhile.
      if (isAborted(signal)) {
        this.settleFailure(task, 'cancelled', signal!.reason)
        return
      }
      if (denial !== undefined && denial.hold !== true) {
        this.refuse(task, denial)
        return
      }
      task.admitted = true
    }
    if (signal !== undefined) this.watchSignal(task, signal)
    if (denial !== undefined) {
      this.hold(task, denial.retryAt)
      return
    }
    // Fast path: a free worker and nobody ahead in the queue. A queue of the
    // user's own sees every task (it may refuse some, or count them).
    if (this.workers.free > 0 && this.queue.size === 0 && !this.paused && this.directStart) {
      this.start(task, this.workers.pick(), true, task.submittedAt)
      return
    }
    // A task a free worker takes at once never waits, so it does not count against maxQueue.
    if (this.queue.size >= this.maxQueue && (this.paused || this.workers.free === 0 || this.queue.size > 0)) {
      switch (this.onQueueFull) {
        case 'reject':
          this.rejectTask(task, 'queue-full', new QueueFullError(this.maxQueue))
          return
        case 'drop-oldest': {
          // A dropped task's callback may submit again and refill the place: loop.
          while (this.queue.size >= this.maxQueue) {
            const victim = this.queue.evict!()
            if (victim === undefined) {
              this.rejectTask(task, 'queue-full', new QueueFullError(this.maxQueue))
              return
            }
            this.rejectTask(victim, 'dropped', new TaskDroppedError())
          }
          break
        }
        case 'wait':
          this.waitForRoom(task)
          return
      }
    }
    this.enqueue(task, task.submittedAt)
    this.dispatch()
  }

  private waitForRoom(task: TaskRecord<I, O>): void {
    task.state = WAITING_ROOM
    this.roomWaiters.push(task)
    if (this.queueWaitTimeout !== Infinity) {
      task.timer = this.clock.setTimeout(() => {
        task.timer = undefined
        if (task.state !== WAITING_ROOM) return
        this.roomWaiters.remove(task)
        this.rejectTask(task, 'queue-full', new QueueFullError(this.maxQueue, { message: `The queue stayed full (${this.maxQueue} tasks waiting) for ${this.queueWaitTimeout} ms` }))
      }, this.queueWaitTimeout)
    }
  }

  /** Lets callers waiting for room into the queue, oldest first. */
  private admitWaiters(): number {
    let admitted = 0
    // Room is a queue place, or a free worker that will take the task at once
    // (with maxQueue 0, 'wait' hands tasks straight to workers, like an unbuffered channel).
    while (this.roomWaiters.length > 0 && (this.queue.size < this.maxQueue || (!this.paused && this.workers.free > this.queue.size))) {
      const task = this.roomWaiters.shift()!
      this.clearTimer(task)
      this.enqueue(task)
      admitted++
    }
    return admitted
  }

  private enqueue(task: TaskRecord<I, O>, now: number = this.clock.now(), front = false): void {
    if (this.startFailure !== undefined) {
      // Coming back (a retry, a hold, a task a dead worker never started) after
      // the pool gave up on starting workers: nothing will ever run it.
      this.rejectTask(task, 'no-workers', this.startFailure)
      return
    }
    task.state = QUEUED
    task.enqueuedAt = now
    try {
      if (front && this.queue.unshift !== undefined) this.queue.unshift(task)
      else this.queue.push(task)
    } catch (error) {
      this.rejectTask(task, 'queue-full', error)
      return
    }
    if (this.queue.size >= this.drainThreshold) this.drainArmed = true
    if (this.workers.free === 0) {
      if (this.workers.target === 0) this.growFromZero()
      else if (this.scaler?.onPressure === true) this.evaluateScaler()
    }
  }

  /**
   * A task waits and the pool has no worker (a scaler at min 0): start one now.
   * The scaler's tick does not keep the process alive, and the task cannot wait for it.
   */
  private growFromZero(): void {
    if (this.scaler !== undefined) this.evaluateScaler()
    if (this.workers.target > 0 || this.lifecycle === 'closed') return
    this.workers.target = Math.min(this.maxWorkers, Math.max(1, this.minWorkers))
    this.workers.apply()
  }

  // ---------------------------------------------------------------- dispatch

  /** Starts queued tasks while workers have room. `now`, when the caller has it, saves a clock read. */
  private dispatch(now?: number): void {
    // A handler that settles synchronously re-enters here through finish(); the
    // outer loop picks the work up, so the stack stays flat.
    if (this.dispatching) return
    this.dispatching = true
    try {
      for (;;) {
        let declined = false
        while (this.workers.free > 0 && this.queue.size > 0 && !this.paused) {
          let worker: WorkerSlot | undefined
          if (this.selector !== undefined) {
            worker = this.selectWorker(this.queue.peek!()!)
            if (worker === undefined) {
              // The selector keeps the task queued until a worker frees up.
              declined = true
              break
            }
          }
          const task = this.queue.shift()!
          if (this.breaker !== undefined) {
            const denial = this.guard(() => this.breaker!.acquire(task))
            if (denial !== undefined) {
              this.onDenied(task, denial)
              continue
            }
          }
          // The caller's timestamp (a task's finish) is exact for the first start; a
          // handler may run synchronously for a while, so later starts read the clock.
          now ??= this.clock.now()
          if (worker === undefined) this.start(task, this.workers.pick(), true, now)
          else this.start(task, worker, false, now)
          now = undefined
        }
        // Callers let in from the wait line may be startable at once.
        if (declined || this.roomWaiters.length === 0 || this.admitWaiters() === 0) break
      }
    } finally {
      this.dispatching = false
    }
    this.checkDrain()
  }

  private checkDrain(): void {
    if (this.drainArmed && this.queue.size < this.drainThreshold) {
      this.drainArmed = false
      this.emit('drain', [])
    }
  }

  private selectWorker(task: TaskRecord<I, O>): WorkerSlot | undefined {
    const candidates = this.workers.candidates()
    const chosen = this.guard(() => this.selector!.select(candidates, task))
    if (chosen === undefined) return undefined
    if (!candidates.includes(chosen as WorkerSlot)) {
      this.emitError(new TypeError(`options.selector.select() must return one of the candidates or undefined, got ${check.describe(chosen)}`))
      return undefined
    }
    return chosen as WorkerSlot
  }

  private onDenied(task: TaskRecord<I, O>, denial: BreakerDenial): void {
    if (denial.hold === true) this.hold(task, denial.retryAt)
    else this.refuse(task, denial)
  }

  /** Rejects a task a breaker refused: with the breaker's error, or a CircuitOpenError. */
  private refuse(task: TaskRecord<I, O>, denial: BreakerDenial): void {
    const error = denial.error ?? new CircuitOpenError(task.key, denial.retryAt)
    this.rejectTask(task, error instanceof QueueFullError ? 'queue-full' : 'circuit-open', error)
  }

  /**
   * Keeps a task the breaker holds out of the queue until its key's earliest
   * `retryAt` (at least 1 ms away, so a breaker saying "now" cannot spin
   * dispatch) or until the breaker wakes the key; other keys go on running.
   */
  private hold(task: TaskRecord<I, O>, retryAt: number): void {
    if (this.lifecycle === 'closing' && !this.mayRunBeforeClose(retryAt)) {
      this.settleUnstarted([task])
      return
    }
    task.state = DELAYED
    this.delayedTasks.add(task)
    // A held task waits at most what is left of its timeout (a timer of its own, kept alive).
    if (task.timeoutMs !== Infinity) {
      const now = this.clock.now()
      const held = (task.held ??= new HoldRecord())
      held.heldAt = now
      const left = task.timeoutMs - held.spentMs
      task.timer = this.clock.setTimeout(() => this.onHoldTimeout(task), left > 0 ? left : 0)
    }
    let h = this.held.get(task.key)
    if (h === undefined) {
      h = { tasks: new Set(), timer: undefined, at: Infinity }
      this.held.set(task.key, h)
    }
    h.tasks.add(task)
    if (retryAt === Infinity || retryAt >= h.at) return
    const key = task.key
    if (h.timer !== undefined) this.clock.clearTimeout(h.timer)
    h.at = retryAt
    h.timer = this.clock.setTimeout(() => {
      h.timer = undefined
      this.release(key)
    }, Math.max(1, retryAt - this.clock.now()))
  }

  /** A breaker's `wake`: its held tasks of `key` (of every key for `undefined`) may be admitted now. */
  private wake(key: string | undefined): void {
    if (key !== undefined) this.release(key)
    else for (const k of [...this.held.keys()]) this.release(k)
  }

  /** Puts a key's held tasks back at the front of the queue, in their order, and dispatches. */
  private release(key: string | undefined): void {
    const h = this.held.get(key)
    if (h === undefined) return
    this.held.delete(key)
    if (h.timer !== undefined) this.clock.clearTimeout(h.timer)
    const tasks = [...h.tasks]
    const now = this.clock.now()
    for (let i = tasks.length - 1; i >= 0; i--) {
      const task = tasks[i]!
      if (task.state !== DELAYED) continue
      this.delayedTasks.delete(task)
      if (task.timer !== undefined) {
        this.clearTimer(task)
        task.held!.spentMs += now - task.held!.heldAt
      }
      // Its old enqueue time: the time held counts as waiting.
      this.enqueue(task, task.enqueuedAt, true)
    }
    this.dispatch()
  }

  /** Takes one task out of its key's hold (cancelled, or out of time). */
  private unhold(task: TaskRecord<I, O>): void {
    this.delayedTasks.delete(task)
    const h = this.held.get(task.key)
    if (h === undefined || !h.tasks.delete(task) || h.tasks.size > 0) return
    if (h.timer !== undefined) this.clock.clearTimeout(h.timer)
    this.held.delete(task.key)
  }

  /** A held task used up its timeout without being let through: the attempt timed out. */
  private onHoldTimeout(task: TaskRecord<I, O>): void {
    task.timer = undefined
    if (task.state !== DELAYED) return
    this.unhold(task)
    const error = new TaskTimeoutError(task.timeoutMs, {
      message: `The task timed out after ${task.timeoutMs} ms, held by the pool's breaker (an open circuit, a full bulkhead, a rate limit or a retry hint's pause)`,
    })
    this.afterFailure(task, 'timed-out', error)
    this.checkIdle()
  }

  /** Whether a task held until `retryAt` may still run before the close deadline (`Infinity`: until a wake, which only running tasks bring). */
  private mayRunBeforeClose(retryAt: number): boolean {
    return retryAt === Infinity ? this.running > 0 : retryAt <= this.closeDeadline
  }

  /** While closing: settles as unstarted the held tasks that cannot run before the close deadline. */
  private settleHoldsAtClose(): void {
    if (this.lifecycle !== 'closing' || this.held.size === 0) return
    const late: TaskRecord<I, O>[] = []
    for (const [key, h] of this.held) {
      if (this.mayRunBeforeClose(h.at)) continue
      this.held.delete(key)
      if (h.timer !== undefined) this.clock.clearTimeout(h.timer)
      for (const task of h.tasks) {
        if (task.state !== DELAYED) continue
        this.delayedTasks.delete(task)
        late.push(task)
      }
    }
    if (late.length > 0) this.settleUnstarted(late)
  }

  /** Rejects tasks the closing pool will not start with `PoolClosedError`, listing them in the close report. */
  private settleUnstarted(tasks: readonly TaskRecord<I, O>[]): void {
    // Listed before any is settled: a settle may finish the close, and the report must hold them all.
    this.unstartedAtClose.push(...tasks)
    this.settlingHolds = true
    try {
      for (const task of tasks) this.rejectTask(task, 'closed', new PoolClosedError('The pool closed before the task started'))
    } finally {
      this.settlingHolds = false
    }
    this.maybeFinishClose()
  }

  /** Drops every hold and its timer (the tasks themselves are settled by the caller). */
  private clearHolds(): void {
    for (const h of this.held.values()) if (h.timer !== undefined) this.clock.clearTimeout(h.timer)
    this.held.clear()
  }

  private start(task: TaskRecord<I, O>, worker: WorkerSlot, picked: boolean, now: number): void {
    task.state = RUNNING
    task.startedAt = now
    task.tries++
    const waited = now - task.enqueuedAt
    task.waitMs += waited
    this.totalWaitMs += waited
    this.startedCount++
    if (this.meter !== undefined) {
      this.meter.onSlot(now, 1)
      this.meter.onStarted(waited)
    }
    this.workers.claim(worker, picked)
    this.running++
    this.runningTasks.add(task)
    const attempt = task.attempt
    if (task.timeoutMs !== Infinity) {
      task.timer = this.clock.setTimeout(() => this.onTimeout(task, attempt), task.held === undefined ? task.timeoutMs : task.timeoutMs - task.held.spentMs)
    }
    // The context exists before observers run, so an abort from inside one reaches it.
    const context = task.beginAttempt(worker)
    if (this.obs.onStarted !== undefined) {
      this.notifyStarted(task, worker)
      if (task.state !== RUNNING || task.attempt !== attempt) {
        // An observer cancelled the task or destroyed the pool: do not run it.
        this.finish(task, worker, attempt, false, undefined)
        return
      }
    }
    const handle = worker.handle!
    if (handle.send === undefined) {
      void this.execute(task, worker, attempt, context)
      return
    }
    try {
      handle.send(task.input, context, this.onDone)
    } catch (error) {
      // As from run(): a throw fails the attempt, after this call returns.
      queueMicrotask(() => this.finish(task, worker, attempt, false, error))
    }
  }

  /** The `done` of every `send`: the context says which task, attempt and worker. */
  private readonly onDone = (task: WorkerTask, ok: boolean, value: unknown): void => {
    const context = task as AttemptContext
    this.finish(context.record as TaskRecord<I, O>, context.slot as WorkerSlot, context.attempt, ok, value)
  }

  private async execute(task: TaskRecord<I, O>, worker: WorkerSlot, attempt: number, context: WorkerTask): Promise<void> {
    let ok = true
    let value: unknown
    try {
      value = await worker.handle!.run(task.input, context)
    } catch (error) {
      ok = false
      value = error
    }
    this.finish(task, worker, attempt, ok, value)
  }

  /** The worker is done with an attempt: free its slot, then settle the task if it is still waiting on this attempt. */
  private finish(task: TaskRecord<I, O>, worker: WorkerSlot, attempt: number, ok: boolean, value: unknown): void {
    const now = this.clock.now()
    this.meter?.onSlot(now, -1)
    this.workers.release(worker, now)
    if (task.state === RUNNING && task.attempt === attempt && !ok && neverStarted(value)) {
      // The worker died with the task still waiting behind another one: it did
      // not run, so it goes back in the queue as the same attempt, uncounted.
      this.runningTasks.delete(task)
      this.running--
      this.clearTimer(task)
      task.tries--
      if (this.breaker !== undefined) this.guard(() => this.breaker!.onCancel(task))
      // Back where it was: ahead of the tasks that came after it.
      this.enqueue(task, now, true)
    } else if (task.state === RUNNING && task.attempt === attempt) {
      const ran = now - task.startedAt
      task.runMs += ran
      this.endAttempt(task, ran)
      if (ok) {
        if (this.breaker !== undefined) this.guard(() => this.breaker!.onSuccess(task, ran))
        this.settleSuccess(task, value as O)
      } else {
        const verdict = this.breaker === undefined ? undefined : this.guard(() => this.breaker!.onFailure(task, value, ran))
        if (isRetry(verdict)) this.holdForRetry(task, 'failed', value, verdict)
        else this.afterFailure(task, 'failed', value)
      }
    }
    if (this.queue.size > 0 || this.roomWaiters.length > 0) this.dispatch(now)
    else if (this.running === 0) this.checkIdle()
  }

  /** Bookkeeping when an attempt stops counting as running (finished, timed out or aborted). */
  private endAttempt(task: TaskRecord<I, O>, ran: number): void {
    // Before anything that may call back into finish() for this attempt (an abort that
    // terminates the worker and reports at once): the attempt is over, and counted once.
    task.state = ENDED
    task.endedAt = task.startedAt + ran
    this.runningTasks.delete(task)
    this.running--
    this.clearTimer(task)
    this.finishedCount++
    this.totalRunMs += ran
    this.meter?.onFinished(ran)
  }

  private onTimeout(task: TaskRecord<I, O>, attempt: number): void {
    task.timer = undefined
    if (task.state !== RUNNING || task.attempt !== attempt) return
    const ran = this.clock.now() - task.startedAt
    task.runMs += ran
    this.endAttempt(task, ran)
    const error = new TaskTimeoutError(task.timeoutMs)
    task.abort(error)
    const verdict = this.breaker === undefined ? undefined : this.guard(() => this.breaker!.onFailure(task, error, ran))
    if (isRetry(verdict)) this.holdForRetry(task, 'timed-out', error, verdict)
    else this.afterFailure(task, 'timed-out', error)
    this.checkIdle()
  }

  /**
   * Listens for a task's signal. Tasks that share one signal (`map`, `runAll`,
   * or a caller's one controller for a batch) share one listener, so a signal
   * never gathers a listener per task (Node warns past 10).
   */
  private watchSignal(task: TaskRecord<I, O>, signal: AbortSignal): void {
    let watched = this.signals.get(signal)
    if (watched === undefined) {
      const tasks = new Set<TaskRecord<I, O>>()
      const onAbort = (): void => {
        this.signals.delete(signal)
        for (const t of [...tasks]) {
          t.onUserAbort = undefined
          this.onUserAbort(t)
        }
      }
      watched = { tasks, onAbort }
      this.signals.set(signal, watched)
      signal.addEventListener('abort', onAbort, { once: true })
    }
    watched.tasks.add(task)
    task.onUserAbort = watched.onAbort
  }

  private unwatchSignal(task: TaskRecord<I, O>): void {
    const signal = task.userSignal!
    task.onUserAbort = undefined
    const watched = this.signals.get(signal)
    if (watched === undefined) return
    watched.tasks.delete(task)
    if (watched.tasks.size > 0) return
    this.signals.delete(signal)
    signal.removeEventListener('abort', watched.onAbort)
  }

  private onUserAbort(task: TaskRecord<I, O>): void {
    const reason = task.userSignal!.reason
    switch (task.state) {
      case WAITING_ROOM:
        this.roomWaiters.remove(task)
        break
      case QUEUED:
        this.queue.remove(task)
        if (this.roomWaiters.length > 0) this.admitWaiters()
        this.checkDrain()
        break
      case DELAYED:
        this.unhold(task)
        break
      case RUNNING: {
        const ran = this.clock.now() - task.startedAt
        task.runMs += ran
        this.endAttempt(task, ran)
        task.abort(reason)
        if (this.breaker !== undefined) this.guard(() => this.breaker!.onCancel(task))
        break
      }
      default:
        return
    }
    this.settleFailure(task, 'cancelled', reason)
    this.checkIdle()
  }

  // ---------------------------------------------------------------- retry

  /**
   * The breaker asked for this failure to be run again as the same attempt,
   * after `retryAt` (a 429's retry-after): no retry is counted and no attempt
   * spent. At most `retry.maxBreakerRetries` times per task, and not past the
   * close deadline; then the failure goes to the retry policy like any other.
   */
  private holdForRetry(task: TaskRecord<I, O>, outcome: 'failed' | 'timed-out', error: unknown, verdict: BreakerRetry): void {
    if (
      this.lifecycle === 'closed' ||
      (task.held?.reruns ?? 0) >= this.maxBreakerRetries ||
      (this.lifecycle === 'closing' && verdict.retryAt > this.closeDeadline)
    ) {
      this.afterFailure(task, outcome, error)
      return
    }
    const held = (task.held ??= new HoldRecord())
    held.reruns++
    // The re-run starts the same attempt again: it is not another try, and what it ran counts toward the attempt's timeout.
    task.tries--
    held.spentMs += task.endedAt - task.startedAt
    this.hold(task, verdict.retryAt)
  }

  private afterFailure(task: TaskRecord<I, O>, outcome: 'failed' | 'timed-out', error: unknown): void {
    this.meter?.onError()
    if (task.attempt < this.attempts && this.lifecycle !== 'closed' && this.shouldRetry(error, task)) {
      const delayMs = backoffDelay(this.backoff, task.attempt, this.random)
      this.retried++
      if (this.obs.onRetried !== undefined) this.notify('onRetried', task, error, delayMs)
      task.attempt++
      if (task.held !== undefined) task.held.spentMs = 0
      this.delay(task, delayMs)
      return
    }
    if (this.deadLetter !== undefined) {
      this.deadLettered++
      if (this.obs.onDeadLettered !== undefined) this.notify('onDeadLettered', task, error)
      // Data: a copy of the task's fields, not the pool's record (which holds callbacks and links, and does not serialise).
      const letter = { task: taskInfoOf(task), input: task.input, error, attempts: task.tries, failedAt: this.clock.now() }
      try {
        const put = this.deadLetter.put(letter)
        if (put !== undefined && typeof (put as Promise<void>).then === 'function') {
          ;(put as Promise<void>).then(undefined, (e: unknown) => this.emitError(e))
        }
      } catch (e) {
        this.emitError(e)
      }
    }
    this.settleFailure(task, outcome, error)
  }

  private shouldRetry(error: unknown, task: TaskRecord<I, O>): boolean {
    if (this.retryIf === undefined) return true
    try {
      return this.retryIf(error, task) === true
    } catch (e) {
      this.emitError(e)
      return false
    }
  }

  /** Holds an accepted task out of the queue for `ms` (retry backoff, open circuit), then queues it again. */
  private delay(task: TaskRecord<I, O>, ms: number): void {
    task.state = DELAYED
    this.delayedTasks.add(task)
    const requeue = (): void => {
      task.timer = undefined
      if (task.state !== DELAYED) return
      this.delayedTasks.delete(task)
      // An accepted task goes back in even past maxQueue: it was admitted once.
      this.enqueue(task)
      this.dispatch()
    }
    if (ms > 0) task.timer = this.clock.setTimeout(requeue, ms)
    else requeue()
  }

  // ---------------------------------------------------------------- settle

  private settleSuccess(task: TaskRecord<I, O>, value: O): void {
    this.completed++
    if (this.obs.onSettled !== undefined) this.notifySettled(task, 'completed', undefined)
    this.deliver(task, true, value)
  }

  private settleFailure(task: TaskRecord<I, O>, outcome: Exclude<TaskOutcome, 'completed' | 'rejected'>, error: unknown): void {
    if (outcome === 'failed') this.failed++
    else if (outcome === 'cancelled') this.cancelled++
    else this.timedOut++
    if (this.obs.onSettled !== undefined) this.notifySettled(task, outcome, error)
    this.deliver(task, false, error)
  }

  private rejectTask(task: TaskRecord<I, O>, reason: RejectReason, error: unknown): void {
    this.rejected++
    if (this.obs.onRejected !== undefined) this.notify('onRejected', task, reason, error)
    this.deliver(task, false, error)
  }

  private deliver(task: TaskRecord<I, O>, ok: boolean, value: unknown): void {
    // A task leaving the queue (or the wait for room) unstarted still waited.
    if (task.state === QUEUED || task.state === WAITING_ROOM) task.waitMs += this.clock.now() - task.enqueuedAt
    task.state = DONE
    this.settledTotal++
    this.clearTimer(task)
    if (task.admitted) {
      task.admitted = false
      if (this.breaker?.onSettled !== undefined) this.guard(() => this.breaker!.onSettled!(task))
    }
    if (task.onUserAbort !== undefined) this.unwatchSignal(task)
    if (task.resolve !== undefined) {
      if (ok) task.resolve(value as O)
      else task.reject!(value)
      task.resolve = task.reject = undefined
    } else if (task.callback !== undefined) {
      const callback = task.callback
      task.callback = undefined
      this.callBack(
        callback,
        ok
          ? { id: task.id, ok: true, value: value as O, waitMs: task.waitMs, runMs: task.runMs, attempts: task.tries }
          : { id: task.id, ok: false, error: value, waitMs: task.waitMs, runMs: task.runMs, attempts: task.tries },
      )
    }
    if (this.lifecycle === 'closing') this.maybeFinishClose()
  }

  private callBack(callback: (result: TaskResult<O>) => void, result: TaskResult<O>): void {
    try {
      callback(result)
    } catch (error) {
      this.emitError(error)
    }
  }

  private clearTimer(task: TaskRecord<I, O>): void {
    if (task.timer !== undefined) {
      this.clock.clearTimeout(task.timer)
      task.timer = undefined
    }
  }

  // ---------------------------------------------------------------- idle

  private isIdle(): boolean {
    return this.running === 0 && this.queue.size === 0 && this.delayedTasks.size === 0 && this.roomWaiters.length === 0
  }

  private checkIdle(): void {
    if (!this.isIdle()) return
    if (this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters
      this.idleWaiters = []
      for (const resolve of waiters) resolve()
    }
    // Once per busy spell: a handler returning after its task timed out is no new idleness.
    if (this.idleNotified) return
    this.idleNotified = true
    if (this.events.has('idle')) this.emit('idle', [])
  }

  // ---------------------------------------------------------------- scaler

  private startScaler(): void {
    const s = this.scaler
    if (s === undefined) return
    const interval = s.intervalMs ?? 1000
    if (interval === 0 || interval === Infinity) return
    const tick = (): void => {
      this.scalerTimer = undefined
      if (this.lifecycle !== 'open') return
      this.evaluateScaler()
      this.scalerTimer = this.clock.setTimeout(tick, interval)
      this.clock.unref?.(this.scalerTimer)
    }
    this.scalerTimer = this.clock.setTimeout(tick, interval)
    this.clock.unref?.(this.scalerTimer)
  }

  private snapshot(): PoolSnapshot {
    let eluSum = 0
    let eluCount = 0
    for (const worker of this.workers.all) {
      const elu = worker.handle?.stats?.().eventLoopUtilization
      if (elu !== undefined) {
        eluSum += elu
        eluCount++
      }
    }
    return this.meter!.take(this.clock.now(), {
      workers: this.workers.counts(),
      targetWorkers: this.workers.target,
      tasksPerWorker: this.workers.tasksPerWorker,
      runsPerWorker: this.runsPerWorker,
      queued: this.queue.size,
      running: this.running,
      capacity: this.workers.capacity(),
      eventLoopUtilization: eluCount > 0 ? eluSum / eluCount : undefined,
      idleSince: this.workers.idleSinces(),
    })
  }

  private evaluateScaler(): void {
    const s = this.scaler!
    if (this.lifecycle !== 'open') return
    const wanted = this.guard(() => s.desired(this.snapshot()))
    if (typeof wanted !== 'number' || Number.isNaN(wanted)) {
      if (wanted !== undefined) this.emitError(new TypeError(`options.scaler.desired() must return a number, got ${check.describe(wanted)}`))
      return
    }
    let next = Math.max(this.minWorkers, Math.min(this.maxWorkers, Math.round(wanted)))
    // Never none while tasks wait: nothing would bring a worker back but the next tick.
    if (next === 0 && this.queue.size > 0) next = 1
    if (next !== this.workers.target) {
      this.workers.target = next
      this.workers.apply()
    }
  }

  /** Workers kept failing to start and none is left: refuse what waits for one. */
  private onNoWorkers(error: WorkerStartError): void {
    if (this.lifecycle === 'closed') return
    this.startFailure = error
    const waiting: TaskRecord<I, O>[] = [...this.queue.clear(), ...this.delayedTasks]
    this.delayedTasks.clear()
    this.clearHolds()
    while (this.roomWaiters.length > 0) waiting.push(this.roomWaiters.shift()!)
    for (const task of waiting) this.rejectTask(task, 'no-workers', error)
    this.checkIdle()
  }

  // ---------------------------------------------------------------- close

  private beginClose(): void {
    this.lifecycle = 'closing'
    this.paused = false
    this.closeStartedAt = this.clock.now()
    this.settledAtClose = this.settledTotal
    this.closePromise = new Promise((resolve) => (this.closeResolve = resolve))
    if (this.scalerTimer !== undefined) {
      this.clock.clearTimeout(this.scalerTimer)
      this.scalerTimer = undefined
    }
    // Callers waiting for room were never accepted: refuse them now.
    while (this.roomWaiters.length > 0) {
      const task = this.roomWaiters.shift()!
      this.refusedAtClose++
      this.rejectTask(task, 'closed', new PoolClosedError())
    }
    this.dispatch()
  }

  private maybeFinishClose(): void {
    if (this.lifecycle !== 'closing' || this.report !== undefined || this.settlingHolds) return
    if (this.running !== 0 || this.queue.size !== 0) return
    // Nothing runs: holds that only a running task could end are settled now.
    if (this.delayedTasks.size > 0) this.settleHoldsAtClose()
    if (this.report === undefined && this.delayedTasks.size === 0) this.finishClose(this.unstartedAtClose, [], false)
  }

  private forceClose(): void {
    if (this.lifecycle !== 'closing' || this.report !== undefined) return
    const error = new PoolClosedError('The pool closed before the task could finish')
    const unstarted: TaskRecord<I, O>[] = [...this.queue.clear(), ...this.delayedTasks]
    this.delayedTasks.clear()
    this.clearHolds()
    const aborted = this.runningTasks.toArray()
    // Mark closed first so that settling these does not finish the close twice.
    this.lifecycle = 'closed'
    for (const task of unstarted) this.rejectTask(task, 'closed', new PoolClosedError('The pool closed before the task started'))
    unstarted.unshift(...this.unstartedAtClose)
    for (const task of aborted) {
      const ran = this.clock.now() - task.startedAt
      task.runMs += ran
      this.endAttempt(task, ran)
      task.abort(error)
      if (this.breaker !== undefined) this.guard(() => this.breaker!.onCancel(task))
      this.settleFailure(task, 'cancelled', error)
    }
    this.finishClose(unstarted, aborted, true)
  }

  private finishClose(unstarted: readonly TaskInfo[], aborted: readonly TaskInfo[], timedOut: boolean): void {
    this.lifecycle = 'closed'
    if (this.closeTimer !== undefined) {
      this.clock.clearTimeout(this.closeTimer)
      this.closeTimer = undefined
    }
    // Every held task has settled by now; a key's timer must not outlive the pool.
    this.clearHolds()
    const report: CloseReport = {
      settled: this.settledTotal - this.settledAtClose - this.refusedAtClose - unstarted.length - aborted.length,
      // Data, not the pool's records (which hold inputs, callbacks and links, and do not serialise).
      unstarted: unstarted.map(taskInfoOf),
      aborted: aborted.map(taskInfoOf),
      timedOut,
      durationMs: this.clock.now() - this.closeStartedAt,
    }
    this.report = report
    void this.workers
      .closeAll()
      .then(() => this.executor.close?.())
      .then(undefined, (error: unknown) => this.emitError(error))
      .then(() => {
        this.checkIdle()
        this.emit('close', [report])
        this.events.clear()
        this.closeResolve!(report)
      })
  }

  private defaultWindow(): number {
    return Math.max(16, 2 * this.workers.target * this.workers.tasksPerWorker)
  }

  // ---------------------------------------------------------------- plumbing

  private guard<T>(fn: () => T): T | undefined {
    try {
      return fn()
    } catch (error) {
      this.emitError(error)
      return undefined
    }
  }

  // The per-task hooks, each with its own loop: a named call (not `observer[hook]`
  // through a variable key) stays monomorphic, which keeps observers cheap.
  private notifySubmitted(task: TaskRecord<I, O>): void {
    for (const observer of this.obs.onSubmitted!) {
      try {
        observer.onSubmitted!(this.name, task)
      } catch (error) {
        this.emitError(error)
      }
    }
  }

  private notifyStarted(task: TaskRecord<I, O>, worker: WorkerSlot): void {
    for (const observer of this.obs.onStarted!) {
      try {
        observer.onStarted!(this.name, task, worker)
      } catch (error) {
        this.emitError(error)
      }
    }
  }

  private notifySettled(task: TaskRecord<I, O>, outcome: Exclude<TaskOutcome, 'rejected'>, error: unknown): void {
    const observers = this.obs.onSettled!
    if (observers.length === 1) {
      // The common case (one metrics object): no loop.
      try {
        observers[0]!.onSettled!(this.name, task, outcome, error)
      } catch (thrown) {
        this.emitError(thrown)
      }
      return
    }
    for (const observer of observers) {
      try {
        observer.onSettled!(this.name, task, outcome, error)
      } catch (thrown) {
        this.emitError(thrown)
      }
    }
  }

  private notify(hook: keyof PoolObserver, a: unknown, b?: unknown, c?: unknown, d?: unknown): void {
    for (const observer of this.obs[hook]!) {
      try {
        ;(observer[hook] as (...args: unknown[]) => void).call(observer, this.name, a, b, c, d)
      } catch (error) {
        this.emitError(error)
      }
    }
  }

  private emit<K extends keyof PoolEvents>(name: K, args: Parameters<PoolEvents[K]>): void {
    this.events.emit(name, args)
  }

  private emitError(error: unknown): void {
    this.events.emit('error', [error])
  }
}

/** A `WorkerExitError` saying the task never started (checked by code, so it holds across copies of core). */
function neverStarted(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { code?: unknown }).code === ErrorCode.WorkerExit &&
    (error as { taskStarted?: unknown }).taskStarted === false
  )
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal !== undefined && signal.aborted
}
