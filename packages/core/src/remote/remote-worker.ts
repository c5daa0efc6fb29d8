import type { Clock, TimerHandle } from '../clock.js'
import type { SpawnContext, TaskDone, AttemptOutcome, WorkerExit, WorkerHandle, WorkerRuntimeStats, WorkerTask } from '../contracts/executor.js'
import { WorkerExitError } from '../errors.js'
import { describeThrown } from '../internal/describe.js'
import { isWorkerMessage, PROTOCOL_VERSION, RESULT_FRAME, RESULT_HEADER, RESULT_SLOTS } from '../protocol/messages.js'
import type { WorkerMessage, WorkerPost } from '../protocol/messages.js'
import { deserializeError, isSerializedError, serializeError } from '../protocol/serialize-error.js'
import type { SerializedError, SerializedValue } from '../protocol/serialize-error.js'
import { describeValue } from '../validate.js'
import type { Channel, ChannelExit, RemoteWorkerOptions } from './channel.js'
import { FrameWriter } from './frame-writer.js'
import { Heartbeat } from './heartbeat.js'
import { PrefetchWindow } from './prefetch-window.js'
import { DEFAULT_START_TIMEOUT } from './resolve-options.js'

/** `run()` on top of `send()`: one promise per task, for callers that want one. */
function promiseDone(resolve: (value: unknown) => void, reject: (error: unknown) => void): TaskDone {
  return (_task, outcome, value) => (outcome === 'ok' ? resolve(value) : reject(value))
}

/**
 * Where a worker is in its life. Each state but `exited` ends in `exited` when
 * the channel reports the exit (a crash, or the end of a close or a kill).
 *
 * ```
 * starting --ready, same protocol--> ready
 * starting --init-error, start timeout, other protocol, malformed post, terminate()--> failing
 * ready    --task or heap limit reached--> draining
 * ready, draining --terminate() holding no task--> closing
 * ready, draining --terminate() holding tasks, an aborted task that will not stop,
 *                   a malformed post, a heartbeat unanswered--> killing
 * draining --its last task settled: terminate()--> closing
 * closing  --closeTimeout, or 'close' could not be posted--> killing
 * killing  --an aborted task that will not stop--> killing (its tasks fail at once)
 * closing, killing, failing --terminate()--> the same state
 * any      --channel exit--> exited
 * ```
 *
 * - `starting`: waiting for the worker's `ready`; the start timeout runs.
 * - `ready`: takes tasks; the heartbeat runs.
 * - `draining`: left the pool (recycled); takes no task, finishes those it holds.
 * - `closing`: told to close (its teardown runs); killed if not gone within `closeTimeout`.
 * - `killing`: the channel was told to kill it.
 * - `failing`: killed before it was ready; `ready` rejects (if it has not yet) when it exits.
 * - `exited`: gone; every task it held has settled and every timer is cleared.
 *
 * The pool hears of a worker that leaves on its own (`SpawnContext.onExit`)
 * exactly when it leaves `ready` for `draining` (`'recycled'`), `killing`
 * (`'stopped'`, `'crashed'` for a malformed post, `'unresponsive'`) or `exited`
 * (`'crashed'`). Leaving through `terminate()` is the pool's own doing; a
 * worker that never was ready rejects `ready` instead.
 */
type LifeState = 'starting' | 'ready' | 'draining' | 'closing' | 'killing' | 'failing' | 'exited'

/** What the `WorkerExitError` of each task a leaving worker held says (`taskStarted` aside). */
interface ExitInfo {
  readonly workerId: number
  readonly exitCode?: number | undefined
  readonly signal?: string | undefined
  readonly cause?: unknown
  readonly message?: string | undefined
}

/**
 * The main side of one worker: posts tasks in batches, matches results,
 * stops the worker when an aborted task will not stop by itself, recycles it
 * between tasks, watches its heartbeat, and reports how it ended. Shared by
 * threads and child processes; the channel hides which. Every timer is on the
 * pool's clock (`SpawnContext.clock`) and is cleared by the time it exits.
 */
export class RemoteWorker implements WorkerHandle {
  readonly id: number
  readonly ready: Promise<RemoteWorker>
  private state: LifeState = 'starting'
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
  /** Run ids the pool aborted, each with the timer that stops the worker if the task is not dropped in time; none: undefined. */
  private aborted: Map<number, TimerHandle | undefined> | undefined
  private cooperative = new Set<string>()
  private readonly writer: FrameWriter
  private readonly window: PrefetchWindow
  private heartbeat: Heartbeat | undefined
  /** Fails the start of a worker that does not report ready within `startTimeout`. */
  private startTimer: TimerHandle | undefined
  /** Kills a worker told to close that is not gone within `closeTimeout`. */
  private closeTimer: TimerHandle | undefined
  private readonly clock: Clock
  private received = 0
  private lastError: unknown = undefined
  private heapUsed: number | undefined
  private elu: number | undefined
  private readonly exited: Promise<void>
  private markExited!: () => void
  private readyResolve!: (handle: RemoteWorker) => void
  private readyReject!: (error: unknown) => void
  private nextRunId = 1
  /** What the worker's setup said it can do (WorkerHandle.capabilities), from its ready message. */
  capabilities: readonly string[] | undefined = undefined
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
    this.clock = context.clock
    this.window = new PrefetchWindow(options)
    context.setCapacity(this.window.capacity)
    this.writer = new FrameWriter(channel, (id, error) => this.onUnsendable(id, error))
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
      this.startTimer = this.clock.setTimeout(() => this.onStartTimeout(startTimeout), startTimeout)
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
      queueMicrotask(() => done(task, 'unstarted', error))
      return
    }
    const id = this.nextRunId++
    this.pending.set(id, task)
    if (done !== this.done) {
      if (this.done === undefined) this.done = done
      else (this.dones ??= new Map()).set(id, done)
    }
    this.writer.run(id, task, input)
    task.onAbort(this.onTaskAbort)
    if (++this.received >= this.options.maxTasksPerWorker) this.leave()
  }

  stats(): WorkerRuntimeStats {
    const elu = this.channel.eventLoopUtilization?.() ?? this.elu
    return { eventLoopUtilization: elu, heapUsed: this.heapUsed }
  }

  /** Stops the worker: gracefully (teardown runs) when it holds no task, at once otherwise. */
  terminate(): Promise<void> {
    const state = this.state
    // Once only: a second 'close' would run the worker's teardown twice (and a
    // child process would disconnect twice, which throws in it).
    if (state === 'exited' || state === 'closing') return this.exited
    if ((state !== 'ready' && state !== 'draining') || this.pending.size > 0) return this.kill()
    this.state = 'closing'
    this.heartbeat?.stop()
    this.writer.flush()
    try {
      this.channel.post({ type: 'close' })
    } catch {
      return this.kill()
    }
    if (this.options.closeTimeout !== Infinity) {
      this.closeTimer = this.clock.setTimeout(() => void this.kill(), this.options.closeTimeout)
      this.clock.unref?.(this.closeTimer)
    }
    return this.exited
  }

  /** Resolves once the worker is gone, however it went. */
  get gone(): Promise<void> {
    return this.exited
  }

  /** Whether the worker was told to go (stopped, closed, failed to start) and has not exited yet. */
  get leaving(): boolean {
    const state = this.state
    return state === 'closing' || state === 'killing' || state === 'failing'
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
    if (frame.length < RESULT_HEADER || (frame.length - RESULT_HEADER) % RESULT_SLOTS !== 0) return this.malformed(`a result frame of ${frame.length} values`)
    const took = frame[2]
    if (typeof took === 'number' && frame.length > RESULT_HEADER) {
      const postedAt = frame[3]
      const lag = typeof postedAt === 'number' ? performance.timeOrigin + performance.now() - postedAt : Number.NaN
      if (this.window.adapt(took, (frame.length - RESULT_HEADER) / RESULT_SLOTS, lag)) this.resized()
    }
    for (let i = RESULT_HEADER; i < frame.length; i += RESULT_SLOTS) {
      if (!this.onResult(frame[i], frame[i + 1], frame[i + 2])) return
    }
    const heapUsed = frame[1]
    if (typeof heapUsed === 'number') {
      this.heapUsed = heapUsed
      if (heapUsed > this.options.maxHeapBytes) this.leave()
    }
    if (this.state === 'draining' && this.pending.size === 0) void this.terminate()
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
    if (ok) this.settle(id as number, task, 'ok', value)
    else this.settle(id as number, task, 'failed', deserializeError(value as SerializedError | SerializedValue, this.options.errorClasses))
    return true
  }

  /** A run whose input could not be posted fails alone. */
  private onUnsendable(id: number, error: TypeError): void {
    const task = this.pending.get(id)
    if (task === undefined) return
    this.pending.delete(id)
    this.settle(id, task, 'failed', error)
  }

  /** Reports a task's outcome to whoever sent it (its run id already out of `pending`, or about to be). */
  private settle(id: number, task: WorkerTask, outcome: AttemptOutcome, value: unknown): void {
    let done = this.done!
    if (this.dones !== undefined) {
      const other = this.dones.get(id)
      if (other !== undefined) {
        this.dones.delete(id)
        done = other
      }
    }
    if (this.aborted !== undefined) this.forgetAbort(id)
    done(task, outcome, value)
  }

  private handle(message: WorkerMessage): void {
    switch (message.type) {
      case 'result':
        this.onResults([RESULT_FRAME, message.heapUsed, undefined, undefined, message.id, message.ok, message.ok ? message.value : message.error])
        return
      case 'abort-ack':
        if (!ABORT_STATES.has(message.state)) return this.malformed(`an abort-ack in state ${describeValue(message.state)}`)
        this.onAbortAck(message.id, message.state)
        return
      case 'pong':
        this.heartbeat?.pong()
        if (typeof message.eventLoopUtilization === 'number') this.elu = message.eventLoopUtilization
        if (typeof message.heapUsed === 'number') this.heapUsed = message.heapUsed
        return
      case 'ready':
        if (!Array.isArray(message.cooperative)) return this.malformed(`a ready message whose cooperative list is ${describeValue(message.cooperative)}`)
        if (message.capabilities !== undefined && (!Array.isArray(message.capabilities) || !message.capabilities.every((c) => typeof c === 'string'))) {
          return this.malformed(`a ready message whose capabilities are ${describeValue(message.capabilities)}`)
        }
        this.capabilities = message.capabilities === undefined ? undefined : [...message.capabilities]
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
    if (this.state !== 'starting') return
    this.lastError = new Error(`Worker ${this.id} did not report ready within ${ms} ms (startTimeout): does its file call expose(), and does its setup settle?`)
    this.readyReject(this.lastError)
    void this.kill()
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
    const timeout = this.options.unresponsiveTimeout
    if (timeout !== Infinity) {
      this.heartbeat = new Heartbeat(this.clock, this.channel, timeout, () => this.onSilent(timeout))
      this.heartbeat.start()
    }
    this.readyResolve(this)
  }

  /** Tells the worker how to run tasks; again when the window changed enough to move its flush point. */
  private configure(): void {
    this.flushEvery = this.window.flushEvery
    this.channel.post({
      type: 'configure',
      concurrency: this.options.concurrentTasksPerWorker,
      reportHeap: this.options.maxHeapBytes !== Infinity,
      flushEvery: this.flushEvery,
    })
  }

  /** The prefetch window changed size: the pool hands this worker as many tasks, and the worker flushes at its new half way. */
  private resized(): void {
    this.context.setCapacity(this.window.capacity)
    if (this.state === 'ready' && this.window.flushEvery !== this.flushEvery) this.configure()
  }

  // ---------------------------------------------------------------- aborting

  private abortTask(id: number, reason: unknown): void {
    const task = this.pending.get(id)
    if (task === undefined || this.state === 'exited') return
    const aborted = (this.aborted ??= new Map())
    if (aborted.has(id)) return
    aborted.set(id, undefined)
    const name = task.name
    if (name !== undefined ? this.cooperative.has(name) : this.cooperative.has('default') || this.cooperative.size === 1) {
      // A cooperative function settles by itself; its result frees the slot.
      this.writer.control({ type: 'abort', id, reason: serializeError(reason) })
      return
    }
    if (this.options.concurrentTasksPerWorker === 1 && this.pending.keys().next().value === id) {
      // It is the one task this worker runs (or is about to): stop it now.
      this.stop(id, reason)
      return
    }
    // Waiting in the worker's inbox (it will be dropped), or maybe running among
    // several: ask, and stop the worker if no answer comes in time.
    this.writer.control({ type: 'abort', id, reason: serializeError(reason) })
    if (this.options.abortTimeout === Infinity) return
    const timer = this.clock.setTimeout(() => {
      if (this.pending.has(id)) this.stop(id, reason)
    }, this.options.abortTimeout)
    this.clock.unref?.(timer)
    aborted.set(id, timer)
  }

  /** An aborted task settled: its timer, if any, is not needed any more. */
  private forgetAbort(id: number): void {
    const aborted = this.aborted!
    const timer = aborted.get(id)
    if (timer !== undefined) this.clock.clearTimeout(timer)
    aborted.delete(id)
    // Back to no map at all, so the hot path checks one field again.
    if (aborted.size === 0) this.aborted = undefined
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
    this.settle(id, task, 'unstarted', new WorkerExitError({ workerId: this.id, taskStarted: false, message: `Task ${id} was aborted before it started` }))
    if (this.state === 'draining' && this.pending.size === 0) void this.terminate()
  }

  /** Terminates the worker to end an aborted task that will not stop by itself. */
  private stop(id: number, reason: unknown): void {
    if (this.state === 'exited') return
    // Tell the pool first, so it sends nothing more here and starts a replacement
    // before the aborted task's slot is freed.
    this.leaveFor('killing', 'stopped')
    // With one task at a time the others were waiting behind it: they go back
    // to the queue. With several, the first few may have been running.
    this.failPending({ workerId: this.id, message: `Worker ${this.id} was stopped to end aborted task ${id}` }, this.options.concurrentTasksPerWorker - 1, id, reason)
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
    const state = this.state
    if (state === 'exited' || state === 'closing' || state === 'killing' || state === 'failing') return
    const error = new Error(`Worker ${this.id} sent a malformed message (${what}); it was stopped`)
    this.lastError = error
    if (state === 'starting') {
      this.readyReject(error)
      void this.kill()
      return
    }
    this.leaveFor('killing', 'crashed', { error })
    this.failPending({ workerId: this.id, cause: error, message: error.message }, this.options.concurrentTasksPerWorker)
    void this.kill()
  }

  /** No pong for `timeout` ms: the worker is replaced, and the tasks it holds fail when it exits. */
  private onSilent(timeout: number): void {
    this.lastError = new Error(`Worker ${this.id} did not answer a heartbeat for ${timeout} ms`)
    this.leaveFor('killing', 'unresponsive', { error: this.lastError })
    void this.kill()
  }

  // ---------------------------------------------------------------- leaving

  /**
   * Moves to `next`. Leaving `ready` on its own, the worker tells the pool why;
   * from any other state the pool already knows (it was told, or it asked).
   */
  private leaveFor(next: LifeState, reason: NonNullable<WorkerExit['reason']>, extra?: Omit<WorkerExit, 'reason'>): void {
    const was = this.state
    this.state = next
    if (was === 'ready') this.context.onExit({ ...extra, reason })
  }

  /**
   * Fails every task the worker holds, in the order they were sent: the first
   * `startedAtMost` may have been running (`'failed'`), the rest were waiting
   * behind them (`'unstarted'`: the pool queues them again). Run `stopped`, the
   * aborted task the worker is stopped for, fails with its abort `reason`.
   */
  private failPending(info: ExitInfo, startedAtMost: number, stopped = 0, reason?: unknown): void {
    let position = 0
    for (const [id, task] of this.pending) {
      if (id === stopped) {
        this.settle(id, task, 'failed', reason ?? new WorkerExitError(info))
        continue
      }
      const taskStarted = position++ < startedAtMost
      this.settle(id, task, taskStarted ? 'failed' : 'unstarted', new WorkerExitError({ ...info, taskStarted }))
    }
    this.pending.clear()
  }

  /** Stops taking tasks and tells the pool, which starts a replacement; the worker goes once its tasks are done. */
  private leave(): void {
    if (this.state !== 'ready') return
    this.leaveFor('draining', 'recycled')
    if (this.pending.size === 0) void this.terminate()
  }

  /** Kills the worker: `failing` if it was starting, `killing` otherwise. */
  private kill(): Promise<void> {
    const state = this.state
    if (state === 'starting') this.state = 'failing'
    else if (state !== 'failing' && state !== 'exited') this.state = 'killing'
    this.clearStartTimer()
    this.heartbeat?.stop()
    return this.channel.kill().then(() => this.exited)
  }

  private onChannelExit(exit: ChannelExit): void {
    const was = this.state
    if (was === 'exited') return
    this.state = 'exited'
    this.clearStartTimer()
    this.heartbeat?.stop()
    if (this.closeTimer !== undefined) {
      this.clock.clearTimeout(this.closeTimer)
      this.closeTimer = undefined
    }
    this.writer.close()
    if (was === 'starting' || was === 'failing') {
      // A no-op where the failed start already rejected it.
      const why = exit.signal !== undefined ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`
      this.readyReject(this.lastError ?? new Error(`Worker ${this.id} ${why} before it reported ready: does its file call expose(), and does its setup settle?`))
    }
    // Tasks still held: the first few may have started, the rest were waiting behind them.
    this.failPending({ workerId: this.id, exitCode: exit.exitCode, signal: exit.signal, cause: this.lastError }, this.options.concurrentTasksPerWorker)
    // An exit nobody asked for is a crash; routine exits were reported when decided.
    if (was === 'ready') this.context.onExit({ exitCode: exit.exitCode, signal: exit.signal, error: this.lastError, reason: 'crashed' })
    this.markExited()
  }

  private clearStartTimer(): void {
    if (this.startTimer !== undefined) {
      this.clock.clearTimeout(this.startTimer)
      this.startTimer = undefined
    }
  }
}

const ABORT_STATES = new Set<unknown>(['dropped', 'running', 'done'])
