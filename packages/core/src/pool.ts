import type { Clock } from './clock.js'
import type { Breaker, BreakerDenial } from './contracts/breaker.js'
import type { AsyncDisposableLike } from './disposable.js'
import type { AttemptOutcome, Executor, WorkerTask } from './contracts/executor.js'
import type { WorkerInfo } from './contracts/observer.js'
import type { WorkerSelector } from './contracts/selector.js'
import { AsideQueue } from './internal/aside-queue.js'
import type { PoolState, PoolStats } from './contracts/snapshot.js'
import type { RejectReason, RunOptions, TaskOutcome, TaskResult } from './contracts/task.js'
import type { TaskQueue } from './contracts/task-queue.js'
import { CircuitOpenError, ErrorCode, PoolClosedError, QueueFullError, TaskDroppedError, TaskTimeoutError } from './errors.js'
import type { DeadlineStage, WorkerStartError } from './errors.js'
import { Closer } from './internal/close.js'
import { Counters } from './internal/counters.js'
import { deadlineExceeded, Deadlines, expired, expiresAtOf } from './internal/deadlines.js'
import { Holds } from './internal/holds.js'
import { LoadMeter } from './internal/load-meter.js'
import { mapResults, runAllInputs } from './internal/map.js'
import { Notifier } from './internal/notify.js'
import type { Lifecycle, PoolCore } from './internal/pool-core.js'
import { atMostMaxWorkers, resolveOptions } from './internal/resolve-options.js'
import type { Observers } from './internal/resolve-options.js'
import { isRetry, Retry } from './internal/retry.js'
import { RingBuffer } from './internal/ring-buffer.js'
import { ScalerLoop } from './internal/scaler-loop.js'
import { SignalWatch } from './internal/signal-watch.js'
import { clearTaskTimer, DELAYED, DONE, ENDED, QUEUED, RUNNING, TaskList, TaskRecord, WAITING_ROOM } from './internal/task-record.js'
import type { AttemptContext } from './internal/task-record.js'
import * as check from './internal/validate.js'
import type { WorkerSlot } from './internal/worker-slot.js'
import { PoolQueue } from './internal/pool-queue.js'
import { WorkerSet } from './internal/worker-set.js'
import { Priority } from './priority.js'
import type { CloseOptions, CloseReport, MapOptions, PoolEvents, PoolOptions, QueueFullPolicy, RunAllOptions, TaskHandler } from './pool-options.js'

/** The task whose promise `capture` is making (set right before each `new Promise`). */
let capturing: TaskRecord<any, any> | undefined
function capture(resolve: (value: any) => void, reject: (error: unknown) => void): void {
  capturing!.resolve = resolve
  capturing!.reject = reject
  capturing = undefined
}

/** The resolving functions `capturePlain` took, read right after each `new Promise` of a plain task. */
let plainResolve: ((value: any) => void) | undefined
let plainReject: ((error: unknown) => void) | undefined
function capturePlain(resolve: (value: any) => void, reject: (error: unknown) => void): void {
  plainResolve = resolve
  plainReject = reject
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

/**
 * The pool, and a task's hot path through it: run → admit → enqueue → dispatch
 * → start → finish → deliver. Each other concept lives in a part of its own,
 * made once here: breaker holds (`holds`), retries and dead letters (`retry`),
 * closing (`closer`), the scaler (`scaling`), signal watching (`signals`),
 * observers and events (`notifier`), counters (`counters`), workers (`workers`).
 */
class PoolImpl<I, O> implements Pool<I, O>, PoolCore<I, O> {
  readonly name: string
  readonly executor: Executor<I, O>
  readonly clock: Clock
  readonly queue: TaskQueue<TaskRecord<I, O>>
  /** The queue's lane for plain tasks, where nothing watches a task at submission (see PoolQueue); undefined otherwise. */
  private readonly plain: PoolQueue<I, O> | undefined
  private readonly maxQueue: number
  private readonly onQueueFull: QueueFullPolicy
  private readonly queueWaitTimeout: number
  private readonly drainThreshold: number
  private readonly taskTimeout: number
  private readonly breaker: Breaker | undefined
  private readonly selector: WorkerSelector | undefined
  /** The queue, when a selector picks the workers: tasks it declines wait aside in it. */
  private readonly aside: AsideQueue<TaskRecord<I, O>> | undefined
  /** The candidates of the placement the aside queue is making (see dispatch). */
  private offered: WorkerSlot<I, O>[] | undefined = undefined
  /** The worker the selector chose for the task the aside queue handed out last (set by `choose`). */
  private chosen: WorkerSlot<I, O> | undefined = undefined
  /** A selector's select() or refuse() is running: tasks submitted meanwhile are queued, and dispatch waits for its caller. */
  private placing = false
  /** dispatch() was called while `placing`: the placement's caller dispatches once it is made (afterPlacing). */
  private redispatch = false
  /** The error of the task the selector refused last (set by `choose`, read as the aside queue hands it out). */
  private refusal: Error | undefined = undefined
  /** The selector, where it has `onFinished` (checked once): called as each attempt ends. */
  private readonly selectorFinished: WorkerSelector | undefined
  /** No selector, breaker or custom queue stands between a free worker and a new task. */
  private readonly directStart: boolean
  /** Only a selector stands between a free worker and a new task: it is asked at once, without the queue in between. */
  private readonly directSelect: boolean
  /** The observers by hook (the notifier's): checked before each call, so an unused hook costs one check. */
  private readonly obs: Observers
  readonly notifier: Notifier
  readonly counters = new Counters()
  readonly meter: LoadMeter | undefined

  readonly workers: WorkerSet<I, O>
  readonly runsPerWorker: number
  private readonly signals: SignalWatch<I, O>
  private readonly deadlines: Deadlines<I, O>
  readonly holds: Holds<I, O>
  readonly retry: Retry<I, O>
  readonly closer: Closer<I, O>
  readonly scaling: ScalerLoop<I, O> | undefined

  lifecycle: Lifecycle = 'open'
  paused: boolean
  private dispatching = false
  private nextTaskId = 1
  /** Set when workers kept failing to start and none is left: tasks are refused with it. */
  private startFailure: WorkerStartError | undefined = undefined

  // Tasks.
  running = 0
  readonly runningTasks = new TaskList<I, O>()
  readonly delayedTasks = new Set<TaskRecord<I, O>>()
  readonly roomWaiters = new RingBuffer<TaskRecord<I, O>>()
  private drainArmed = false
  /** The 'idle' event fired and no task was submitted since. */
  private idleNotified = true
  private idleWaiters: (() => void)[] = []

  constructor(options: PoolOptions<I, O>) {
    const o = resolveOptions(options)
    this.executor = o.executor
    this.name = o.name
    this.clock = o.clock
    this.maxQueue = o.maxQueue
    this.onQueueFull = o.onQueueFull
    this.queueWaitTimeout = o.queueWaitTimeout
    this.drainThreshold = o.drainThreshold
    this.taskTimeout = o.taskTimeout
    this.breaker = o.breaker
    this.selector = o.selector
    this.selectorFinished = o.selector?.onFinished !== undefined ? o.selector : undefined
    this.paused = o.paused
    this.directStart = o.defaultQueue && this.selector === undefined && this.breaker === undefined
    this.directSelect = o.defaultQueue && this.selector !== undefined && this.breaker === undefined
    this.obs = o.observers
    // Plain tasks wait without a record where nothing looks at them before they leave the queue (a selector
    // sees each one then, as a record made by the lane's peek()).
    const lane = (this.directStart || this.directSelect) && this.maxQueue === Infinity && this.obs.onSubmitted === undefined
    this.plain = lane ? new PoolQueue(o.queue, (id, input, submittedAt, settle, reject) => this.makePlain(id, input, submittedAt, settle, reject)) : undefined
    // With a selector, a task it declines waits aside and the tasks behind it go on.
    this.aside = this.selector === undefined ? undefined : new AsideQueue(this.plain ?? o.queue)
    this.queue = this.aside ?? this.plain ?? o.queue
    this.notifier = new Notifier(o.name, o.observers, o.selector)
    this.runsPerWorker = o.runsPerWorker
    this.signals = new SignalWatch(this)
    this.deadlines = new Deadlines(this)
    this.holds = new Holds(this, o.breaker)
    this.retry = new Retry(this, o)
    this.closer = new Closer(this)
    if (o.scaler === undefined) {
      this.meter = undefined
      this.scaling = undefined
    } else {
      this.meter = new LoadMeter(this.clock.now())
      this.scaling = new ScalerLoop(this, o.scaler, this.meter, o.minWorkers, o.maxWorkers)
    }
    if (this.breaker?.attach !== undefined) {
      const breaker = this.breaker
      this.notifier.guard(() => breaker.attach!((key) => this.holds.wake(key)))
    }
    this.workers = new WorkerSet(o.executor, this.clock, o.tasksPerWorker, o.initialWorkers, o.maxStartFailures, this)
    // Before the first worker event, so an observer has the pool's view from the start.
    if (this.obs.onAttached !== undefined) this.notifier.notify('onAttached', this)
    this.workers.start()
    this.scaling?.start()
  }

  // ---------------------------------------------------------------- public API

  get state(): PoolState {
    return this.lifecycle === 'open' ? (this.paused ? 'paused' : 'open') : this.lifecycle
  }

  run(input: I, options?: RunOptions): Promise<O> {
    if (options === undefined && this.plain !== undefined && this.queuesPlain()) {
      const promise = new Promise<O>(capturePlain)
      this.admitPlain(input, plainResolve, plainReject)
      plainResolve = plainReject = undefined
      return promise
    }
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
    if (options === undefined && this.plain !== undefined && this.queuesPlain()) return this.admitPlain(input, callback, undefined)
    let task: TaskRecord<I, O>
    try {
      task = this.createTask(input, options)
    } catch (error) {
      this.callBack(callback, { id: -1, ok: false, error, waitMs: 0, runMs: 0, attempts: 0 })
      return -1
    }
    task.callback = callback
    try {
      this.admit(task)
    } catch (error) {
      // As run() rejects: a throw from user code in admission (a queue's evict) fails the task, not the caller.
      if (task.callback === undefined) this.notifier.error(error)
      else this.deliverCallback(task, false, error)
    }
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
      counters: this.counters.toCounters(),
      meanWaitMs: this.counters.meanWaitMs(),
      meanRunMs: this.counters.meanRunMs(),
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
    this.startFailure = undefined
    this.workers.resize(this.scaling === undefined ? workers : this.scaling.clamp(workers))
  }

  onIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  on<K extends keyof PoolEvents>(event: K, listener: PoolEvents[K]): () => void {
    check.oneOf('on(event)', event, ['idle', 'drain', 'error', 'close'])
    check.func('on(listener)', listener)
    return this.notifier.events.on(event, listener)
  }

  close(options?: CloseOptions): Promise<CloseReport> {
    return this.closer.close(options)
  }

  destroy(): Promise<CloseReport> {
    return this.closer.destroy()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  // ---------------------------------------------------------------- admission

  private createTask(input: I, options: RunOptions | undefined): TaskRecord<I, O> {
    if (options === undefined) return this.plainRecord(this.nextTaskId++, input, this.clock.now())
    check.runOptions(options)
    const task = new TaskRecord<I, O>(this.nextTaskId++, input, this.clock.now(), options.priority ?? Priority.Normal, options.key)
    const timeout = options.timeout ?? this.taskTimeout
    if (
      options.name !== undefined ||
      options.requires !== undefined ||
      options.labels !== undefined ||
      options.deadline !== undefined ||
      options.deadlineMs !== undefined ||
      options.transfer !== undefined ||
      options.signal !== undefined ||
      (timeout !== 0 && timeout !== Infinity)
    ) {
      const extra = task.extra()
      extra.name = options.name
      // A copy: the caller's array may change after submission.
      if (options.requires !== undefined) extra.requires = Object.freeze([...options.requires])
      if (options.labels !== undefined) extra.labels = Object.freeze({ ...options.labels })
      extra.expiresAt = expiresAtOf(options.deadline, options.deadlineMs, task.submittedAt)
      extra.minTimeLeftMs = options.minTimeLeftMs ?? 0
      extra.transfer = options.transfer
      extra.timeoutMs = timeout === 0 ? Infinity : timeout
      extra.userSignal = options.signal
      extra.keep = true
    }
    return task
  }

  private admit(task: TaskRecord<I, O>): void {
    this.counters.submitted++
    this.meter?.onSubmitted()
    if (this.obs.onSubmitted !== undefined) this.notifier.submitted(task)
    if (this.lifecycle !== 'open') {
      if (this.lifecycle === 'closing') this.closer.refused++
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
    const startBy = task.startBy
    if (startBy !== undefined) {
      if (startBy <= task.submittedAt) {
        this.settleFailure(task, 'timed-out', deadlineExceeded(task, 'submitted'))
        return
      }
      this.deadlines.watch(task)
    }
    this.idleNotified = false
    let denial: BreakerDenial | undefined
    if (this.breaker !== undefined) {
      denial = this.notifier.guard(() => this.breaker!.admit(task))
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
    if (signal !== undefined) this.signals.watch(task, signal)
    if (denial !== undefined) {
      this.holds.hold(task, denial.retryAt)
      return
    }
    // Fast path: a free worker and nobody ahead in the queue. A queue of the
    // user's own sees every task (it may refuse some, or count them).
    // The selector declined the task just now: it waits in the queue until a worker frees up (no second ask).
    let declined = false
    // While a selector is asked about a task, a task it submits waits in the queue (see selectWorker).
    if (this.workers.free > 0 && this.queue.size === 0 && !this.paused && !this.placing) {
      if (this.directStart) {
        this.start(task, this.workers.pick(), true, task.submittedAt)
        return
      }
      if (this.directSelect) {
        // As dispatch() would ask for it at the head of an empty queue.
        const candidates = this.workers.candidates()
        const worker = this.selectWorker(task, candidates)
        // No worker of the pool can ever run it: it fails now, not when a worker frees up.
        const refused = worker === undefined ? this.refusalOf(task) : undefined
        // Else it waits aside, asked again once the workers change (as dispatch() would have set it).
        if (worker === undefined && refused === undefined) this.aside!.declined(task, candidates, this.workers.generation)
        this.workers.endOffer(candidates)
        // The selector is user code: it may have aborted the signal meanwhile.
        if (isAborted(signal)) this.settleFailure(task, 'cancelled', signal!.reason)
        else if (worker !== undefined) this.start(task, worker, false, task.submittedAt)
        else if (refused !== undefined) this.rejectTask(task, 'unplaceable', refused)
        else declined = true
        if (!declined) {
          this.afterPlacing()
          return
        }
      }
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
    // A task declined just now is not asked again at once.
    if (!declined) this.dispatch()
    else this.afterPlacing()
  }

  /** The dispatch a selector's select() or refuse() asked for while it ran at submission (it submitted a task, or one ended). */
  private afterPlacing(): void {
    if (!this.redispatch) return
    this.redispatch = false
    this.dispatch()
  }

  /**
   * Whether a task with no options would go to the queue and nothing else: the
   * pool is open and has workers, and no free worker takes it at once. Such a
   * task waits in the queue's plain lane, with no record until it leaves it.
   */
  private queuesPlain(): boolean {
    return this.lifecycle === 'open' && this.startFailure === undefined && !(this.workers.free > 0 && this.queue.size === 0 && !this.paused)
  }

  /** admit() and enqueue() for a plain task (see queuesPlain): the same counts and signals, no record. */
  private admitPlain(input: I, settle: unknown, reject: ((error: unknown) => void) | undefined): number {
    const id = this.nextTaskId++
    const now = this.clock.now()
    this.counters.submitted++
    this.meter?.onSubmitted()
    this.idleNotified = false
    this.plain!.pushPlain(id, input, now, settle, reject)
    this.queued()
    this.dispatch()
    return id
  }

  /** The record of a task with no options: Normal priority, no key, and the pool's `taskTimeout`. */
  private plainRecord(id: number, input: I, submittedAt: number): TaskRecord<I, O> {
    const task = new TaskRecord<I, O>(id, input, submittedAt, Priority.Normal, undefined)
    if (this.taskTimeout !== Infinity) {
      const extra = task.extra()
      extra.timeoutMs = this.taskTimeout
      extra.keep = true
    }
    return task
  }

  /** The record of a plain task, made as it leaves the queue's plain lane: as createTask() and enqueue() would have made it. */
  private makePlain(id: number, input: I, submittedAt: number, settle: unknown, reject: ((error: unknown) => void) | undefined): TaskRecord<I, O> {
    const task = this.plainRecord(id, input, submittedAt)
    if (reject === undefined) task.callback = settle as (result: TaskResult<O>) => void
    else {
      task.resolve = settle as (value: O) => void
      task.reject = reject
    }
    task.state = QUEUED
    return task
  }

  /** Rejects a task a breaker refused: with the breaker's error, or a CircuitOpenError. */
  private refuse(task: TaskRecord<I, O>, denial: BreakerDenial): void {
    const error = denial.error ?? new CircuitOpenError(task.key, denial.retryAt)
    if (this.retry.afterCircuitOpen(task, error, denial.retryAt)) {
      // Refused at submission, it was not watched yet: its signal cancels the wait.
      const signal = task.userSignal
      if (signal !== undefined && task.onUserAbort === undefined) this.signals.watch(task, signal)
      return
    }
    this.rejectTask(task, error instanceof QueueFullError ? 'queue-full' : 'circuit-open', error)
  }

  readmit(task: TaskRecord<I, O>): void {
    const denial = this.notifier.guard(() => this.breaker!.admit(task))
    if (task.state !== DELAYED) return
    if (denial !== undefined && denial.hold !== true) {
      this.refuse(task, denial)
      return
    }
    task.admitted = true
    if (denial !== undefined) this.holds.hold(task, denial.retryAt)
    else {
      this.enqueue(task)
      this.dispatch()
    }
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
      clearTaskTimer(this.clock, task)
      this.enqueue(task)
      admitted++
    }
    return admitted
  }

  enqueue(task: TaskRecord<I, O>, now: number = this.clock.now(), front = false): void {
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
    this.queued()
  }

  /** A task joined the queue (as a record or in the plain lane): arm 'drain', and tell the scaler when no worker is free. */
  private queued(): void {
    if (this.queue.size >= this.drainThreshold) this.drainArmed = true
    // Without a scaler the pool never has fewer workers than `concurrency` (at least 1).
    if (this.workers.free === 0 && this.scaling !== undefined) this.scaling.onQueued()
  }

  // ---------------------------------------------------------------- dispatch

  /** Starts queued tasks while workers have room. `now`, when the caller has it, saves a clock read. */
  dispatch(now?: number): void {
    // A handler that settles synchronously re-enters here through finish(); the
    // outer loop picks the work up, so the stack stays flat.
    if (this.dispatching) return
    // A selector asked at submission submitted a task (or ended one): its caller dispatches after the answer.
    if (this.placing) {
      this.redispatch = true
      return
    }
    this.dispatching = true
    try {
      for (;;) {
        let declined = false
        while (this.workers.free > 0 && this.queue.size > 0 && !this.paused) {
          let worker: WorkerSlot<I, O> | undefined
          let task: TaskRecord<I, O>
          if (this.aside !== undefined) {
            // The candidates once for this placement: choose() offers each task the same list.
            const candidates = (this.offered = this.workers.candidates())
            const taken = this.aside.take(candidates, this.workers.generation, this.choose)
            this.offered = undefined
            this.workers.endOffer(candidates)
            if (taken === undefined) {
              // Every task the selector was offered waits for a worker to free up.
              declined = true
              break
            }
            task = taken
            if (this.refusal !== undefined) {
              // No worker of the pool can ever run it (WorkerSelector.refuse).
              const error = this.refusal
              this.refusal = undefined
              this.rejectTask(task, 'unplaceable', error)
              continue
            }
            worker = this.chosen
          } else task = this.queue.shift()!
          // Nothing starts past its deadline (its timer may not have fired yet).
          if (task.expiresAt !== undefined && expired(task, (now ??= this.clock.now()))) {
            this.expire(task)
            continue
          }
          if (this.breaker !== undefined) {
            const denial = this.notifier.guard(() => this.breaker!.acquire(task))
            if (denial !== undefined) {
              if (denial.hold === true) this.holds.hold(task, denial.retryAt)
              else this.refuse(task, denial)
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
      this.notifier.emit('drain', [])
    }
  }

  /**
   * For the aside queue: whether the selector takes `task`, to the worker it
   * leaves in `chosen`, or to be failed with the error it leaves in `refusal`
   * (WorkerSelector.refuse); false sets it aside.
   */
  private readonly choose = (task: TaskRecord<I, O>): boolean => {
    const worker = this.selectWorker(task, this.offered!)
    if (worker !== undefined) {
      this.chosen = worker
      this.refusal = undefined
      return true
    }
    this.refusal = this.refusalOf(task)
    return this.refusal !== undefined
  }

  /** The selector's `refuse()` for a task it declined: the error to fail it with, or undefined to let it wait. */
  private refusalOf(task: TaskRecord<I, O>): Error | undefined {
    if (this.selector!.refuse === undefined) return undefined
    this.placing = true
    const error = this.notifier.guard(() => this.selector!.refuse!(task, this.workers.live()))
    this.placing = false
    if (error === undefined || error === null) return undefined
    return error instanceof Error ? error : new TypeError(`options.selector.refuse() must return an Error or undefined, got ${check.describe(error)}`)
  }

  private selectWorker(task: TaskRecord<I, O>, candidates: WorkerSlot<I, O>[]): WorkerSlot<I, O> | undefined {
    let chosen: WorkerInfo | undefined
    // A task select() submits waits in the queue, placed after this one: never on a worker
    // among `candidates` behind this call's back (the worker it returns would be full).
    this.placing = true
    // As notifier.guard() does, without a closure per task.
    try {
      chosen = this.selector!.select(candidates, task)
    } catch (error) {
      this.notifier.error(error)
      return undefined
    } finally {
      this.placing = false
    }
    if (chosen === undefined) return undefined
    if (!candidates.includes(chosen as WorkerSlot<I, O>)) {
      this.notifier.error(new TypeError(`options.selector.select() must return one of the candidates or undefined, got ${check.describe(chosen)}`))
      return undefined
    }
    return chosen as WorkerSlot<I, O>
  }

  // ---------------------------------------------------------------- run

  private start(task: TaskRecord<I, O>, worker: WorkerSlot<I, O>, picked: boolean, now: number): void {
    // A fresh context per attempt, which carries the task's running figures. It
    // exists before observers run, so an abort from inside one reaches it.
    const context = task.beginAttempt(worker)
    task.state = RUNNING
    context.startedAt = now
    context.tries++
    const waited = now - task.enqueuedAt
    context.waitMs += waited
    const counters = this.counters
    counters.totalWaitMs += waited
    counters.started++
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
    if (this.obs.onStarted !== undefined) {
      this.notifier.started(task, worker)
      if (task.state !== RUNNING || task.attempt !== attempt) {
        // An observer cancelled the task or destroyed the pool: do not run it.
        this.finish(task, worker, attempt, 'failed', undefined)
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
      queueMicrotask(() => this.finish(task, worker, attempt, 'failed', error))
    }
  }

  /** The `done` of every `send`: the context says which task, attempt and worker. */
  private readonly onDone = (task: WorkerTask, outcome: AttemptOutcome, value: unknown): void => {
    // `send` hands back the context the pool gave it (a TaskDone gets it as a WorkerTask).
    const context = task as AttemptContext<I, O>
    this.finish(context.record, context.slot, context.attempt, outcome, value)
  }

  private async execute(task: TaskRecord<I, O>, worker: WorkerSlot<I, O>, attempt: number, context: WorkerTask): Promise<void> {
    let outcome: AttemptOutcome = 'ok'
    let value: unknown
    try {
      value = await worker.handle!.run(task.input, context)
    } catch (error) {
      // run() has no outcome to pass: a task that never started rejects with WorkerExitError{ taskStarted: false }.
      outcome = neverStarted(error) ? 'unstarted' : 'failed'
      value = error
    }
    this.finish(task, worker, attempt, outcome, value)
  }

  /** The worker is done with an attempt: free its slot, then settle the task if it is still waiting on this attempt. */
  private finish(task: TaskRecord<I, O>, worker: WorkerSlot<I, O>, attempt: number, outcome: AttemptOutcome, value: unknown): void {
    const now = this.clock.now()
    this.meter?.onSlot(now, -1)
    this.workers.release(worker, now)
    if (task.state === RUNNING && task.attempt === attempt && outcome === 'unstarted') {
      // The worker died with the task still waiting behind another one: it did
      // not run, so it goes back in the queue as the same attempt, uncounted.
      this.runningTasks.delete(task)
      this.running--
      clearTaskTimer(this.clock, task)
      task.tries--
      if (this.breaker !== undefined) this.notifier.guard(() => this.breaker!.onCancel(task))
      // Back where it was: ahead of the tasks that came after it.
      this.enqueue(task, now, true)
    } else if (task.state === RUNNING && task.attempt === attempt) {
      const ran = now - task.startedAt
      task.runMs += ran
      this.endAttempt(task, worker, ran, outcome === 'ok')
      if (outcome === 'ok') {
        if (this.breaker !== undefined) this.notifier.guard(() => this.breaker!.onSuccess(task, ran))
        this.settleSuccess(task, value as O)
      } else {
        const verdict = this.breaker === undefined ? undefined : this.notifier.guard(() => this.breaker!.onFailure(task, value, ran))
        if (isRetry(verdict)) this.retry.rerun(task, 'failed', value, verdict)
        else this.retry.afterFailure(task, 'failed', value)
      }
    }
    if (this.queue.size > 0 || this.roomWaiters.length > 0) this.dispatch(now)
    else if (this.running === 0) this.checkIdle()
  }

  /** Bookkeeping when an attempt on `worker` stops counting as running (finished, timed out or aborted); `ok` when it completed. */
  private endAttempt(task: TaskRecord<I, O>, worker: WorkerSlot<I, O>, ran: number, ok: boolean): void {
    // Before anything that may call back into finish() for this attempt (an abort that
    // terminates the worker and reports at once): the attempt is over, and counted once.
    task.state = ENDED
    task.endedAt = task.startedAt + ran
    this.runningTasks.delete(task)
    this.running--
    clearTaskTimer(this.clock, task)
    this.counters.finished++
    this.counters.totalRunMs += ran
    this.meter?.onFinished(ran)
    worker.busyMs += ran
    if (this.selectorFinished !== undefined) this.selectorOnFinished(task, worker, ran, ok)
  }

  /** The selector's `onFinished`, guarded (no closure per call, as `notifier.guard` would make). */
  private selectorOnFinished(task: TaskRecord<I, O>, worker: WorkerSlot<I, O>, ran: number, ok: boolean): void {
    try {
      this.selectorFinished!.onFinished!(task, worker, ran, ok)
    } catch (error) {
      this.notifier.error(error)
    }
  }

  private onTimeout(task: TaskRecord<I, O>, attempt: number): void {
    task.timer = undefined
    if (task.state !== RUNNING || task.attempt !== attempt) return
    const ran = this.clock.now() - task.startedAt
    task.runMs += ran
    this.endAttempt(task, task.worker!, ran, false)
    const error = new TaskTimeoutError(task.timeoutMs)
    task.abort(error)
    const verdict = this.breaker === undefined ? undefined : this.notifier.guard(() => this.breaker!.onFailure(task, error, ran))
    if (isRetry(verdict)) this.retry.rerun(task, 'timed-out', error, verdict)
    else this.retry.afterFailure(task, 'timed-out', error)
    this.checkIdle()
  }

  abortRunning(task: TaskRecord<I, O>, reason: unknown): void {
    const ran = this.clock.now() - task.startedAt
    task.runMs += ran
    this.endAttempt(task, task.worker!, ran, false)
    task.abort(reason)
    if (this.breaker !== undefined) this.notifier.guard(() => this.breaker!.onCancel(task))
  }

  /** The task's signal aborted: take it out of wherever it waits or runs, and settle it as cancelled. */
  cancel(task: TaskRecord<I, O>): void {
    const reason: unknown = task.userSignal!.reason
    if (task.state === RUNNING) this.abortRunning(task, reason)
    else if (!this.unwait(task)) return
    this.settleFailure(task, 'cancelled', reason)
    this.checkIdle()
  }

  /**
   * The task's deadline passed: one still waiting (queued, waiting for room,
   * held, or waiting to retry) fails with `DeadlineExceededError`; a running
   * attempt is left to its own timeout (it is not retried past the deadline).
   */
  expire(task: TaskRecord<I, O>): void {
    const stage: DeadlineStage = task.state !== DELAYED ? 'queued' : this.holds.has(task) ? 'held' : 'retrying'
    if (!this.unwait(task)) return
    const error = deadlineExceeded(task, stage, stage === 'retrying' ? task.extra().lastError : undefined)
    this.settleFailure(task, 'timed-out', error)
    this.checkIdle()
  }

  /**
   * Takes a task out of wherever it waits unstarted: the wait for room, the
   * queue (also a task dispatch() just took out of it: remove() then finds
   * nothing), a breaker's hold or a retry's backoff. False when it does not
   * wait (running, or settled).
   */
  private unwait(task: TaskRecord<I, O>): boolean {
    switch (task.state) {
      case WAITING_ROOM:
        this.roomWaiters.remove(task)
        return true
      case QUEUED:
        this.queue.remove(task)
        if (this.roomWaiters.length > 0) this.admitWaiters()
        this.checkDrain()
        return true
      case DELAYED:
        this.holds.unhold(task)
        return true
      default:
        return false
    }
  }

  // ---------------------------------------------------------------- settle

  private settleSuccess(task: TaskRecord<I, O>, value: O): void {
    this.counters.completed++
    if (this.obs.onSettled !== undefined) this.notifier.settled(task, 'completed', undefined)
    this.deliver(task, true, value)
    task.release()
  }

  settleFailure(task: TaskRecord<I, O>, outcome: Exclude<TaskOutcome, 'completed' | 'rejected'>, error: unknown): void {
    if (outcome === 'failed') this.counters.failed++
    else if (outcome === 'cancelled') this.counters.cancelled++
    else this.counters.timedOut++
    if (this.obs.onSettled !== undefined) this.notifier.settled(task, outcome, error)
    this.deliver(task, false, error)
    // A cancelled task may be going into a close report, which copies it afterwards.
    if (outcome !== 'cancelled') task.release()
  }

  rejectTask(task: TaskRecord<I, O>, reason: RejectReason, error: unknown): void {
    this.counters.rejected++
    if (this.obs.onRejected !== undefined) this.notifier.notify('onRejected', task, reason, error)
    this.deliver(task, false, error)
  }

  private deliver(task: TaskRecord<I, O>, ok: boolean, value: unknown): void {
    // A task leaving the queue (or the wait for room) unstarted still waited.
    if (task.state === QUEUED || task.state === WAITING_ROOM) task.waitMs += this.clock.now() - task.enqueuedAt
    task.state = DONE
    this.counters.settled++
    clearTaskTimer(this.clock, task)
    if (task.admitted) {
      task.admitted = false
      if (this.breaker?.onSettled !== undefined) this.notifier.guard(() => this.breaker!.onSettled!(task))
    }
    if (task.onUserAbort !== undefined) this.signals.unwatch(task)
    if (task.expiresAt !== undefined) this.deadlines.clear(task)
    if (task.resolve !== undefined) {
      if (ok) task.resolve(value as O)
      else task.reject!(value)
      task.resolve = task.reject = undefined
    } else if (task.callback !== undefined) {
      this.deliverCallback(task, ok, value)
    }
    if (this.lifecycle === 'closing') this.closer.maybeFinish()
  }

  /** Hands a submit() task's result to its callback, once. */
  private deliverCallback(task: TaskRecord<I, O>, ok: boolean, value: unknown): void {
    const callback = task.callback!
    task.callback = undefined
    this.callBack(
      callback,
      ok
        ? { id: task.id, ok: true, value: value as O, waitMs: task.waitMs, runMs: task.runMs, attempts: task.tries }
        : { id: task.id, ok: false, error: value, waitMs: task.waitMs, runMs: task.runMs, attempts: task.tries },
    )
  }

  private callBack(callback: (result: TaskResult<O>) => void, result: TaskResult<O>): void {
    try {
      callback(result)
    } catch (error) {
      this.notifier.error(error)
    }
  }

  // ---------------------------------------------------------------- idle, workers gone

  private isIdle(): boolean {
    return this.running === 0 && this.queue.size === 0 && this.delayedTasks.size === 0 && this.roomWaiters.length === 0
  }

  checkIdle(): void {
    if (!this.isIdle()) return
    if (this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters
      this.idleWaiters = []
      for (const resolve of waiters) resolve()
    }
    // Once per busy spell: a handler returning after its task timed out is no new idleness.
    if (this.idleNotified) return
    this.idleNotified = true
    if (this.notifier.events.has('idle')) this.notifier.emit('idle', [])
  }

  /** Workers kept failing to start and none is left: refuse what waits for one. */
  onNoWorkers(error: WorkerStartError): void {
    if (this.lifecycle === 'closed') return
    this.startFailure = error
    const waiting: TaskRecord<I, O>[] = [...this.queue.clear(), ...this.delayedTasks]
    this.delayedTasks.clear()
    this.holds.clear()
    while (this.roomWaiters.length > 0) waiting.push(this.roomWaiters.shift()!)
    for (const task of waiting) this.rejectTask(task, 'no-workers', error)
    this.checkIdle()
  }

  private defaultWindow(): number {
    return Math.max(16, 2 * this.workers.target * this.workers.tasksPerWorker)
  }
}

/** A `WorkerExitError` saying the task never started (checked by code, so it holds across copies of core). */
function neverStarted(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === ErrorCode.WorkerExit && (error as { taskStarted?: unknown }).taskStarted === false
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal !== undefined && signal.aborted
}
