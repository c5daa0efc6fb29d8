import type { SpawnContext, TaskDone, WorkerExit, WorkerHandle, WorkerRuntimeStats, WorkerTask } from '../contracts/executor.js'
import { WorkerExitError } from '../errors.js'
import { describeThrown } from '../internal/describe.js'
import { isWorkerMessage, PROTOCOL_VERSION, RESULT_FRAME, RESULT_SLOTS, RUN_FRAME, RUN_SLOTS } from '../protocol/messages.js'
import type { MainMessage, WorkerMessage, WorkerPost } from '../protocol/messages.js'
import { deserializeError, isSerializedError, serializeError } from '../protocol/serialize-error.js'
import type { SerializedError, SerializedValue } from '../protocol/serialize-error.js'
import { describeValue } from '../validate.js'
import type { Channel, ChannelExit, RemoteWorkerOptions } from './channel.js'
import { DEFAULT_START_TIMEOUT } from './resolve-options.js'

/** Node's timers keep the process alive unless unref'd; browsers' have no unref. */
const unref = (timer: unknown): void => (timer as { unref?: () => void }).unref?.()

/** `run()` on top of `send()`: one promise per task, for callers that want one. */
function promiseDone(resolve: (value: unknown) => void, reject: (error: unknown) => void): TaskDone {
  return (_task, ok, value) => (ok ? resolve(value) : reject(value))
}


/**
 * The main side of one worker: posts tasks in batches, matches results,
 * stops the worker when an aborted task will not stop by itself, recycles it
 * between tasks, watches its heartbeat, and reports how it ended. Shared by
 * threads and child processes; the channel hides which.
 */
export class RemoteWorker implements WorkerHandle {
  readonly id: number
  /**
   * Tasks sent and not yet answered, by run id (unique on this connection: two
   * attempts of a task may share a worker). No record per task beyond the
   * pool's own: every task's `done` is the pool's one callback, kept once.
   */
  private readonly pending = new Map<number, WorkerTask>()
  /** The `done` of the tasks sent here (the pool passes one for all). */
  private done: TaskDone | undefined
  /** A `done` other than that one, by run id (a caller of `run()`, or another pool). */
  private dones: Map<number, TaskDone> | undefined
  /** Run ids the pool aborted. */
  private aborted: Set<number> | undefined
  private cooperative = new Set<string>()
  // Runs not posted yet, as one flat RunFrame; control messages go in a post of their own after it.
  private frame: unknown[] = [RUN_FRAME]
  private controls: MainMessage[] = []
  private outTransfer: object[] | undefined
  private flushQueued = false
  private state: 'starting' | 'ready' | 'leaving' | 'exited' = 'starting'
  private received = 0
  private lastError: unknown = undefined
  private exitReason: NonNullable<WorkerExit['reason']> | undefined
  private reported = false
  private heapUsed: number | undefined
  private elu: number | undefined
  private heartbeat: ReturnType<typeof setInterval> | undefined
  /** Fails the start of a worker that does not report ready within `startTimeout`. */
  private startTimer: ReturnType<typeof setTimeout> | undefined
  private lastPong = 0
  private pingSeq = 0
  private exited: Promise<void>
  private terminating: Promise<void> | undefined
  private going = false
  private markExited!: () => void
  private readyResolve!: (handle: RemoteWorker) => void
  private readyReject!: (error: unknown) => void
  readonly ready: Promise<RemoteWorker>
  private nextRunId = 1
  /** Tasks sent ahead of the ones the worker runs now (adapted to their length; see `prefetchMs`). */
  private window: number
  /** The worker's mean time per task (ms), smoothed over its result frames; NaN until the first. */
  private taskMs = Number.NaN
  /** The worker's `flushEvery`, last configured. */
  private flushEvery = 0
  private readonly onTaskAbort = (reason: unknown, task: WorkerTask): void => {
    for (const [id, pending] of this.pending) {
      if (pending === task) {
        this.abortTask(id, reason)
        return
      }
    }
  }

  constructor(
    private readonly channel: Channel,
    private readonly context: SpawnContext,
    private readonly options: RemoteWorkerOptions,
  ) {
    this.id = context.workerId
    // A fixed window (prefetchMs Infinity) starts full; an adaptive one starts
    // at 1 and opens once the worker's first results tell how long tasks take.
    this.window = options.prefetchMs === Infinity ? options.prefetch : Math.min(1, options.prefetch)
    context.setCapacity(options.concurrentTasksPerWorker + this.window)
    this.ready = new Promise((resolve, reject) => {
      this.readyResolve = resolve
      this.readyReject = reject
    })
    this.exited = new Promise((resolve) => (this.markExited = resolve))
    channel.onMessage((post) => this.receive(post))
    channel.onError((error) => {
      this.lastError = error
    })
    channel.onExit((exit) => this.onChannelExit(exit))
    const startTimeout = options.startTimeout ?? DEFAULT_START_TIMEOUT
    if (startTimeout !== Infinity) {
      // Kept alive (not unref'd): ready(), and every task waiting for a worker,
      // may depend on it (a setup that never settles, a file that never calls expose()).
      this.startTimer = setTimeout(() => this.onStartTimeout(startTimeout), startTimeout)
    }
  }

  run(input: unknown, task: WorkerTask): Promise<unknown> {
    return new Promise((resolve, reject) => this.send(input, task, promiseDone(resolve, reject)))
  }

  send(input: unknown, task: WorkerTask, done: TaskDone): void {
    if (this.state !== 'ready') {
      // Leaving (recycled, stopped) between the pool's choice and this call: the
      // task never reached it, so the pool queues it again.
      const error = new WorkerExitError({ workerId: this.id, taskStarted: false, message: `Worker ${this.id} is leaving` })
      queueMicrotask(() => done(task, false, error))
      return
    }
    const id = this.nextRunId++
    this.pending.set(id, task)
    if (done !== this.done) {
      if (this.done === undefined) this.done = done
      else (this.dones ??= new Map()).set(id, done)
    }
    this.frame.push(id, task.id, task.name, input, task.attempt, task.key)
    const transfer = task.transfer
    if (transfer !== undefined && transfer.length > 0 && this.channel.transfers) (this.outTransfer ??= []).push(...transfer)
    this.queueFlush()
    task.onAbort(this.onTaskAbort)
    if (++this.received >= this.options.maxTasksPerWorker) this.leave('recycled')
  }

  stats(): WorkerRuntimeStats {
    const elu = this.channel.eventLoopUtilization?.() ?? this.elu
    return { eventLoopUtilization: elu, heapUsed: this.heapUsed }
  }

  /** Stops the worker: gracefully (teardown runs) when it holds no task, at once otherwise. */
  terminate(): Promise<void> {
    if (this.state === 'exited') return this.exited
    // Once only: a second 'close' would run the worker's teardown twice (and a
    // child process would disconnect twice, which throws in it).
    if (this.terminating !== undefined) return this.terminating
    this.going = true
    // The pool asked for it: nothing to report when the worker goes.
    this.reported = true
    this.exitReason ??= 'recycled'
    this.stopHeartbeat()
    if (this.pending.size > 0 || this.state === 'starting') return (this.terminating = this.kill())
    this.state = 'leaving'
    this.flushNow()
    try {
      this.channel.post({ type: 'close' })
    } catch {
      return (this.terminating = this.kill())
    }
    const timer = setTimeout(() => void this.kill(), this.options.closeTimeout)
    unref(timer)
    return (this.terminating = this.exited.finally(() => clearTimeout(timer)))
  }

  /** Resolves once the worker is gone, however it went. */
  get gone(): Promise<void> {
    return this.exited
  }

  /** Whether the worker was told to go (stopped, recycled, closed, failed to start) and has not exited yet. */
  get leaving(): boolean {
    return this.going && this.state !== 'exited'
  }

  // ---------------------------------------------------------------- sending

  private sendControl(message: MainMessage): void {
    this.controls.push(message)
    this.queueFlush()
  }

  private queueFlush(): void {
    if (!this.flushQueued) {
      this.flushQueued = true
      queueMicrotask(() => this.flushNow())
    }
  }

  /** Posts the runs held (one frame), then the control messages; a run whose input cannot be cloned fails only its own task. */
  private flushNow(): void {
    this.flushQueued = false
    const frame = this.frame
    const transfer = this.outTransfer
    const controls = this.controls
    if (frame.length > 1) {
      this.frame = [RUN_FRAME]
      this.outTransfer = undefined
    }
    if (controls.length > 0) this.controls = []
    if (this.state === 'exited') return
    if (frame.length > 1) this.postRuns(frame, transfer)
    if (controls.length > 0) this.channel.post(controls.length === 1 ? controls[0]! : controls)
  }

  private postRuns(frame: unknown[], transfer: object[] | undefined): void {
    try {
      this.channel.post(frame, transfer)
      return
    } catch {
      // Something in the frame cannot be cloned: send one by one to find it.
    }
    for (let i = 1; i + RUN_SLOTS <= frame.length; i += RUN_SLOTS) {
      const id = frame[i] as number
      const input = frame[i + 3]
      try {
        this.channel.post([RUN_FRAME, ...frame.slice(i, i + RUN_SLOTS)], transfer === undefined ? undefined : transferOf(input, transfer))
      } catch (error) {
        const task = this.pending.get(id)
        if (task === undefined) continue
        this.pending.delete(id)
        const name = frame[i + 2] as string | undefined
        this.settle(id, task, false, new TypeError(`Task ${(frame[i + 1] as number | undefined) ?? id}${name === undefined ? '' : ` (${name})`}: its input could not be sent to the worker: ${describeThrown(error)}`, { cause: error }))
      }
    }
  }

  // ---------------------------------------------------------------- receiving

  /**
   * A post that is not the protocol's at all (an object without a protocol
   * `type`: a user's own traffic) is ignored. One that claims to be (a result
   * frame, a protocol message, a list of messages) but breaks it means the
   * worker cannot be trusted with its tasks: see `malformed()`.
   */
  private receive(post: WorkerPost): void {
    try {
      if (!Array.isArray(post)) {
        if (isWorkerMessage(post)) this.handle(post)
      } else if (post[0] === RESULT_FRAME) {
        this.onResults(post)
      } else {
        for (const message of post as readonly unknown[]) {
          if (!isWorkerMessage(message)) return this.malformed(`a list holding ${describeValue(message)}`)
          this.handle(message)
        }
      }
    } catch (error) {
      // Whatever a worker sends must not throw in this listener: on Node that
      // would be an uncaught exception on the main thread.
      this.malformed(`it could not be read: ${describeThrown(error)}`)
    }
  }

  private onResults(frame: readonly unknown[]): void {
    if (frame.length < 3 || (frame.length - 3) % RESULT_SLOTS !== 0) return this.malformed(`a result frame of ${frame.length} values`)
    const took = frame[2]
    if (typeof took === 'number' && frame.length > 3) this.adapt(took, (frame.length - 3) / RESULT_SLOTS)
    for (let i = 3; i < frame.length; i += RESULT_SLOTS) {
      if (!this.onResult(frame[i], frame[i + 1], frame[i + 2])) return
    }
    const heapUsed = frame[1]
    if (typeof heapUsed === 'number') {
      this.heapUsed = heapUsed
      if (heapUsed > this.options.maxHeapBytes) this.leave('recycled')
    }
    if (this.state === 'leaving' && this.pending.size === 0) void this.terminate()
  }

  /** Settles the task of one result; false when the result was malformed (the worker is then stopped). */
  private onResult(id: unknown, ok: unknown, value: unknown): boolean {
    // Run ids are issued here from 1 up: any other id never came from this side.
    if (!Number.isInteger(id) || (id as number) < 1 || (id as number) >= this.nextRunId || typeof ok !== 'boolean' || (!ok && !isSerializedError(value))) {
      this.malformed(`a result with id ${describeValue(id)}, ok ${describeValue(ok)}`)
      return false
    }
    const task = this.pending.get(id as number)
    // A result for a task settled meanwhile (aborted, its worker stopped): nothing to do.
    if (task === undefined) return true
    this.pending.delete(id as number)
    if (ok) this.settle(id as number, task, true, value)
    else this.settle(id as number, task, false, deserializeError(value as SerializedError | SerializedValue, this.options.errorClasses))
    return true
  }

  /** Reports a task's outcome to whoever sent it (its run id already out of `pending`, or about to be). */
  private settle(id: number, task: WorkerTask, ok: boolean, value: unknown): void {
    let done = this.done!
    if (this.dones !== undefined) {
      const other = this.dones.get(id)
      if (other !== undefined) {
        this.dones.delete(id)
        done = other
      }
    }
    this.aborted?.delete(id)
    done(task, ok, value)
  }

  private handle(message: WorkerMessage): void {
    switch (message.type) {
      case 'result':
        this.onResults([RESULT_FRAME, message.heapUsed, undefined, message.id, message.ok, message.ok ? message.value : message.error])
        return
      case 'abort-ack':
        if (!ABORT_STATES.has(message.state)) return this.malformed(`an abort-ack in state ${describeValue(message.state)}`)
        this.onAbortAck(message.id, message.state)
        return
      case 'pong':
        this.lastPong = Date.now()
        if (typeof message.eventLoopUtilization === 'number') this.elu = message.eventLoopUtilization
        if (typeof message.heapUsed === 'number') this.heapUsed = message.heapUsed
        return
      case 'ready':
        if (!Array.isArray(message.cooperative)) return this.malformed(`a ready message whose cooperative list is ${describeValue(message.cooperative)}`)
        this.onReady(message.protocol, message.cooperative)
        return
      case 'init-error':
        this.lastError = deserializeError(message.error, this.options.errorClasses)
        if (this.state === 'starting') {
          this.readyReject(this.lastError)
          void this.kill()
        }
        return
    }
  }

  private onStartTimeout(ms: number): void {
    this.startTimer = undefined
    if (this.state !== 'starting' || this.going) return
    this.lastError = new Error(`Worker ${this.id} did not report ready within ${ms} ms (startTimeout): does its file call expose(), and does its setup settle?`)
    this.readyReject(this.lastError)
    void this.kill()
  }

  private clearStartTimer(): void {
    if (this.startTimer !== undefined) {
      clearTimeout(this.startTimer)
      this.startTimer = undefined
    }
  }

  private onReady(protocol: number, cooperative: readonly string[]): void {
    if (this.state !== 'starting') return
    this.clearStartTimer()
    if (protocol !== PROTOCOL_VERSION) {
      this.readyReject(new Error(`The worker speaks protocol ${protocol}, this side ${PROTOCOL_VERSION}: are two versions of @poolkit/core installed?`))
      void this.kill()
      return
    }
    this.state = 'ready'
    this.cooperative = new Set(cooperative)
    this.configure()
    this.startHeartbeat()
    this.readyResolve(this)
  }

  /** Tells the worker how to run tasks; again when the window changed enough to move its flush point. */
  private configure(): void {
    this.flushEvery = Math.max(1, Math.ceil((this.options.concurrentTasksPerWorker + this.window) / 2))
    this.channel.post({
      type: 'configure',
      concurrency: this.options.concurrentTasksPerWorker,
      reportHeap: this.options.maxHeapBytes !== Infinity,
      flushEvery: this.flushEvery,
    })
  }

  /**
   * Sizes the window from how long the worker's tasks take: about `prefetchMs`
   * of work sent ahead, at least 1 and at most `prefetch`. `took` is what `count`
   * tasks took in the worker, start to end.
   */
  private adapt(took: number, count: number): void {
    const { prefetch, prefetchMs, concurrentTasksPerWorker: k } = this.options
    if (prefetchMs === Infinity || prefetch <= 1) return
    // Tasks running side by side (async ones) each take a slot for their whole time.
    const perTask = took / count / k
    this.taskMs = Number.isNaN(this.taskMs) ? perTask : this.taskMs + (perTask - this.taskMs) * 0.25
    const wanted = this.taskMs > 0 ? Math.round(prefetchMs / this.taskMs) : prefetch
    const window = wanted >= prefetch ? prefetch : wanted > 1 ? wanted : 1
    // A change under a quarter is noise: keep the window steady (but reach the bounds).
    if (window === this.window) return
    if (window !== prefetch && window !== 1 && Math.abs(window - this.window) * 4 < this.window) return
    this.window = window
    this.context.setCapacity(k + window)
    if (this.state !== 'ready') return
    const flushEvery = Math.max(1, Math.ceil((k + window) / 2))
    if (flushEvery !== this.flushEvery) this.configure()
  }

  // ---------------------------------------------------------------- aborting

  private abortTask(id: number, reason: unknown): void {
    const task = this.pending.get(id)
    if (task === undefined || this.aborted?.has(id) === true || this.state === 'exited') return
    ;(this.aborted ??= new Set()).add(id)
    const name = task.name
    if (name !== undefined ? this.cooperative.has(name) : this.cooperative.has('default') || this.cooperative.size === 1) {
      // A cooperative function settles by itself; its result frees the slot.
      this.sendControl({ type: 'abort', id, reason: serializeError(reason) })
      return
    }
    if (this.options.concurrentTasksPerWorker === 1 && this.pending.keys().next().value === id) {
      // It is the one task this worker runs (or is about to): stop it now.
      this.stop(id, reason)
      return
    }
    // Waiting in the worker's inbox (it will be dropped), or maybe running among
    // several: ask, and stop the worker if no answer comes in time.
    this.sendControl({ type: 'abort', id, reason: serializeError(reason) })
    const timer = setTimeout(() => {
      if (this.pending.has(id)) this.stop(id, reason)
    }, this.options.abortTimeout)
    unref(timer)
  }

  private onAbortAck(id: number, state: 'dropped' | 'running' | 'done'): void {
    const task = this.pending.get(id)
    if (task === undefined) return
    if (state === 'running') {
      this.stop(id, undefined)
      return
    }
    // Dropped from the inbox (or done with no result to wait for): it never ran.
    this.pending.delete(id)
    this.settle(id, task, false, new WorkerExitError({ workerId: this.id, taskStarted: false, message: `Task ${id} was aborted before it started` }))
    if (this.state === 'leaving' && this.pending.size === 0) void this.terminate()
  }

  /** Terminates the worker to end an aborted task that will not stop by itself. */
  private stop(id: number, reason: unknown): void {
    if (this.state === 'exited') return
    // Tell the pool first, so it sends nothing more here and starts a replacement
    // before the aborted task's slot is freed.
    this.state = 'leaving'
    this.report('stopped')
    const k = this.options.concurrentTasksPerWorker
    let position = 0
    for (const [pendingId, task] of this.pending) {
      if (pendingId === id) {
        this.settle(pendingId, task, false, reason ?? new WorkerExitError({ workerId: this.id, message: `Worker ${this.id} was stopped to end aborted task ${id}` }))
        continue
      }
      // With one task at a time the others were waiting behind it: they go back
      // to the queue. With several, the first few may have been running.
      const taskStarted = k > 1 && position++ < k - 1
      this.settle(pendingId, task, false, new WorkerExitError({ workerId: this.id, taskStarted, message: `Worker ${this.id} was stopped to end aborted task ${id}` }))
    }
    this.pending.clear()
    void this.kill()
  }

  /**
   * The worker broke the protocol: it cannot be trusted with the tasks it holds
   * or any more. A worker still starting fails its start; a ready one is
   * reported as crashed (the pool replaces it), and its tasks fail with
   * `WorkerExitError` carrying what was wrong as the cause (those certainly
   * not started go back to the queue).
   */
  private malformed(what: string): void {
    if (this.state === 'exited' || this.going) return
    const error = new Error(`Worker ${this.id} sent a malformed message (${what}); it was stopped`)
    this.lastError = error
    if (this.state === 'starting') {
      this.readyReject(error)
      void this.kill()
      return
    }
    this.state = 'leaving'
    this.report('crashed', { error })
    let position = 0
    const startedAtMost = this.options.concurrentTasksPerWorker
    for (const [id, task] of this.pending) {
      const taskStarted = position++ < startedAtMost
      this.settle(id, task, false, new WorkerExitError({ workerId: this.id, cause: error, taskStarted, message: error.message }))
    }
    this.pending.clear()
    void this.kill()
  }

  /** Tells the pool, once, that this worker is leaving and why. */
  private report(reason: NonNullable<WorkerExit['reason']>, extra?: Omit<WorkerExit, 'reason'>): void {
    if (this.reported) return
    this.reported = true
    this.exitReason = reason
    this.context.onExit({ ...extra, reason })
  }

  // ---------------------------------------------------------------- leaving

  /** Stops taking tasks and tells the pool, which starts a replacement; the worker goes once its tasks are done. */
  private leave(reason: 'recycled'): void {
    if (this.state !== 'ready') return
    this.state = 'leaving'
    this.report(reason)
    if (this.pending.size === 0) void this.terminate()
  }

  private kill(): Promise<void> {
    this.going = true
    this.stopHeartbeat()
    this.clearStartTimer()
    return this.channel.kill().then(() => this.exited)
  }

  private onChannelExit(exit: ChannelExit): void {
    const wasState = this.state
    this.state = 'exited'
    this.stopHeartbeat()
    this.clearStartTimer()
    this.frame = [RUN_FRAME]
    this.controls = []
    if (wasState === 'starting') {
      const why = exit.signal !== undefined ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`
      this.readyReject(this.lastError ?? new Error(`Worker ${this.id} ${why} before it reported ready: does its file call expose(), and does its setup settle?`))
    }
    // Tasks still held: the first few may have started, the rest were waiting behind them.
    let position = 0
    const startedAtMost = this.options.concurrentTasksPerWorker
    for (const [id, task] of this.pending) {
      const taskStarted = position++ < startedAtMost
      this.settle(
        id,
        task,
        false,
        new WorkerExitError({
          workerId: this.id,
          exitCode: exit.exitCode,
          signal: exit.signal,
          cause: this.lastError,
          taskStarted,
        }),
      )
    }
    this.pending.clear()
    // An exit nobody asked for is a crash; routine exits were reported when decided.
    if (wasState !== 'starting' && this.exitReason === undefined) {
      this.report('crashed', { exitCode: exit.exitCode, signal: exit.signal, error: this.lastError })
    }
    this.markExited()
  }

  // ---------------------------------------------------------------- heartbeat

  private startHeartbeat(): void {
    const timeout = this.options.unresponsiveTimeout
    if (timeout === Infinity) return
    this.lastPong = Date.now()
    const interval = Math.max(10, Math.min(timeout / 2, 1000))
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastPong > timeout) {
        this.lastError = new Error(`Worker ${this.id} did not answer a heartbeat for ${timeout} ms`)
        this.state = 'leaving'
        this.report('unresponsive', { error: this.lastError })
        void this.kill()
        return
      }
      try {
        this.channel.post({ type: 'ping', seq: ++this.pingSeq })
      } catch {
        // The exit handler deals with a worker that is gone.
      }
    }, interval)
    unref(this.heartbeat)
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== undefined) {
      clearInterval(this.heartbeat)
      this.heartbeat = undefined
    }
  }
}

const ABORT_STATES = new Set<unknown>(['dropped', 'running', 'done'])

/** The transfer list entries that a single run's input holds (used when a frame had to be split). */
function transferOf(input: unknown, transfer: readonly object[]): object[] | undefined {
  const found: object[] = []
  const seen = new Set<unknown>()
  const visit = (value: unknown, depth: number): void => {
    if (typeof value !== 'object' || value === null || seen.has(value) || depth > 8) return
    seen.add(value)
    if (transfer.includes(value)) found.push(value)
    if (ArrayBuffer.isView(value) && transfer.includes(value.buffer)) found.push(value.buffer)
    if (Array.isArray(value)) for (const v of value) visit(v, depth + 1)
    else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) visit(v, depth + 1)
  }
  visit(input, 0)
  return found.length > 0 ? found : undefined
}
